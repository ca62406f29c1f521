"""Signed digital copies (docs/SIGNING.md): every package PDF of an approved dossier carries the
center's PAdES signature, which pyHanko's validator accepts and chains to the tests' own CA, with
the signing unit and the service's time; the manifest records it and the database keeps the
manifest's SHA-256. One byte changed in a stored package PDF (local store and the real S3 server)
is reported by the real `sohoa check` and refused by the agency download (409 PACKAGE_TAMPERED).
Keys from a PKCS#12 file, a SoftHSM2 token (PKCS#11) and the development certificate; PAdES B-T
against a time-stamping server on loopback; a key that cannot be used fails the approval with
SIGNING_UNAVAILABLE and leaves the dossier in review. PDF/A-2b: our structural check passes on a
package PDF, signed, and fails on one without an output intent."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from intake.auth import Principal, Role
from intake.clock import FixedClock
from intake.errors import ServiceError
from intake.service import IntakeService, open_service
from intake.settings import Settings
from intake.signing import open_signer, trust_roots, verify_pdf
from intake.signing_keys import DEVELOPMENT_MARK
from models.document import PageText, TextLine, TextSource
from models.errors import ErrorCode
from pipeline.output.pdfa import pdfa_problems
from pipeline.output.searchable_pdf import PageImage, build_searchable_pdf
from storage.objects import LocalObjectStore, S3ObjectStore
from storage.tables import DossierRow
from tests.intake_support import API, BACKENDS, assert_error, make_settings, start_api, submit_files
from tests.integrity_support import command_environment, png, ready_for_review
from tests.signing_support import (
    CENTER_CN,
    KEY_LABEL,
    PIN,
    SOFTHSM_MODULE,
    TOKEN_LABEL,
    Pki,
    make_ca,
    make_pki,
    running_tsa,
    softhsm_conf,
    softhsm_token,
)

pytestmark = [pytest.mark.services, pytest.mark.xdist_group("services")]

REVIEWER = Principal(Role.REVIEWER, "kt.kiemtra")
SOHOA = str(Path(sys.executable).parent / "sohoa")
SIGNED_AT = datetime(2026, 12, 4, 2, 30, tzinfo=UTC)  # 09:30 in Hà Nội
UNIT = "Trung tâm Phục vụ hành chính công tỉnh Thử Nghiệm"


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def _signing(pki: Pki, **more: object) -> dict:
    return {
        "pkcs12_file": pki.pkcs12_file,
        "pkcs12_password": pki.password,
        "trust_roots": [pki.ca_file],
        "signer_unit": UNIT,
        "location": "Hà Nội",
        **more,
    }


def _read(service: IntakeService, key: str) -> bytes:
    with service.store.open(key) as stream:
        return stream.read()


def _approved(service: IntakeService, *seeds: int) -> tuple[str, dict]:
    """A dossier of one small scan per seed, read (as OCR would leave it) and approved: its code
    and its package's manifest."""
    code = submit_files(service, *((f"trang-{seed}.png", png(seed)) for seed in seeds))
    ready_for_review(service, code, ("quoc_tich",))
    service.review.approve(REVIEWER, code)
    with service.db.reading() as s:
        prefix = s.scalar(select(DossierRow.package_prefix).where(DossierRow.code == code))
    return code, json.loads(_read(service, f"{prefix}manifest.json"))


def _page(text: str = "Họ và tên: Nguyễn Văn Mẫu") -> PageImage:
    buffer = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (600, 400), (235, 235, 230)).save(buffer, format="JPEG")
    return PageImage(buffer.getvalue(), PageText(0, 600, 400, TextSource.OCR, [TextLine(text, (20, 20, 400, 60), 0.9)]))


# --- an approved dossier, on each backend -----------------------------------------------------


