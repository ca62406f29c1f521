"""`sohoa scan-station`: the scan-to-folder hot folder sends each complete file once to the dossier
open on the clerk's screen, keeps what cannot go yet, moves refused files to loi/ with the reason,
and never sends a file twice across a crash. Against the real app (no OCR workers)."""

from __future__ import annotations

import hashlib
import io
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw, ImageFont

from api import scan_station
from api.scan_station import HttpClient, ScanStation, StationStopped, idempotency_key, is_candidate, missing_end_marker
from loopback.ports import free_port
from loopback.processes import stop
from tests.intake_support import API, RunningApi, make_settings, start_api

CLERK = "nv.tiepnhan"  # the counter key's holder in start_api
SOHOA = str(Path(sys.executable).parent / "sohoa")
WORDS = "cộng hòa xã hội chủ nghĩa việt nam độc lập tự do hạnh phúc đơn đề nghị họ và tên ngày sinh nơi cư trú".split()


def page_jpeg(seed: int) -> bytes:
    """A distinct A4 page at 150 dpi with lines of Vietnamese words."""
    rng = random.Random(seed)
    image = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=28)
    for row in range(20):
        draw.text((120, 150 + row * 70), " ".join(rng.choice(WORDS) for _ in range(8)), fill=0, font=font)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, dpi=(150, 150))
    return out.getvalue()


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def api(request, tmp_path):
    with start_api(make_settings("local-sqlite", request, tmp_path), process=False) as running:
        yield running


@pytest.fixture
def watch(tmp_path) -> Path:
    folder = tmp_path / "scans"
    folder.mkdir()
    return folder


def open_dossier(api: RunningApi) -> str:
    ref = api.new_dossier()["id"]
    response = api.client.put(
        f"{API}/counter/workstations/{CLERK}", json={"dossier": ref}, headers=api.headers("counter")
    )
    assert response.status_code == 200, response.text
    return ref


def components(api: RunningApi, ref: str) -> list[dict]:
    response = api.client.get(f"{API}/dossiers/{ref}", headers=api.headers("counter"))
    assert response.status_code == 200, response.text
    return response.json()["components"]


def station(api: RunningApi, watch: Path, clock: Clock, lines: list[str], client: HttpClient | None = None):  # noqa: ANN201
    return ScanStation(
        client or api.client, watch, CLERK, api.keys["counter"], settle=1.0, clock=clock, say=lines.append
    )


def settle(st: ScanStation, clock: Clock) -> scan_station.PassResult:
    """Two looks, `settle` apart: what a running station does for a file that stays still."""
    st.poll()
    clock.t += 1.5
    return st.poll()


def test_a_file_written_slowly_is_sent_only_when_complete_and_once(api, watch):
    ref = open_dossier(api)
    clock, lines = Clock(), list[str]()
    st = station(api, watch, clock, lines)
    data = page_jpeg(1)
    target = watch / "scan0001.jpg"
    third = len(data) // 3
    target.write_bytes(data[:third])
    assert st.poll().settling == 1
    clock.t += 5  # the scanner pauses longer than --settle: the JPEG has no end marker yet
    assert st.poll().sent == 0
    assert any("chưa thấy phần kết thúc" in line for line in lines)
    with target.open("ab") as fh:
        fh.write(data[third : 2 * third])
    assert st.poll().settling == 1  # it grew: wait again
    clock.t += 0.5
    assert st.poll().sent == 0
    with target.open("ab") as fh:
        fh.write(data[2 * third :])
    assert components(api, ref) == []
    assert settle(st, clock).sent == 1
    sent = components(api, ref)
    assert [c["sha256"] for c in sent] == [hashlib.sha256(data).hexdigest()]  # the whole file, not a part
    assert not target.exists() and (watch / "da-gui" / "scan0001.jpg").read_bytes() == data
    for _ in range(3):  # further looks send nothing more
        clock.t += 2
        st.poll()
    assert len(components(api, ref)) == 1
    line = next(line for line in lines if line.startswith("Đã gửi scan0001.jpg"))
    assert ref in line and "1 trang" in line


