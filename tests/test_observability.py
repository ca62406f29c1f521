"""Observability through the real app over HTTP (docs/OBSERVABILITY.md):

- /metrics answers in Prometheus format; a dossier created, uploaded, submitted and read by the
  real dispatcher (in-process pool, the workers' own `StoredPageReader`) moves the queue depth,
  the pages-read counter, the reading-stage histogram and the review backlog (count and age, by
  service point); routes are labelled by template; a refused upload is counted under its code;
  the Ray pool's actors per node are reported, a node it no longer names dropped;
- the request id: on every answer (errors, web pages, the docs), an incoming sane id echoed, an
  insane one replaced, and in every error body;
- JSON log lines: every line of a request carries its id and its dossier; an ID number is masked;
- `sohoa serve` writes JSON lines on stderr that carry the request id of an HTTP call.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.logs import LineHandler, configure_logging
from intake import metrics
from intake.clock import VIETNAM, FixedClock
from intake.processing.dispatcher import Dispatcher
from intake.records import find_dossier
from intake.service import IntakeService, open_service
from intake.settings import LogSettings
from loopback.ports import free_port
from loopback.processes import stop
from tests.intake_support import API, RunningApi, in_process_dispatcher, make_settings, start_api

SOHOA = str(Path(sys.executable).parent / "sohoa")
CARD_NUMBER = "001099012345"


@dataclass
class Env:
    api: RunningApi
    service: IntakeService
    dispatcher: Dispatcher
    clock: FixedClock


@pytest.fixture(scope="module")
def env(request, tmp_path_factory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("observability")
    settings = make_settings("local-sqlite", request, tmp)
    clock = FixedClock(datetime(2026, 1, 12, 9, 30, tzinfo=VIETNAM))
    service = open_service(settings, clock=clock)
    pool, dispatcher = in_process_dispatcher(settings, service, clock)
    with start_api(settings, process=False, service=service) as api:
        yield Env(api, service, dispatcher, clock)
    pool.shutdown()


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Every logger's lines, as `sohoa serve` writes them, into a buffer; set back afterwards."""
    root = logging.getLogger()
    level = root.level
    stream = io.StringIO()
    configure_logging(LogSettings(format="json", level="INFO"), stream=stream)
    yield stream
    for handler in [h for h in root.handlers if isinstance(h, LineHandler)]:
        root.removeHandler(handler)
    root.setLevel(level)