@dataclass
class Signed:
    settings: Settings
    service: IntakeService
    code: str
    manifest: dict

    @property
    def prefix(self) -> str:
        return f"packages/{self.code}/"

    def pdfs(self) -> list[dict]:
        return [f for f in self.manifest["files"] if f["media_type"] == "application/pdf"]

    def env(self) -> dict[str, str]:
        """What an operator's `sohoa check` reads: this database, store and trust roots."""
        return command_environment(
            self.settings,
            SOHOA_SIGNING__TRUST_ROOTS=json.dumps([str(p) for p in self.settings.signing.trust_roots]),
            SOHOA_SIGNING__PKCS12_FILE=str(self.settings.signing.pkcs12_file),
        )


@pytest.fixture
def signed(request, tmp_path, pki) -> Iterator[Signed]:
    backend = getattr(request, "param", "local-sqlite")
    settings = make_settings(backend, request, tmp_path, signing=_signing(pki))
    service = open_service(settings, clock=FixedClock(SIGNED_AT))
    code, manifest = _approved(service, 21, 22)
    yield Signed(settings, service, code, manifest)
    service.db.dispose()


def _overwrite(service: IntakeService, key: str, data: bytes) -> None:
    """A change made in the store itself, not through the product."""
    store = service.store
    if isinstance(store, LocalObjectStore):
        (store.root / key).write_bytes(data)
    else:
        assert isinstance(store, S3ObjectStore)
        store.client.put_object(store.bucket, key, io.BytesIO(data), len(data))