def test_files_go_in_scan_order_and_a_name_clash_in_da_gui_gets_a_suffix(api, watch):
    ref = open_dossier(api)
    clock, lines = Clock(), list[str]()
    st = station(api, watch, clock, lines)
    pages = [page_jpeg(10 + i) for i in range(3)]
    for i, (name, data) in enumerate(zip(("b.jpg", "a.jpg", "c.jpg"), pages, strict=True)):
        (watch / name).write_bytes(data)
        os.utime(watch / name, ns=(1_700_000_000_000_000_000 + i * 10**9,) * 2)  # b, then a, then c
    assert settle(st, clock).sent == 3
    assert [c["sha256"] for c in components(api, ref)] == [hashlib.sha256(p).hexdigest() for p in pages]
    (watch / "a.jpg").write_bytes(page_jpeg(99))  # the scanner reuses a name
    assert settle(st, clock).sent == 1
    assert sorted(p.name for p in (watch / "da-gui").iterdir()) == ["a-1.jpg", "a.jpg", "b.jpg", "c.jpg"]
    assert len(components(api, ref)) == 4


def test_hidden_temporary_names_and_subfolders_are_left_alone(api, watch):
    open_dossier(api)
    clock, lines = Clock(), list[str]()
    st = station(api, watch, clock, lines)
    names = [".hidden.jpg", "scan.tmp", "scan.jpg.part", "~scan.jpg", ".~lock.jpg", "x.crdownload"]
    for i, name in enumerate(names):
        (watch / name).write_bytes(page_jpeg(20 + i))
    (watch / "sub").mkdir()
    (watch / "sub" / "inner.jpg").write_bytes(page_jpeg(30))
    result = settle(st, clock)
    assert (result.sent, result.settling, result.kept) == (0, 0, 0)
    assert all((watch / name).exists() for name in names) and (watch / "sub" / "inner.jpg").exists()
    assert [is_candidate(n) for n in ("scan0001.jpg", "Scan 2.PDF", "x.TMP", "~$a.pdf")] == [True, True, False, False]


def test_a_crash_after_the_server_accepted_never_makes_a_second_component(api, watch, monkeypatch):
    ref = open_dossier(api)
    clock, lines = Clock(), list[str]()
    first = station(api, watch, clock, lines)
    data = page_jpeg(2)
    (watch / "scan.jpg").write_bytes(data)

    def crash(*_args):  # noqa: ANN002, ANN202
        raise KeyboardInterrupt("power cut")

    # 1. The server accepted; the station dies before the move.
    monkeypatch.setattr(scan_station, "move_aside", crash)
    with pytest.raises(KeyboardInterrupt):
        settle(first, clock)
    monkeypatch.undo()
    assert len(components(api, ref)) == 1 and (watch / "scan.jpg").exists()
    assert settle(station(api, watch, clock, lines), clock).sent == 1  # restarted: moved, not sent again
    assert len(components(api, ref)) == 1 and (watch / "da-gui" / "scan.jpg").exists()

    # 2. The server accepted; the station dies before it wrote that down. Meanwhile the clerk
    # opened the next citizen's dossier: the resend must still be answered with the first component.
    other = page_jpeg(3)
    (watch / "other.jpg").write_bytes(other)
    monkeypatch.setattr(scan_station.Journal, "accept", crash)
    with pytest.raises(KeyboardInterrupt):
        settle(station(api, watch, clock, lines), clock)
    monkeypatch.undo()
    next_ref = open_dossier(api)
    assert settle(station(api, watch, clock, lines), clock).sent == 1
    assert [c["sha256"] for c in components(api, ref)][-1] == hashlib.sha256(other).hexdigest()
    assert len(components(api, ref)) == 2 and components(api, next_ref) == []
    assert (watch / "da-gui" / "other.jpg").exists() and not (watch / "other.jpg").exists()

    # 3. The same file copied in again later is a new send, to the dossier open now.
    (watch / "scan.jpg").write_bytes(data)
    assert settle(station(api, watch, clock, lines), clock).sent == 1
    assert [c["sha256"] for c in components(api, next_ref)] == [hashlib.sha256(data).hexdigest()]


