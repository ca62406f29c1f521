"""`sohoa demo`: the whole flow on embedded defaults, through the HTTP API.

A clerk creates a dossier and uploads the committed specimen pages, submits it and gets
the dossier code and appointment date; a local Ray reads the pages (progress bar); a
reviewer corrects or confirms every flagged field, then approves; the competent agency
lists it, fetches the manifest, downloads the package and checks every file's SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sys
import threading
import time
from pathlib import Path

import httpx

from intake.auth import Role
from intake.signing import trust_roots, verify_pdf

DEMO_SERVICE_POINT = "HN-HOANKIEM"  # the demo's counter key belongs to it, and creates the dossier there
DEMO_MISSING_REASON = "Hồ sơ mẫu minh họa: công dân sẽ bổ sung giấy tờ còn thiếu"
SAMPLE_FILES = (
    "cccd_front-scanned-000.jpg",
    "cccd_back-scanned-000.jpg",
    "to_khai_khai_sinh-scanned-000.jpg",
    "pdf_born_digital-clean-000.pdf",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _check(response: httpx.Response) -> dict:
    if response.status_code >= 400:
        body = response.json()
        raise SystemExit(
            f"sohoa demo: {response.request.method} {response.request.url.path}: "
            f"{body.get('code')}: {body.get('message')}"
        )
    return response.json()


def run_demo(settings, samples_dir: Path, out_dir: Path, timeout: float = 600.0) -> int:  # noqa: ANN001
    import uvicorn
    from tqdm import tqdm

    from api.app import create_app
    from intake.service import open_service

    service = open_service(settings)
    keys = {
        Role.COUNTER: service.keys.create(Role.COUNTER, "demo.tiepnhan", service_point=DEMO_SERVICE_POINT),
        Role.REVIEWER: service.keys.create(Role.REVIEWER, "demo.kiemtra"),
    }
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, service=service), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=120) as http:
            deadline = time.monotonic() + 120
            while not server.started:  # the API starts Ray first
                if not thread.is_alive() or time.monotonic() > deadline:
                    raise SystemExit("sohoa demo: the API did not start")
                time.sleep(0.2)
            return _flow(http, service, keys, samples_dir, out_dir, timeout, tqdm)
    finally:
        # The API's shutdown stops the processing and the Ray it started, with all Ray's
        # processes: wait for it, or they outlive the demo.
        server.should_exit = True
        thread.join(180)
        if thread.is_alive():
            print("sohoa demo: the API did not stop in time; Ray may still be running", file=sys.stderr)


def _settle_flagged_fields(http: httpx.Client, reviewer: dict, code: str, review: dict, samples_dir: Path) -> None:
    """The demo's reviewer settles every flagged field before approval, as a person does from the
    page crop: it knows the specimens' true values (their truth files), corrects a value read
    wrong and confirms a value read right."""
    for component in review["components"]:
        truth_file = samples_dir / Path(component["filename"]).with_suffix(".json").name
        truth = json.loads(truth_file.read_text(encoding="utf-8")).get("fields", {}) if truth_file.exists() else {}
        for field in component["fields"]:
            if field["status"] == "ok":
                continue
            url = f"/review/dossiers/{code}/components/{component['id']}/fields/{field['name']}"
            right = (truth.get(field["name"]) or {}).get("value") if field["part"] == 0 else None
            if right and right != field["value"]:
                _check(http.put(url, params={"part": field["part"]}, json={"value": right}, headers=reviewer))
                print(f"  người kiểm tra sửa {field['name']}: {field['value']} → {right}", file=sys.stderr)
            else:
                _check(http.post(f"{url}/confirm", params={"part": field["part"]}, headers=reviewer))
                print(f"  người kiểm tra xác nhận {field['name']}: {field['value']}", file=sys.stderr)


def _flow(
    http: httpx.Client,
    service,
    keys: dict,
    samples_dir: Path,
    out_dir: Path,  # noqa: ANN001
    timeout: float,
    tqdm,
) -> int:  # noqa: ANN001
    counter = {"X-API-Key": keys[Role.COUNTER]}
    dossier = _check(
        http.post(
            "/dossiers",
            headers=counter,
            json={
                "procedure_code": "2.000635",
                "service_point_code": DEMO_SERVICE_POINT,
                "applicant": {"full_name": "Huỳnh Ngọc Bảo Trang (MẪU)"},
            },
        )
    )
    print(f"Tiếp nhận: thủ tục {dossier['procedure_code']} — {dossier['procedure_name']}", file=sys.stderr)
    for name in SAMPLE_FILES:
        path = samples_dir / name
        with path.open("rb") as fh:
            component = _check(
                http.post(f"/dossiers/{dossier['id']}/files", headers=counter, files={"file": (name, fh)})
            )
        print(f"  đã nhận {name}: {component['page_count']} trang", file=sys.stderr)
        for warning in component["quality"]:
            print(f"    ! {warning['message']}", file=sys.stderr)
    checklist = _check(http.get(f"/dossiers/{dossier['id']}/checklist", headers=counter))
    submit: dict = {}
    if checklist["missing"]:
        # As a clerk would: receive it all the same, and say why (recorded, printed on the receipt).
        print(f"  còn thiếu: {'; '.join(checklist['missing'])}", file=sys.stderr)
        submit = {"json": {"missing_reason": DEMO_MISSING_REASON}}
    dossier = _check(http.post(f"/dossiers/{dossier['id']}/submit", headers=counter, **submit))
    code = dossier["code"]
    print(f"Mã hồ sơ: {code} — ngày hẹn trả: {dossier['due_date']}", file=sys.stderr)

    started = time.monotonic()
    with tqdm(total=dossier["progress"]["pages_total"], unit="trang", desc="Đang số hóa", file=sys.stderr) as bar:
        while dossier["state"] in ("queued", "processing"):
            if time.monotonic() - started > timeout:
                raise SystemExit("sohoa demo: processing did not finish in time")
            time.sleep(0.3)
            dossier = _check(http.get(f"/dossiers/{code}", headers=counter))
            finished = dossier["progress"]["pages_done"] + dossier["progress"]["pages_failed"]
            if finished != bar.n:
                bar.update(finished - bar.n)
    print(f"Số hóa xong trong {time.monotonic() - started:.1f} s: {dossier['state_label']}", file=sys.stderr)

    reviewer = {"X-API-Key": keys[Role.REVIEWER]}
    review = _check(http.get(f"/review/dossiers/{code}", headers=reviewer))
    for component in review["components"]:
        print(f"\n[{component['position']}] {component['filename']} — loại: {component['kind']}")
        for field in component["fields"]:
            flag = "" if field["status"] == "ok" else f"  (cần kiểm tra: {field.get('reason_vi') or field['status']})"
            print(f"    {field['name']:<18} {field['value']}{flag}")
    if dossier["state"] != "needs_review":
        print(f"\nHồ sơ cần xử lý thủ công: {dossier['attention_reason']}", file=sys.stderr)
        return 1
    _settle_flagged_fields(http, reviewer, code, review, samples_dir)
    _check(http.post(f"/review/dossiers/{code}/approve", headers=reviewer))

    agency_key = service.keys.create(Role.AGENCY, dossier["agency_code"])
    agency = {"X-API-Key": agency_key}
    listing = _check(http.get("/agency/dossiers", headers=agency))
    assert any(item["code"] == code for item in listing["items"]), "the dossier is not listed for its agency"
    manifest = _check(http.get(f"/agency/dossiers/{code}/manifest", headers=agency))
    target = out_dir / code
    target.mkdir(parents=True, exist_ok=True)
    roots = trust_roots(service.ctx.settings)  # the development CA here: what an agency would be given
    signed = 0
    for entry in manifest["files"]:
        response = http.get(f"/agency/dossiers/{code}/files/{entry['name']}", headers=agency, follow_redirects=True)
        response.raise_for_status()
        if hashlib.sha256(response.content).hexdigest() != entry["sha256"]:
            raise SystemExit(f"sohoa demo: {entry['name']} does not match its SHA-256 in the manifest")
        if entry.get("signature"):
            check = verify_pdf(response.content, roots)
            if not check.ok:
                raise SystemExit(f"sohoa demo: {entry['name']}: signature does not verify: {check.problems}")
            signed += 1
        path = target / entry["name"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(response.content)
    (target / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    _check(http.post(f"/agency/dossiers/{code}/ack", headers=agency))
    # What the one-stop software would send on to the national portal (docs/NATIONAL-SYNC.md).
    sync = _check(http.get(f"/agency/dossiers/{code}/sync", headers=agency))
    (target / "national-sync.json").write_text(json.dumps(sync, ensure_ascii=False, indent=2), encoding="utf-8")
    print(
        f"\nCơ quan {dossier['agency_code']} đã nhận gói hồ sơ {code}: {len(manifest['files'])} tệp, "
        f"SHA-256 khớp, {signed} bản PDF có chữ ký số hợp lệ. Gói tải về: {target}",
        file=sys.stderr,
    )
    return 0
