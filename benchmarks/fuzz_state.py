"""The server the OpenAPI fuzzer (benchmarks/fuzz.py) runs against: the API under uvicorn on
127.0.0.1, one key per role, and dossiers in every state, so that deep routes answer with data.

Dossiers are built through the API (create, upload a small PNG, submit); their page readings
and fields are then written to the database the way the dispatcher's finalize writes them
(intake/processing/finalize.py), without running OCR; fields are confirmed or corrected and
dossiers approved, acknowledged and given a status through the API again, so packages exist.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import uvicorn
from PIL import Image
from sqlalchemy import select

from api.app import create_app
from intake.auth import Role
from intake.service import IntakeService
from intake.settings import Settings
from loopback.ports import free_port
from models.document import PageText, TextLine, TextSource
from storage.tables import DossierRow, FieldRow, JobRow, PageResultRow

API = "/api/v1"
JSON = "application/json"
PROCEDURE = "2.000200"  # its competent agency is AGENCY
AGENCY = "000.00.20.H26"
SERVICE_POINT = "HN-HOANKIEM"
ROLES = ("counter", "reviewer", "agency", "online", "admin")
PAGE = (400, 300)  # the PNGs' size; field boxes lie inside
# Fields as a reading leaves them: one ok, one for a reviewer to confirm, one invalid to correct.
SEED_FIELDS: tuple[tuple[str, str, str, str | None, list[int]], ...] = (
    ("so_dinh_danh", "001199000001", "ok", None, [40, 40, 240, 70]),
    ("ho_va_ten", "NGUYỄN THỊ MẪU", "needs_review", "handwritten", [40, 90, 300, 120]),
    ("gioi_tinh", "Nữ", "needs_review", "low_confidence", [40, 140, 120, 170]),
    ("ngay_sinh", "31/02/1990", "invalid", "rule_failed", [40, 190, 200, 220]),
)
CORRECTIONS = {"ngay_sinh": "01/02/1990"}  # what a reviewer types for the invalid one

log = logging.getLogger(__name__)
_sizes = itertools.count()


def png() -> bytes:
    """A small white page, a new size each call: every upload is a new file (no dedup)."""
    n = next(_sizes)
    buffer = io.BytesIO()
    Image.new("RGB", (PAGE[0] + n % 97, PAGE[1] + n // 97), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def create_key(service: IntakeService, role: str) -> str:
    """A key for `role` (a counter's bound to SERVICE_POINT, where all seeded dossiers are)."""
    subject = {"counter": "nv.fuzz", "reviewer": "kt.fuzz", "agency": AGENCY, "online": "dvc-fuzz", "admin": "qt.fuzz"}
    if role == "online":  # the fuzzer sends thousands of requests a minute: no rate limit in its way
        return service.keys.create(Role.ONLINE, subject[role], service_point=SERVICE_POINT, per_minute=100_000)
    if role == "counter":
        return service.keys.create(Role.COUNTER, subject[role], service_point=SERVICE_POINT)
    return service.keys.create(Role(role), subject[role])


@contextmanager
def backend_settings(backend: str, workdir: Path) -> Iterator[Settings]:
    """Settings for a throw-away backend set: SQLite and a local directory, or PostgreSQL and
    S3 started on loopback (loopback/)."""
    values: dict[str, Any] = {
        "data_dir": workdir / "data",
        "cache_dir": workdir / "cache",
        # The fuzzer registers webhooks: never beyond this machine.
        "webhooks": {"allow_http": True, "allowed_hosts": ["127.0.0.1"]},
    }
    if backend == "local-sqlite":
        yield Settings(**values)
        return
    from loopback.pgserver import start_postgres
    from loopback.s3server import start_s3_server

    s3 = start_s3_server(workdir / "s3")
    pg = start_postgres(workdir / "pg")
    try:
        name = f"fuzz{uuid.uuid4().hex[:12]}"
        values["database_url"] = pg.create_database(name)
        values["storage"] = s3.storage_settings(name)
        yield Settings(**values)
    finally:
        pg.stop()
        s3.stop()


# --- the server ------------------------------------------------------------------------------


class ServerErrors(logging.Handler):
    """Collects the exceptions the server logs (uvicorn's 'Exception in ASGI application' and
    the app's own error logs), so that a 5xx can be reported with its cause."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            self.records.append(f"{type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ''}")
        else:
            self.records.append(f"{record.name}: {record.getMessage()[:300]}")

    def take(self) -> list[str]:
        taken, self.records = self.records, []
        return taken


@contextmanager
def serve(service: IntakeService) -> Iterator[tuple[str, ServerErrors]]:
    """The API (no OCR processing) under uvicorn on 127.0.0.1; yields its base URL and the error log."""
    app = create_app(service.ctx.settings, process=False, service=service)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", access_log=False, lifespan="on")
    )
    errors = ServerErrors()
    # python_multipart warns about every hostile part header: dropped, its errors kept.
    names = ("uvicorn.error", "api", "intake", "storage", "python_multipart")
    watched = [logging.getLogger(name) for name in names]
    kept = [(logger, logger.propagate) for logger in watched]
    for logger in watched:
        logger.addHandler(errors)
        logger.propagate = False  # the report says what happened; no tracebacks on the terminal
    thread = threading.Thread(target=server.run, name="fuzz-api", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the API did not start on 127.0.0.1:{port}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", errors
    finally:
        server.should_exit = True
        thread.join(30)
        for logger, propagate in kept:
            logger.removeHandler(errors)
            logger.propagate = propagate


# --- dossiers in every state -----------------------------------------------------------------


@dataclass
class Explicit:
    """A valid request to one operation, with path parameters that exist."""

    path_parameters: dict[str, str] = field(default_factory=dict)
    body: Any = None
    media_type: str | None = None
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # besides the role's key (e.g. Idempotency-Key)
    send: dict[str, Any] = field(default_factory=dict)  # the HTTP client's own arguments (several files)


@dataclass
class Seeded:
    """Requests that reach deep into each operation, by (METHOD, path template)."""

    explicit: dict[tuple[str, str], list[Explicit]] = field(default_factory=dict)
    dossiers: dict[str, dict] = field(default_factory=dict)  # by state name: the public dossier

    def add(self, method: str, template: str, *requests_: Explicit) -> None:
        self.explicit.setdefault((method, API + template), []).extend(requests_)

    def bindings(self, method: str, template: str) -> list[dict[str, str]]:
        """The distinct sets of existing path parameters for an operation."""
        seen: list[dict[str, str]] = []
        for request in self.explicit.get((method, template), []):
            if request.path_parameters and request.path_parameters not in seen:
                seen.append(request.path_parameters)
        return seen


class Seeder:
    """Builds one fresh set of dossiers (each role's run gets its own, so that one role's
    approvals and acknowledgements do not leave the next with nothing to reach)."""

    def __init__(self, service: IntakeService, base_url: str, keys: dict[str, str], errors: ServerErrors) -> None:
        self.service, self.base, self.keys, self.errors = service, base_url + API, keys, errors
        self.http = requests.Session()

    def _call(self, role: str, method: str, path: str, expect: int | tuple[int, ...] = 200, **kwargs: Any) -> dict:
        response = self.http.request(method, self.base + path, headers={"X-API-Key": self.keys[role]}, **kwargs)
        allowed = expect if isinstance(expect, tuple) else (expect,)
        if response.status_code not in allowed:
            logged = "; ".join(self.errors.take())
            raise RuntimeError(f"seeding {method} {path}: {response.status_code} {response.text[:300]} {logged}")
        return response.json() if "json" in response.headers.get("content-type", "") else {}

    def _dossier(self, files: int, submit: bool) -> dict:
        body = {
            "procedure_code": PROCEDURE,
            "service_point_code": SERVICE_POINT,
            "applicant": {"full_name": "Nguyễn Thị Mẫu", "id_number": "001199000001", "phone": "0912345678"},
        }
        dossier = self._call("counter", "POST", "/dossiers", 201, json=body)
        for i in range(files):
            self._call(
                "counter", "POST", f"/dossiers/{dossier['id']}/files", 201, files={"file": (f"trang-{i}.png", png())}
            )
        if submit:
            dossier = self._call("counter", "POST", f"/dossiers/{dossier['id']}/submit")
        return self._call("counter", "GET", f"/dossiers/{dossier['id']}")

    def _read_in_db(self, code: str, *, failed_page: bool = False) -> None:
        """What the dispatcher and finalize leave after reading every page (no OCR run)."""
        version = self.service.ctx.version
        with self.service.db.transaction() as s:
            dossier = s.scalars(select(DossierRow).where(DossierRow.code == code)).one()
            jobs = list(s.scalars(select(JobRow).where(JobRow.dossier_id == dossier.id).order_by(JobRow.id)))
            for job in jobs:
                job.state, job.attempts = "done", 1
            for component in dossier.components:
                component.kind = "cccd_front"
                component.parts = [{"kind": "cccd_front", "confidence": 0.93, "pages": [0]}]
                with self.service.store.open(component.object_key) as stream:
                    width, height = Image.open(io.BytesIO(stream.read())).size
                for page in component.pages:
                    text = PageText(
                        page.index,
                        width,
                        height,
                        TextSource.OCR,
                        [TextLine(value, (box[0], box[1], box[2], box[3]), 0.8) for _, value, _, _, box in SEED_FIELDS],
                    )
                    if s.get(PageResultRow, (page.page_key, version)) is None:
                        s.add(PageResultRow(page_key=page.page_key, pipeline_version=version, result=text.to_dict()))
                for name, value, status, reason, box in SEED_FIELDS:
                    component.fields.append(
                        FieldRow(
                            name=name,
                            part=0,
                            value=value,
                            confidence=0.95 if status == "ok" else 0.55,
                            page=0,
                            box=box,
                            status=status,
                            sources=["ocr", "qr"] if status == "ok" else ["ocr"],
                            reason=reason,
                            detail={"qr": value} if status == "ok" else None,
                        )
                    )
            if failed_page and jobs:
                jobs[-1].state, jobs[-1].attempts, jobs[-1].last_error = "failed", 3, "TimeoutError: page took too long"
                dossier.state, dossier.attention_reason = "needs_attention", "trang-0.png trang 1: TimeoutError"
            else:
                dossier.state, dossier.attention_reason = "needs_review", None

    def _review_and_approve(self, code: str) -> None:
        for component in self._call("reviewer", "GET", f"/review/dossiers/{code}")["components"]:
            for f in component["fields"]:
                if f["status"] == "ok":
                    continue
                url = f"/review/dossiers/{code}/components/{component['id']}/fields/{f['name']}"
                if f["name"] in CORRECTIONS:
                    self._call("reviewer", "PUT", url, json={"value": CORRECTIONS[f["name"]]})
                else:
                    self._call("reviewer", "POST", url + "/confirm")
        self._call("reviewer", "POST", f"/review/dossiers/{code}/approve")

    def seed(self) -> Seeded:
        made = Seeded()
        made.dossiers["draft_empty"] = self._dossier(0, submit=False)
        made.dossiers["draft"] = self._dossier(1, submit=False)
        made.dossiers["to_submit"] = self._dossier(1, submit=False)
        made.dossiers["draft_pages"] = self._dossier(2, submit=False)
        made.dossiers["queued"] = self._dossier(1, submit=True)
        states = (("review", 2), ("attention", 1), ("validated", 2), ("to_ack", 1), ("delivered", 1), ("to_reopen", 1))
        for state, files in states:
            made.dossiers[state] = self._dossier(files, submit=True)
            self._read_in_db(made.dossiers[state]["code"], failed_page=state == "attention")
        for state in ("validated", "to_ack", "delivered", "to_reopen"):
            self._review_and_approve(made.dossiers[state]["code"])
        delivered = made.dossiers["delivered"]["code"]
        self._call("agency", "POST", f"/agency/dossiers/{delivered}/ack")
        self._call("agency", "POST", f"/agency/dossiers/{delivered}/status", json={"status": 4, "note": "Đang xử lý"})
        for state, dossier in made.dossiers.items():
            made.dossiers[state] = self._call("counter", "GET", f"/dossiers/{dossier['id']}")
        self._explicit(made)
        return made

    def _explicit_screen(self, made: Seeded) -> None:
        """The counter screen's operations: a draft's pages, its checklist, the receipt, the
        applicant from a card QR, the draft open on the clerk's screen."""
        d = made.dossiers
        pages = d["draft_pages"]
        ids = [str(c["id"]) for c in pages["components"]]
        applicant = {"full_name": "Trần Văn Thử", "date_of_birth": "05/09/1990", "address": "Số 1 phố Huế"}
        made.add("PATCH", "/dossiers/{ref}", Explicit({"ref": d["draft"]["id"]}, {"applicant": applicant}, JSON))
        made.add("GET", "/dossiers/{ref}/checklist", *(Explicit({"ref": d[s]["id"]}) for s in ("draft", "queued")))
        made.add("GET", "/dossiers/{ref}/receipt.pdf", Explicit({"ref": d["queued"]["code"]}, query={"paper": "A5"}))
        file_path = "/dossiers/{ref}/files/{component_id}"
        made.add("PATCH", file_path, Explicit({"ref": pages["id"], "component_id": ids[0]}, {"rotation": 90}, JSON))
        made.add(
            "GET",
            file_path + "/pages/{index}/thumbnail",
            Explicit({"ref": pages["id"], "component_id": ids[0], "index": "0"}),
        )
        made.add("PUT", "/dossiers/{ref}/order", Explicit({"ref": pages["id"]}, {"component_ids": ids[::-1]}, JSON))
        made.add("DELETE", file_path, Explicit({"ref": pages["id"], "component_id": ids[-1]}))
        payload = "001099000002|123456789|Trần Văn Thử|05091990|Nam|Số 1 phố Huế, Hà Nội|01012022"
        made.add("POST", "/applicant/from-qr", Explicit(body={"payload": payload}, media_type=JSON))
        station = "/counter/workstations/{username}"
        made.add("GET", station, Explicit({"username": "nv.fuzz"}))
        made.add("PUT", station, Explicit({"username": "nv.fuzz"}, {"dossier": d["draft"]["id"]}, JSON))
        made.add("POST", station + "/files", Explicit({"username": "nv.fuzz"}, {"file": png()}, "multipart/form-data"))

    def _explicit_review(self, made: Seeded) -> None:
        """The review workstation's operations: queue filters, claims, the typed-value check,
        document fixes, send-back and its form 02, the counter's list of sent-back dossiers."""
        d = made.dossiers
        review, attention = d["review"], d["attention"]
        filters = {"service_point": SERVICE_POINT, "procedure": PROCEDURE, "agency": AGENCY}
        made.add("GET", "/review/queue", Explicit(query={**filters, "limit": 5}))
        made.add("POST", "/review/next", Explicit(query={"procedure": PROCEDURE}))
        claim = "/review/dossiers/{ref}/claim"
        made.add("POST", claim, Explicit({"ref": review["code"]}))
        made.add("DELETE", claim, Explicit({"ref": review["code"]}))
        made.add("POST", "/review/check", Explicit(body={"name": "ngay_sinh", "value": "31/02/1990"}, media_type=JSON))
        component = review["components"][0]
        where = {"ref": review["code"], "component_id": str(component["id"])}
        parts = {"parts": [{"kind": "cccd_front", "pages": list(range(component["page_count"]))}]}
        made.add("PUT", "/review/dossiers/{ref}/components/{component_id}/parts", Explicit(where, parts, JSON))
        made.add(
            "POST",
            "/review/dossiers/{ref}/components/{component_id}/pages/{index}/rotate",
            Explicit({**where, "index": "0"}, {"degrees": 90}, JSON),
        )
        items = {"items": ["Bản sao giấy khai sinh có chứng thực"], "note": "Tờ khai thiếu chữ ký"}
        made.add("POST", "/review/dossiers/{ref}/send-back", Explicit({"ref": attention["code"]}, items, JSON))
        made.add("GET", "/counter/sent-back", Explicit())
        made.add(
            "GET", "/dossiers/{ref}/supplement-request.pdf", Explicit({"ref": attention["code"]}, query={"paper": "A5"})
        )

    def _explicit_dashboard(self, made: Seeded) -> None:
        """The leaders' dashboard (role supervisor; admin too): this month so far, a whole
        year, one service point, and both exports."""
        today = self.service.ctx.clock.now().date()
        year = {"from": today.replace(year=today.year - 1).isoformat(), "to": today.isoformat()}
        for path in ("/dashboard", "/dashboard/export.csv", "/dashboard/export.xlsx"):
            made.add("GET", path, Explicit(), Explicit(query={"service_point": SERVICE_POINT}), Explicit(query=year))

    def _explicit_national(self, made: Seeded) -> None:
        """Issue 18: the agencies' feed and webhooks (a loopback URL: nothing leaves the machine),
        history and sync export, reopening for a correction, and online submission."""
        d = made.dossiers
        made.add("GET", "/agency/events", Explicit(), Explicit(query={"limit": 2}))
        hook = {"url": "http://127.0.0.1:9/sohoa"}  # the discard port: every post fails, retried
        made.add("POST", "/agency/webhooks", Explicit(body=hook, media_type=JSON))
        made.add("GET", "/agency/webhooks", Explicit())
        webhook = self._call("agency", "POST", "/agency/webhooks", 201, json=hook)["id"]
        made.add("GET", "/agency/webhooks/{webhook_id}/deliveries", Explicit({"webhook_id": webhook}))
        made.add("DELETE", "/agency/webhooks/{webhook_id}", Explicit({"webhook_id": webhook}))
        for path in ("/agency/dossiers/{code}/history", "/agency/dossiers/{code}/sync"):
            made.add("GET", path, *(Explicit({"code": d[s]["code"]}) for s in ("validated", "delivered")))
        reason = {"reason": "Đính chính ngày sinh theo yêu cầu của cơ quan"}
        made.add("POST", "/review/dossiers/{ref}/reopen", Explicit({"ref": d["to_reopen"]["code"]}, reason, JSON))
        online = {"procedure_code": PROCEDURE, "applicant": {"full_name": "Lê Thị Trực Tuyến"}, "missing_reason": "thử"}
        made.add(
            "POST",
            "/online/dossiers",
            *(
                Explicit(
                    headers={"Idempotency-Key": f"fuzz-{uuid.uuid4().hex}"},  # each seeding its own
                    # Several files under one name: schemathesis would send them as text fields.
                    send={
                        "data": {"dossier": json.dumps(online, ensure_ascii=False)},
                        "files": [("files", ("anh.png", png())), ("files", ("trang-2.png", png()))],
                    },
                )
                for _ in range(2)
            ),
        )
        sent = self.http.post(
            self.base + "/online/dossiers",
            headers={"X-API-Key": self.keys["online"], "Idempotency-Key": f"seed-{uuid.uuid4().hex}"},
            data={"dossier": json.dumps(online, ensure_ascii=False)},
            files={"files": ("anh.png", png())},
        )
        if sent.status_code != 201:
            raise RuntimeError(f"seeding an online dossier: {sent.status_code} {sent.text[:300]}")
        made.add("GET", "/online/dossiers/{code}", Explicit({"code": sent.json()["code"]}))

    def _explicit(self, made: Seeded) -> None:
        d = made.dossiers
        codes = [x["code"] for x in d.values() if x["code"]]
        made.add("GET", "/procedures", Explicit())
        made.add(
            "POST",
            "/dossiers",
            Explicit(
                body={
                    "procedure_code": PROCEDURE,
                    "service_point_code": SERVICE_POINT,
                    "agency_code": AGENCY,
                    "applicant": {"full_name": "Trần Văn Thử", "id_number": "001099000002", "phone": "0987654321"},
                }
            ),
        )
        upload = {"file": png(), "source": "scan"}
        made.add(
            "POST",
            "/dossiers/{ref}/files",
            Explicit({"ref": d["draft"]["id"]}, upload, "multipart/form-data"),
            Explicit({"ref": d["review"]["code"]}, upload, "multipart/form-data"),
        )
        made.add(
            "POST",
            "/dossiers/{ref}/submit",
            *(Explicit({"ref": ref}) for ref in (d["to_submit"]["id"], d["draft_empty"]["id"], d["queued"]["code"])),
        )
        self._explicit_screen(made)
        self._explicit_review(made)
        self._explicit_dashboard(made)
        self._explicit_national(made)
        made.add("GET", "/dossiers/{ref}", *(Explicit({"ref": x["id"]}) for x in d.values()))
        made.add("GET", "/dossiers/{ref}", *(Explicit({"ref": code}) for code in codes))
        made.add("GET", "/review/queue", Explicit(query={"limit": 500}))
        made.add("GET", "/review/dossiers/{ref}", *(Explicit({"ref": code}) for code in codes))
        made.add("GET", "/review/dossiers/{ref}", Explicit({"ref": d["draft"]["id"]}))
        field_path = "/review/dossiers/{ref}/components/{component_id}/fields/{name}"
        for state in ("review", "attention", "validated", "delivered"):
            code = d[state]["code"]
            for c in d[state]["components"]:
                where = {"ref": code, "component_id": str(c["id"])}
                made.add(
                    "GET",
                    "/review/dossiers/{ref}/components/{component_id}/pages/{index}/image",
                    Explicit({**where, "index": "0"}),
                    Explicit({**where, "index": str(c["page_count"])}),
                )
                for name, *_ in SEED_FIELDS:
                    made.add("GET", field_path + "/crop", Explicit({**where, "name": name}, query={"part": 0}))
                    if state not in ("review", "attention"):
                        continue
                    value = CORRECTIONS.get(name, "NGUYỄN THỊ MẪU" if name == "ho_va_ten" else None)
                    if value is not None:
                        made.add(
                            "PUT", field_path, Explicit({**where, "name": name}, {"value": value}, "application/json")
                        )
                    made.add("POST", field_path + "/confirm", Explicit({**where, "name": name}, query={"part": 0}))
        made.add(
            "POST", "/review/dossiers/{ref}/retry", *(Explicit({"ref": d[s]["code"]}) for s in ("attention", "review"))
        )
        made.add(
            "POST",
            "/review/dossiers/{ref}/approve",
            *(Explicit({"ref": d[s]["code"]}) for s in ("review", "validated")),
        )
        made.add("GET", "/agency/dossiers", Explicit(query={"limit": 2}), Explicit(query={"include_delivered": True}))
        for state in ("validated", "delivered"):
            code = d[state]["code"]
            made.add("GET", "/agency/dossiers/{code}/manifest", Explicit({"code": code}))
            manifest = self._call("agency", "GET", f"/agency/dossiers/{code}/manifest")
            names = [f["name"] for f in manifest["files"]] + ["manifest.json"]
            made.add(
                "GET", "/agency/dossiers/{code}/files/{name}", *(Explicit({"code": code, "name": n}) for n in names)
            )
        made.add("POST", "/agency/dossiers/{code}/ack", Explicit({"code": d["to_ack"]["code"]}))
        made.add(
            "POST",
            "/agency/dossiers/{code}/status",
            *(
                Explicit({"code": d[s]["code"]}, {"status": 9, "note": "Đã xử lý xong"}, "application/json")
                for s in ("delivered", "validated")
            ),
        )