def scrape(api: RunningApi) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics by (name, labels), after checking the answer parses as Prometheus text."""
    response = api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        assert family.name.startswith("sohoa_"), family.name
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def born_digital_pdf() -> tuple[bytes, int]:
    from samples.generate import generate_document

    doc = generate_document("pdf_born_digital", "clean", 4242)
    assert doc.pdf_bytes is not None
    return doc.pdf_bytes, len(doc.pages)


def test_a_dossier_read_and_left_for_review_moves_the_metrics(env):
    api = env.api
    before = scrape(api)
    dossier = api.new_dossier()
    data, pages = born_digital_pdf()
    assert api.upload(dossier["id"], "giay-to.pdf", data).status_code == 201
    submitted = api.client.post(f"{API}/dossiers/{dossier['id']}/submit", headers=api.headers("counter"))
    assert submitted.status_code == 200, submitted.text
    code = submitted.json()["code"]

    queued = scrape(api)
    assert value(queued, "sohoa_page_jobs", state="queued") == value(before, "sohoa_page_jobs", state="queued") + pages
    route = "/api/v1/dossiers/{ref}/files"
    assert value(queued, "sohoa_http_requests_total", method="POST", route=route, status="2xx") == (
        value(before, "sohoa_http_requests_total", method="POST", route=route, status="2xx") + 1
    )
    assert not any(dossier["id"] in str(labels) or code in str(labels) for _name, labels in queued)

    def state() -> str:
        with env.service.db.reading() as s:
            return find_dossier(s, code).state

    assert env.dispatcher.run_until(lambda: state() not in ("queued", "processing"), timeout=120)
    assert state() == "needs_review"
    env.clock.advance(hours=1)  # an hour after its receipt, still waiting for a reviewer
    read = scrape(api)
    ok = ("sohoa_pages_read_total", {"outcome": "ok"})
    assert value(read, ok[0], **ok[1]) == value(before, ok[0], **ok[1]) + pages
    render = ("sohoa_reading_stage_seconds_count", {"stage": "render"})
    assert value(read, render[0], **render[1]) == value(before, render[0], **render[1]) + pages
    assert value(read, "sohoa_page_jobs", state="queued") == 0
    assert value(read, "sohoa_review_waiting_dossiers", service_point="HN-HOANKIEM") == 1
    assert value(read, "sohoa_review_waiting_oldest_age_seconds", service_point="HN-HOANKIEM") == 3600
    assert value(read, "sohoa_review_waiting_age_seconds_bucket", le="900") == 0
    assert value(read, "sohoa_review_waiting_age_seconds_bucket", le="3600") == 1
    assert value(read, "sohoa_review_waiting_age_seconds_gcount") == 1
    assert value(read, "sohoa_webhook_pending_deliveries") == 0  # no webhook registered: nothing to push
    assert value(read, "sohoa_database_metrics_up") == 1


def test_a_refused_upload_is_counted_under_its_code(env):
    api = env.api
    before = scrape(api)
    dossier = api.new_dossier()
    refused = api.upload(dossier["id"], "chuong-trinh.exe", b"MZ\x90\x00" + b"\x00" * 200)
    assert refused.status_code == 415 and refused.json()["code"] == "UNSUPPORTED_TYPE"
    missing = api.client.get(f"{API}/dossiers/{dossier['id']}", headers={"X-API-Key": "sai"})  # not an upload
    assert missing.status_code == 401
    after = scrape(api)
    name = "sohoa_uploads_refused_total"
    assert value(after, name, code="UNSUPPORTED_TYPE") == value(before, name, code="UNSUPPORTED_TYPE") + 1
    assert value(after, name, code="AUTH_INVALID") == value(before, name, code="AUTH_INVALID")
    assert value(after, "sohoa_http_requests_total", method="GET", route="/api/v1/dossiers/{ref}", status="4xx") >= 1


def test_actors_alive_follow_the_pools_last_word():
    metrics.actors_alive({"node-a": 3, "node-b": 2})
    assert actors_reported() == {"node-a": 3, "node-b": 2}
    metrics.actors_alive({"node-b": 4})  # node-a left the cluster
    assert actors_reported() == {"node-b": 4}
    metrics.actors_alive({})


def actors_reported() -> dict[str, float]:
    from prometheus_client.exposition import generate_latest

    text = generate_latest(metrics.REGISTRY).decode()
    return {
        sample.labels["node"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "sohoa_ocr_actors_alive"
        for sample in family.samples
    }


def test_every_answer_carries_a_request_id_and_every_error_body_the_same(env):
    client, counter = env.api.client, env.api.headers("counter")
    answers = [
        client.get("/healthz"),
        client.get("/signin"),  # a web page
        client.get("/metrics"),
        client.get(f"{API}/procedures", headers=counter),
        client.get("/khong-co-trang-nay"),  # the framework's 404
        client.delete("/healthz"),  # 405
        client.post(f"{API}/dossiers", json={"procedure_code": 7}, headers=counter),  # 422
        client.get(f"{API}/dossiers/KHONG-CO", headers=counter),  # the service's 404
        client.get(f"{API}/procedures"),  # 401
    ]
    ids = [answer.headers.get("X-Request-ID") for answer in answers]
    assert all(ids) and len(set(ids)) == len(ids)
    for answer in answers:
        if answer.status_code >= 400:
            assert answer.json()["request_id"] == answer.headers["X-Request-ID"], answer.text
    echoed = client.get("/healthz", headers={"X-Request-ID": "quay-3.2026-01-12_0001"})
    assert echoed.headers["X-Request-ID"] == "quay-3.2026-01-12_0001"
    for insane in ("a" * 65, "có dấu", "x y", "<script>", ""):
        replaced = client.get(f"{API}/procedures", headers={"X-Request-ID": insane.encode()})
        assert replaced.headers["X-Request-ID"] not in (insane, "")
        assert replaced.json()["request_id"] == replaced.headers["X-Request-ID"]


def test_an_internal_fault_is_the_error_shape_with_its_request_id(tmp_path, request):
    from fastapi.testclient import TestClient

    from api.app import create_app

    settings = make_settings("local-sqlite", request, tmp_path)
    app = create_app(settings, process=False)

    @app.get("/hong")
    def broken() -> None:
        raise RuntimeError("lỗi của chương trình")

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/hong", headers={"X-Request-ID": "loi-1"})
    assert answer.status_code == 500
    assert answer.headers["X-Request-ID"] == "loi-1"
    assert answer.json()["code"] == "INTERNAL" and answer.json()["request_id"] == "loi-1"
    assert "lỗi của chương trình" not in answer.text


def test_log_lines_of_a_request_carry_its_id_and_dossier_and_mask_id_numbers(env, json_log):
    api = env.api
    dossier = api.new_dossier()
    ref = dossier["id"]
    assert api.upload(ref, "giay-to.pdf", born_digital_pdf()[0]).status_code == 201
    json_log.truncate(0)
    json_log.seek(0)
    headers = {**api.headers("counter"), "X-Request-ID": "nop-ho-so-1"}
    answer = api.client.post(f"{API}/dossiers/{ref}/submit", headers=headers, json={"missing_reason": "Bổ sung sau"})
    assert answer.status_code == 200, answer.text
    logging.getLogger("intake.test").warning("số định danh %s, CMND 123456789", CARD_NUMBER)
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    mine = [line for line in lines if line.get("request_id") == "nop-ho-so-1"]
    assert {line["logger"] for line in mine} >= {"intake.dossiers", "sohoa.access"}, lines
    assert all(line["dossier"] == ref and line["route"] == "/api/v1/dossiers/{ref}/submit" for line in mine)
    assert all(line["timestamp"].endswith("+07:00") for line in lines)
    access = next(line for line in mine if line["logger"] == "sohoa.access")
    assert access["status"] == 200 and access["method"] == "POST" and access["duration_ms"] >= 0
    masked = lines[-1]
    assert CARD_NUMBER not in masked["event"] and "123456789" not in masked["event"]
    assert "001*******45" in masked["event"] and "request_id" not in masked
    assert CARD_NUMBER not in json_log.getvalue()


def test_sohoa_serve_writes_json_lines_with_the_request_id(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(tmp_path / "data"),
        "SOHOA_CACHE_DIR": str(tmp_path / "cache"),
        "SOHOA_LOG__FORMAT": "json",
    }
    log = tmp_path / "serve.log"
    server = subprocess.Popen(
        [SOHOA, "serve", "--no-processing", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    try:
        deadline = time.monotonic() + 90
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            while True:
                try:
                    answer = http.get("/healthz?ho_ten=Nguyen", headers={"X-Request-ID": "tu-ngoai-1"})
                    break
                except httpx.TransportError:
                    assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                    time.sleep(0.3)
        assert answer.headers["X-Request-ID"] == "tu-ngoai-1"
    finally:
        stop(server)
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    access = [line for line in lines if line.get("request_id") == "tu-ngoai-1"]
    assert [(line["logger"], line["route"], line["status"]) for line in access] == [("sohoa.access", "/healthz", 200)]
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # the server's own lines, same format
    assert "Nguyen" not in log.read_text(encoding="utf-8")  # no query string in any line