def test_no_open_dossier_keeps_the_file_until_one_is_opened(api, watch):
    clock, lines = Clock(), list[str]()
    st = station(api, watch, clock, lines)
    (watch / "scan.jpg").write_bytes(page_jpeg(4))
    assert settle(st, clock).kept == 1
    for _ in range(3):
        clock.t += 2
        assert st.poll().kept == 1
    said = f"Chưa có hồ sơ nào đang mở trên màn hình của {CLERK} — tệp được giữ lại"
    assert lines.count(said) == 1  # said once, not on every try
    assert (watch / "scan.jpg").exists() and not (watch / "da-gui").exists()
    ref = open_dossier(api)
    clock.t += 2
    assert st.poll().sent == 1
    assert len(components(api, ref)) == 1 and (watch / "da-gui" / "scan.jpg").exists()


def test_a_refused_file_goes_to_loi_with_the_reason(api, watch):
    ref = open_dossier(api)
    clock, lines = Clock(), list[str]()
    st = station(api, watch, clock, lines)
    (watch / "giay-to.jpg").write_bytes("Đây là một tệp văn bản, không phải ảnh.\n".encode())
    (watch / "good.jpg").write_bytes(page_jpeg(5))
    result = settle(st, clock)
    assert (result.refused, result.sent) == (1, 1)  # one refusal does not hold up the others
    assert not (watch / "giay-to.jpg").exists() and (watch / "loi" / "giay-to.jpg").exists()
    note = (watch / "loi" / "giay-to.jpg.loi.txt").read_text(encoding="utf-8")
    assert "UNSUPPORTED_TYPE" in note and "Lý do: " in note and "Reason: " in note
    assert len(components(api, ref)) == 1
    assert st.run(once=True, sleep=lambda _s: None) == 2  # --once reports the refusal in its exit status


def test_server_down_keeps_the_file_and_backs_off_then_a_restart_sends_it(api, watch):
    clock, lines = Clock(), list[str]()
    tries: list[str] = []

    def down(request: httpx.Request) -> httpx.Response:
        tries.append(request.url.path)
        raise httpx.ConnectError("connection refused", request=request)

    with httpx.Client(base_url="http://127.0.0.1:9", transport=httpx.MockTransport(down)) as client:
        st = station(api, watch, clock, lines, client)
        (watch / "scan.jpg").write_bytes(page_jpeg(6))
        assert settle(st, clock).kept == 1 and len(tries) == 1
        clock.t += 0.5
        st.poll()
        assert len(tries) == 1  # backing off: 1 s, then 2 s, 4 s ...
        clock.t += 0.6
        st.poll()
        clock.t += 1.0
        st.poll()
        assert len(tries) == 2
        clock.t += 1.1
        st.poll()
        assert len(tries) == 3
    assert sum("Không kết nối được máy chủ" in line for line in lines) == 1
    assert (watch / "scan.jpg").exists() and not (watch / "da-gui").exists()

    def busy(request: httpx.Request) -> httpx.Response:
        body = {"code": "DATABASE_UNAVAILABLE", "message": "CSDL tạm không dùng được", "message_en": "x"}
        return httpx.Response(503, json=body)

    with httpx.Client(base_url="http://x", transport=httpx.MockTransport(busy)) as client:
        assert settle(station(api, watch, clock, lines, client), clock).kept == 1
    assert (watch / "scan.jpg").exists()

    ref = open_dossier(api)  # the server is back
    assert settle(station(api, watch, clock, lines), clock).sent == 1
    assert len(components(api, ref)) == 1


def test_a_key_of_another_clerk_stops_the_station_and_touches_nothing(api, watch):
    open_dossier(api)
    (watch / "scan.jpg").write_bytes(page_jpeg(7))
    st = ScanStation(api.client, watch, "nv.khac", api.keys["counter"], settle=1.0, clock=(clock := Clock()))
    with pytest.raises(StationStopped) as stop:
        settle(st, clock)
    assert stop.value.code == "FORBIDDEN" and "nv.khac" in stop.value.message
    wrong_key = ScanStation(api.client, watch, CLERK, "not-a-key", settle=1.0, clock=clock)
    with pytest.raises(StationStopped) as stop:
        settle(wrong_key, clock)
    assert stop.value.code.startswith("AUTH_")
    assert (watch / "scan.jpg").exists() and not (watch / "loi").exists()


