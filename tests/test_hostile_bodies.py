"""Request bodies at the API's boundary (issue 14, items 10 and 14): a byte cap enforced while a
body streams in (a chunked upload or JSON body declares no length) and one error shape, with a
bounded echo, for every refusal, the framework's own included. Nothing here may answer 5xx."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import jsonschema
import pytest
from sqlalchemy import func
from sqlalchemy import select as sql_select

from api.app import create_app
from storage.tables import ComponentRow
from tests.fixtures_files import blank_png
from tests.intake_support import API, assert_error, make_settings, start_api

pytestmark = [pytest.mark.services, pytest.mark.xdist_group("services")]


@pytest.fixture
def local_api(request, tmp_path):
    settings = make_settings("local-sqlite", request, tmp_path, intake={"max_upload_bytes": 2_000_000})
    with start_api(settings, process=False) as running:
        yield running


# --- item 10: size caps while streaming --------------------------------------------------------


@contextmanager
def _live_server(api) -> Iterator[int]:
    import uvicorn

    app = create_app(api.service.ctx.settings, process=False, service=api.service)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)


def _send_chunked(port: int, head: str, prefix: bytes, total: int, chunk: int = 1 << 16) -> tuple[int, bytes]:
    """Send a chunked body of `total` bytes, stopping as soon as the server answers;
    returns (body bytes sent, the answer)."""
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode() + b"Transfer-Encoding: chunked\r\n\r\n")
        payload = prefix + b"0" * chunk
        try:
            while sent < total:
                if select.select([sock], [], [], 0.002)[0]:
                    break
                piece = payload[:chunk] if sent == 0 else payload[len(prefix) :][:chunk]
                sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                sent += len(piece)
            else:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = _read_answer(sock)
    return sent, answer


def _read_answer(sock: socket.socket) -> bytes:
    """One HTTP answer (head and a Content-Length body), as far as the server sent it."""
    sock.settimeout(30)
    answer = b""
    try:
        while not _complete(answer):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    except (ConnectionResetError, TimeoutError):
        pass
    return answer


def _complete(answer: bytes) -> bool:
    head, found, body = answer.partition(b"\r\n\r\n")
    if not found:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def _status_and_code(answer: bytes) -> tuple[int, str]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body[: body.rindex(b"}") + 1])["code"]


def test_bodies_without_a_declared_length_are_cut_off_at_the_cap(local_api):
    api = local_api
    dossier = api.new_dossier()
    key = api.keys["counter"]
    total = 64 << 20
    with _live_server(api) as port:
        boundary = "xxBOUNDARYxx"
        head = (
            f"POST {API}/dossiers/{dossier['id']}/files HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {key}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        )
        prefix = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode() + b"\x89PNG\r\n\x1a\n"
        started = time.monotonic()
        sent, answer = _send_chunked(port, head, prefix, total)
        assert answer, f"no answer after {sent} bytes"
        assert _status_and_code(answer) == (413, "FILE_TOO_LARGE")
        assert sent < 16 << 20, f"the server read {sent} bytes of a body capped at 2 MB"
        print(f"chunked upload: 413 after {sent} of {total} bytes sent")
        upload_seconds = time.monotonic() - started

        head = (
            f"POST {API}/dossiers HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {key}\r\nContent-Type: application/json\r\n"
        )
        sent, answer = _send_chunked(port, head, b'{"procedure_code": "', 20 << 20)
        assert answer and _status_and_code(answer) == (413, "REQUEST_TOO_LARGE")
        assert sent < 8 << 20, f"the server read {sent} bytes of JSON"
        print(f"chunked JSON: 413 after {sent} of {20 << 20} bytes sent")

        # A declared length over the cap: refused before a byte of the body is sent.
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall((head + f"Content-Length: {20 << 20}\r\n\r\n").encode())
            answer = _read_answer(sock)
        assert _status_and_code(answer) == (413, "REQUEST_TOO_LARGE")
    with api.service.db.transaction() as s:
        assert s.scalar(sql_select(func.count()).select_from(ComponentRow)) == 0
    assert upload_seconds < 30


def test_json_over_the_cap_is_refused_with_its_own_code(local_api):
    api = local_api
    body = b'{"procedure_code": "' + b"1" * (3 << 20) + b'"}'
    response = api.client.post(
        f"{API}/dossiers", content=body, headers={**api.headers("counter"), "Content-Type": "application/json"}
    )
    assert_error(response, 413, "REQUEST_TOO_LARGE")


# --- item 14: one error shape, bounded echo -----------------------------------------------------


def test_every_error_has_the_one_shape(local_api):
    api = local_api
    counter = api.headers("counter")
    ref = api.new_dossier()["id"]
    files = f"{API}/dossiers/{ref}/files"
    cases = [
        api.client.post(
            files, content=b"garbage", headers={**counter, "Content-Type": "multipart/form-data; boundary=x"}
        ),
        api.client.post(files, content=b"garbage", headers={**counter, "Content-Type": "multipart/form-data"}),
        api.client.post(files, headers=counter),
        api.client.post(files, files={"file": ("a" * 5000 + ".png", blank_png())}, headers=counter),
        api.client.post(files, files={"file": ("a.png", blank_png())}, data={"source": "x" * 2000}, headers=counter),
        api.client.post(
            f"{API}/dossiers",
            content=b"[" * 5000 + b"]" * 5000,
            headers={**counter, "Content-Type": "application/json"},
        ),
        api.client.post(
            f"{API}/dossiers",
            content=b'{"procedure_code": "\xff\xfe"}',
            headers={**counter, "Content-Type": "application/json"},
        ),
        api.client.post(f"{API}/dossiers", content=b'{"a": ', headers={**counter, "Content-Type": "application/json"}),
        api.client.get("/khong-co"),
        api.client.get(f"{API}/khong-co", headers=counter),
        api.client.delete(f"{API}/dossiers", headers=counter),
        api.client.put(f"{API}/review/queue", headers=counter),
        api.client.get(f"{API}/dossiers/khong-co", headers=counter),
        api.client.get(f"{API}/dossiers/khong-co"),
        api.client.get(f"{API}/dossiers/khong-co", headers={"X-API-Key": "sai"}),
    ]
    for response in cases:
        assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
        assert_error(response, response.status_code)
        assert "detail" not in response.json()
        assert "There was an error" not in response.json()["message"]


def test_an_error_never_echoes_more_than_a_bounded_part_of_the_input(local_api):
    api = local_api
    counter = api.headers("counter")
    megabyte = "x" * 1_000_000
    sent = [
        {"procedure_code": megabyte, "service_point_code": "HN", "applicant": {"full_name": "A"}},
        {"procedure_code": "2.000200", "service_point_code": megabyte, "applicant": {"full_name": "A"}},
        {"procedure_code": "2.000200", "service_point_code": "HN-HOANKIEM", "applicant": {"full_name": megabyte}},
        {megabyte: 1, "procedure_code": "2.000200"},
        {"procedure_code": "2.000200", "service_point_code": "HN-HOANKIEM", "applicant": {megabyte: "A"}},
        [megabyte],
    ]
    for body in sent:
        response = api.client.post(f"{API}/dossiers", json=body, headers=counter)
        assert_error(response, (413, 422))
        assert len(response.content) < 4000, len(response.content)
    long_ref = "y" * 20_000
    for response in (
        api.client.get(f"{API}/dossiers/{long_ref}", headers=counter),
        api.client.get(f"/{long_ref}"),
        api.client.get(f"{API}/agency/dossiers/{long_ref}/files/{long_ref}", headers=api.headers("agency")),
    ):
        assert_error(response, (404, 422))
        assert len(response.content) < 4000, len(response.content)


def test_every_operations_error_bodies_match_the_declared_schema(local_api):
    """Each operation, called with references that do not exist, by its own role and by no one:
    every 4xx is declared for that operation and its body validates against the declared schema."""
    api = local_api
    spec = api.client.get("/openapi.json").json()
    roles = {
        "counter": "counter",
        "reviewer": "reviewer",
        "agency": "agency",
        "online": "online",
        "catalogue": "counter",
        "session": "counter",
        "dashboard": "admin",
    }
    values = {
        "ref": "khong-co",
        "code": "khong-co",
        "component_id": "1",
        "index": "0",
        "name": "ho_va_ten",
        "username": "nv.tiepnhan",
    }
    checked = 0
    for path, operations in spec["paths"].items():
        if not path.startswith(API):
            continue
        for method, operation in operations.items():
            url = path
            for name, value in values.items():
                url = url.replace("{" + name + "}", value).replace("{" + name + ":path}", value)
            role = roles[operation["tags"][0]]
            kwargs: dict = {}
            if "requestBody" in operation:
                content = operation["requestBody"]["content"]
                kwargs = (
                    {"files": {"file": ("a.png", blank_png())}} if "multipart/form-data" in content else {"json": {}}
                )
            for headers in (api.headers(role), {}, {"X-API-Key": "sai"}):
                response = api.client.request(method, url, headers=headers, **kwargs)
                assert response.status_code < 500, (method, url, response.text)
                if response.status_code < 400:
                    continue
                declared = operation["responses"].get(str(response.status_code))
                assert declared is not None, (method, path, response.status_code)
                schema = {**declared["content"]["application/json"]["schema"], "components": spec["components"]}
                jsonschema.validate(response.json(), schema)
                assert_error(response, response.status_code)
                checked += 1
    assert checked >= 3 * 17