@pytest.mark.parametrize("signed", BACKENDS, indirect=True)
def test_every_package_pdf_is_signed_by_the_center_and_verifies(signed, pki):
    pdfs = signed.pdfs()
    assert len(pdfs) == 2
    for entry in pdfs:
        data = _read(signed.service, signed.prefix + entry["name"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]  # of the bytes as signed and stored
        check = verify_pdf(data, [pki.ca.asn1()])
        assert check.ok, check
        assert check.signer == CENTER_CN
        assert check.signed_at == SIGNED_AT
        assert entry["signature"] == {
            "signer": CENTER_CN,
            "unit": UNIT,
            "certificate_sha256": hashlib.sha256(pki.center.asn1().dump()).hexdigest(),
            "signed_at": "2026-12-04T09:30:00+07:00",
            "timestamped": False,
            "pdfa": "2B",
        }
        assert pdfa_problems(data) == []  # the signature's incremental update kept it PDF/A
        assert b"/Reason" in data and b"/Location" in data and b"/Name" in data
        # another CA's roots do not vouch for it: the chain is really checked
        assert not verify_pdf(data, [make_ca("CA khác").asn1()]).trusted
    with signed.service.db.reading() as s:
        recorded = s.scalar(select(DossierRow.package_manifest_sha256).where(DossierRow.code == signed.code))
    assert recorded == hashlib.sha256(_read(signed.service, signed.prefix + "manifest.json")).hexdigest()


def _sohoa_check(signed: Signed) -> tuple[int, dict]:
    done = subprocess.run(
        [SOHOA, "check", "--json", "--quiet"],
        env=signed.env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return done.returncode, json.loads(done.stdout)


def _found(report: dict) -> set[tuple[str, str | None, str | None]]:
    return {(f["code"], f["dossier"], f["object_key"]) for f in report["findings"] if f["level"] == "error"}


@pytest.mark.parametrize("signed", BACKENDS, indirect=True)
def test_one_byte_changed_is_reported_by_sohoa_check_and_refused_to_the_agency(signed):
    returncode, report = _sohoa_check(signed)
    assert returncode == 0 and _found(report) == set(), report
    assert report["summary"]["checked"]["signatures"] == 2

    pdf, other = (signed.prefix + f["name"] for f in signed.pdfs())
    data = _read(signed.service, pdf)
    at = len(data) // 2  # inside the page image: still a readable PDF, its signed bytes changed
    _overwrite(signed.service, pdf, data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :])

    returncode, report = _sohoa_check(signed)
    assert returncode == 1
    assert _found(report) == {
        ("PACKAGE_FILE_MISMATCH", signed.code, pdf),
        ("PACKAGE_SIGNATURE_INVALID", signed.code, pdf),
    }
    assert "chữ ký số" in next(f["message"] for f in report["findings"] if f["code"] == "PACKAGE_SIGNATURE_INVALID")

    with start_api(signed.settings, process=False, service=signed.service) as api:
        url = f"{API}/agency/dossiers/{signed.code}/files/"
        refused = api.client.get(url + pdf.removeprefix(signed.prefix), headers=api.headers("agency"))
        assert_error(refused, 409, "PACKAGE_TAMPERED")
        served = api.client.get(
            url + other.removeprefix(signed.prefix), headers=api.headers("agency"), follow_redirects=False
        )
        assert served.status_code in (200, 307), served.text  # the untouched one is still given (or presigned)

        # The manifest edited to match the changed file: the hash kept at approval says otherwise.
        manifest = dict(signed.manifest)
        changed = _read(signed.service, pdf)
        manifest["files"] = [
            f | {"sha256": hashlib.sha256(changed).hexdigest()} if signed.prefix + f["name"] == pdf else f
            for f in manifest["files"]
        ]
        _overwrite(signed.service, signed.prefix + "manifest.json", json.dumps(manifest).encode())
        assert_error(api.client.get(url + "manifest.json", headers=api.headers("agency")), 409, "PACKAGE_TAMPERED")
        assert_error(
            api.client.get(url + other.removeprefix(signed.prefix), headers=api.headers("agency")),
            409,
            "PACKAGE_TAMPERED",
        )
    returncode, report = _sohoa_check(signed)
    assert ("PACKAGE_MANIFEST_ALTERED", signed.code, signed.prefix + "manifest.json") in _found(report)
    assert ("PACKAGE_SIGNATURE_INVALID", signed.code, pdf) in _found(report)


# --- keys -------------------------------------------------------------------------------------


def test_a_wrong_pkcs12_password_fails_the_approval_and_the_dossier_stays_in_review(tmp_path, pki, request):
    settings = make_settings("local-sqlite", request, tmp_path, signing=_signing(pki, pkcs12_password="sai-mật-khẩu"))
    service = open_service(settings)
    code = submit_files(service, ("trang.png", png(31)))
    ready_for_review(service, code, ("quoc_tich",))
    with pytest.raises(ServiceError) as refused:
        service.review.approve(REVIEWER, code)
    assert refused.value.code is ErrorCode.SIGNING_UNAVAILABLE
    with service.db.reading() as s:
        row = s.scalar(select(DossierRow).where(DossierRow.code == code))
        assert row is not None
        assert (row.state, row.package_prefix, row.package_manifest_sha256) == ("needs_review", None, None)
    assert not list(service.store.keys(f"packages/{code}/"))  # nothing half-signed was stored
    service.db.dispose()


def test_a_softhsm_token_signs_through_pkcs11(tmp_path, pki, monkeypatch):
    monkeypatch.setenv("SOFTHSM2_CONF", str(softhsm_conf(tmp_path / "hsm")))
    softhsm_token(tmp_path / "hsm", pki.center)
    token = {
        "pkcs11_module": SOFTHSM_MODULE,
        "pkcs11_token_label": TOKEN_LABEL,
        "pkcs11_key_label": KEY_LABEL,
        "pkcs11_pin": PIN,
        "trust_roots": [pki.ca_file],
        "signer_unit": UNIT,
    }
    settings = Settings(data_dir=tmp_path / "data", signing=token)
    with open_signer(settings, FixedClock(SIGNED_AT)) as signer:
        signed, record = signer.sign(build_searchable_pdf([_page()]))
    check = verify_pdf(signed, trust_roots(settings))
    assert check.ok and check.signer == CENTER_CN and record.signer == CENTER_CN, check
    assert record.certificate_sha256 == check.certificate_sha256
    wrong_pin = Settings(data_dir=tmp_path / "data", signing=token | {"pkcs11_pin": "000000"})
    with pytest.raises(ServiceError) as refused, open_signer(wrong_pin, FixedClock(SIGNED_AT)):
        pass
    assert refused.value.code is ErrorCode.SIGNING_UNAVAILABLE


def test_the_development_certificate_is_made_once_says_so_and_verifies(tmp_path, caplog):
    settings = Settings(data_dir=tmp_path / "data")  # no key configured
    records = []
    for _ in range(2):
        with open_signer(settings, FixedClock(SIGNED_AT)) as signer:
            signed, record = signer.sign(build_searchable_pdf([_page()]))
            records.append(record)
    assert records[0].certificate_sha256 == records[1].certificate_sha256  # made once, reused
    assert DEVELOPMENT_MARK in records[0].signer
    assert "DEVELOPMENT certificate" in caplog.text
    assert verify_pdf(signed, trust_roots(settings)).ok
    production = Settings(data_dir=tmp_path / "data", signing={"development_certificate": False})
    assert not verify_pdf(signed, trust_roots(production)).trusted  # never trusted once it is not what signs
    with pytest.raises(ServiceError) as refused, open_signer(production, FixedClock(SIGNED_AT)):
        pass
    assert refused.value.code is ErrorCode.SIGNING_UNAVAILABLE


def test_signing_and_verifying_work_where_an_event_loop_already_runs(tmp_path):
    """pyHanko runs its own event loop: a caller already inside one (an async worker, a test
    driving a browser) still gets a signed copy that verifies, not SIGNING_UNAVAILABLE."""
    settings = Settings(data_dir=tmp_path / "data")

    async def inside_a_loop() -> bool:
        with open_signer(settings, FixedClock(SIGNED_AT)) as signer:
            signed, _record = signer.sign(build_searchable_pdf([_page()]))
        return verify_pdf(signed, trust_roots(settings)).ok

    assert asyncio.run(inside_a_loop())


def test_a_time_stamp_from_the_tsa_makes_it_pades_b_t(tmp_path, pki):
    with running_tsa(pki) as tsa:
        settings = Settings(data_dir=tmp_path / "data", signing=_signing(pki, tsa_url=tsa.url))
        with open_signer(settings, FixedClock(SIGNED_AT)) as signer:
            signed, record = signer.sign(build_searchable_pdf([_page()]))
        assert tsa.requests  # the server was asked
    check = verify_pdf(signed, trust_roots(settings))
    assert check.ok and check.timestamped and record.timestamped, check
    assert pdfa_problems(signed) == []
    down = Settings(data_dir=tmp_path / "data", signing=_signing(pki, tsa_url=tsa.url))  # the server is gone now
    with pytest.raises(ServiceError) as refused, open_signer(down, FixedClock(SIGNED_AT)) as signer:
        signer.sign(build_searchable_pdf([_page()]))
    assert refused.value.code is ErrorCode.SIGNING_UNAVAILABLE


# --- PDF/A-2b ---------------------------------------------------------------------------------


def test_pdfa_check_passes_on_ours_and_fails_without_output_intent_or_with_a_font_left_out():
    ours = build_searchable_pdf([_page()], title="HS-01 — Tờ khai")
    assert pdfa_problems(ours) == []
    assert build_searchable_pdf([_page()], title="HS-01 — Tờ khai") == ours  # still deterministic
    plain = build_searchable_pdf([_page()], title="HS-01 — Tờ khai", pdfa=False)
    problems = pdfa_problems(plain)
    assert "no PDF/A output intent (/GTS_PDFA1)" in problems and "no XMP metadata stream" in problems
    from fpdf import FPDF

    core = FPDF()
    core.add_page()
    core.set_font("helvetica")  # a standard font, never embedded
    core.text(10, 10, "x")
    assert any("not embedded" in p for p in pdfa_problems(bytes(core.output())))