def test_the_log_line_names_the_dossier_pages_and_quality_warnings(tmp_path, watch):
    def server(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":  # the answer does not name the dossier: the one open now
            return httpx.Response(200, json={"username": CLERK, "dossier": "hs-0042"})
        assert request.headers["Idempotency-Key"].startswith("scan-")
        warning = {"page": 3, "code": "BLURRED", "message": "Trang 3 bị mờ — quét lại", "message_en": "blurred"}
        return httpx.Response(201, json={"id": 7, "page_count": 2, "created": True, "quality": [warning]})

    clock, lines = Clock(), list[str]()
    with httpx.Client(base_url="http://x", transport=httpx.MockTransport(server)) as client:
        st = ScanStation(client, watch, CLERK, "k", settle=1.0, clock=clock, say=lines.append)
        (watch / "hai-trang.pdf").write_bytes(b"%PDF-1.7\n%%EOF\n")
        assert settle(st, clock).sent == 1
    assert lines == [
        "Đã gửi hai-trang.pdf → hồ sơ hs-0042 (2 trang); chuyển sang da-gui/hai-trang.pdf | Trang 3 bị mờ — quét lại"
    ]


def test_end_markers_and_keys():
    jpeg = page_jpeg(8)
    assert missing_end_marker(jpeg) is None and missing_end_marker(jpeg[:-2]) == "JPEG (FFD9)"
    assert missing_end_marker(b"%PDF-1.7\n...\n%%EOF\n") is None and missing_end_marker(b"%PDF-1.7\n1 0 obj")
    assert missing_end_marker(b"plain text") is None  # not a format with a marker: the server judges it
    key = idempotency_key("ab" * 32, "scan.jpg")
    assert key == idempotency_key("ab" * 32, "scan.jpg") and key != idempotency_key("ab" * 32, "scan2.jpg")
    assert key != idempotency_key("ab" * 32, "scan.jpg", 1) and key.isascii() and len(key) <= 200


def test_the_command_sends_to_a_real_server(tmp_path, watch):
    env = {**os.environ, "SOHOA_DATA_DIR": str(tmp_path / "data"), "SOHOA_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("SOHOA_API_KEY", None)

    def run(command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    key = run([SOHOA, "keys", "counter", CLERK, "--service-point", "HN-HOANKIEM"])
    assert key.returncode == 0, key.stderr
    counter = {"X-API-Key": key.stdout.strip()}
    port = free_port()
    server = subprocess.Popen(
        [SOHOA, "serve", "--no-processing", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "api.log").open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=f"{base}/api/v1", timeout=30) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if http.get("/procedures", headers=counter).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "api.log").read_text()
                time.sleep(0.2)
            body = {
                "procedure_code": "2.000200",
                "service_point_code": "HN-HOANKIEM",
                "applicant": {"full_name": "Nguyễn Thị Mẫu"},
            }
            ref = http.post("/dossiers", json=body, headers=counter).json()["id"]
            (watch / "scan0001.jpg").write_bytes(page_jpeg(9))
            command = [SOHOA, "scan-station", "--watch", str(watch), "--counter", CLERK, "--api", base, "--once"]
            no_key = run(command)
            assert no_key.returncode == 2 and no_key.stderr.count("\n") == 1 and "SOHOA_API_KEY" in no_key.stderr
            fast = [*command, "--settle", "0.2", "--interval", "0.1"]
            env["SOHOA_API_KEY"] = counter["X-API-Key"]
            kept = run(fast)  # nothing open on the screen yet
            assert kept.returncode == 2 and "Chưa có hồ sơ nào đang mở" in kept.stderr, kept.stderr
            assert (watch / "scan0001.jpg").exists()
            assert http.put(f"/counter/workstations/{CLERK}", json={"dossier": ref}, headers=counter).status_code == 200
            sent = run(fast)
            assert sent.returncode == 0, sent.stderr
            assert f"Đã gửi scan0001.jpg → hồ sơ {ref} (1 trang" in sent.stderr
            assert (watch / "da-gui" / "scan0001.jpg").exists() and not (watch / "scan0001.jpg").exists()
            assert len(http.get(f"/dossiers/{ref}", headers=counter).json()["components"]) == 1
    finally:
        stop(server)
