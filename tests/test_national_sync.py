"""The national sync export (`GET /agency/dossiers/{code}/sync`): a real dossier's export is
valid against the JSON Schema written from the confirmed fields, and says what the dossier is:
its code, procedure, channel code, receipt time in Vietnam time (received 23:30 UTC is the next
day in Vietnam), status code, its documents digitized with links that download the package's
PDFs, and its history as QuaTrinhXuLy in time order. The mapping is data: every field carries
its public source or is marked unconfirmed, in the data and in docs/NATIONAL-SYNC.md."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
from sqlalchemy import select, update

from intake import national_sync
from intake.auth import Role
from intake.clock import VIETNAM
from storage.tables import AccessLogRow, DossierRow
from tests.intake_support import API, assert_error, make_settings
from tests.test_review_workstation import AN, NAME_FIELD, Desk, desk_for

AGENCY, OTHER_AGENCY = "000.00.20.H26", "000.00.30.H26"
ROOT = Path(__file__).resolve().parent.parent


class LastNightThenNow:
    """Vietnam time: the last 23:30 UTC (the next morning, 06:30, in Vietnam) until `go_on`,
    the system's time after it (the access log and jobs keep the machine's time)."""

    zone = VIETNAM

    def __init__(self) -> None:
        now = datetime.now(UTC)
        night = now.replace(hour=23, minute=30, second=0, microsecond=0)
        self.fixed: datetime | None = night if night < now else night - timedelta(days=1)

    def now(self) -> datetime:
        return (self.fixed or datetime.now(UTC)).astimezone(VIETNAM)

    def go_on(self) -> None:
        self.fixed = None


@pytest.fixture(scope="module")
def clock() -> LastNightThenNow:
    return LastNightThenNow()


@pytest.fixture(scope="module")
def desk(request, tmp_path_factory, clock: LastNightThenNow) -> Iterator[Desk]:  # noqa: ANN001
    settings = make_settings("local-sqlite", request, tmp_path_factory.mktemp("sync"))
    with desk_for(settings, clock) as running:  # type: ignore[arg-type]
        service = running.api.service
        running.api.keys.update(
            agency=service.keys.create(Role.AGENCY, AGENCY),
            other_agency=service.keys.create(Role.AGENCY, OTHER_AGENCY),
        )
        yield running


def ok(response) -> dict:  # noqa: ANN001
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def handed(desk: Desk, clock: LastNightThenNow) -> str:
    """A dossier received last night at 23:30 UTC, reviewed, approved and reported "4"."""
    code, cid = desk.staged([NAME_FIELD])
    clock.go_on()
    url = desk.field_url(code, cid, str(NAME_FIELD["name"]))
    ok(desk.client.put(url, json={"value": "NGUYỄN VĂN AN"}, headers=desk.h("an")))
    ok(desk.client.post(f"{API}/review/dossiers/{code}/approve", headers=desk.h("an")))
    ok(desk.client.post(f"{API}/agency/dossiers/{code}/ack", headers=desk.h("agency")))
    ok(desk.client.post(f"{API}/agency/dossiers/{code}/status", json={"status": 4}, headers=desk.h("agency")))
    return code


def sync(desk: Desk, code: str) -> dict:
    return ok(desk.client.get(f"{API}/agency/dossiers/{code}/sync", headers=desk.h("agency")))


def test_export_is_valid_and_says_what_the_dossier_is(desk: Desk, handed: str, clock: LastNightThenNow) -> None:
    export = sync(desk, handed)
    jsonschema.Draft202012Validator(national_sync.schema()).validate(export)
    push = export["DongBoHoSoMC"]
    assert push["service"] == "DongBoHoSoMC" and push["isUpdating"] == "False"
    (ho_so,) = push["data"]
    with desk.api.service.db.reading() as s:
        row = s.scalar(select(DossierRow).where(DossierRow.code == handed))
        assert row is not None and row.received_at is not None and row.due_date is not None
        received = row.received_at
    # Received 23:30 UTC: 06:30 the next day in Vietnam.
    assert received.astimezone(UTC).strftime("%H%M") == "2330"
    next_day = (received.astimezone(UTC) + timedelta(days=1)).strftime("%Y%m%d")
    assert ho_so["NgayTiepNhan"] == f"{next_day}063000" == ho_so["NgayNopHoSo"]
    assert ho_so["NgayHenTra"] == row.due_date.replace("-", "") + "170000"
    assert (ho_so["MaHoSo"], ho_so["MaTTHC"], ho_so["TenTTHC"]) == (handed, "2.000200", "Cấp thẻ căn cước")
    assert (ho_so["KenhThucHien"], ho_so["TrangThaiHoSo"], ho_so["LoaiDoiTuong"]) == ("1", "4", "1")
    assert ho_so["ChuHoSo"] == "Phạm Thị Mẫu" and ho_so["DonViXuLy"] == "Công an thành phố Hà Nội"
    assert ho_so["HoSoCoThanhPhanSoHoa"] == "1"

    manifest = ok(desk.client.get(f"{API}/agency/dossiers/{handed}/manifest", headers=desk.h("agency")))
    (document,) = ho_so["TaiLieuNop"]
    pdf = manifest["components"][0]["searchable_pdf"]
    assert document["DuocSoHoa"] == "1" and document["TenTepDinhKem"] == "trang.png"
    assert document["DuongDanTaiTepTin"].endswith(f"/api/v1/agency/dossiers/{handed}/files/{pdf}")
    downloaded = desk.client.get(urlsplit(document["DuongDanTaiTepTin"]).path, headers=desk.h("agency"))
    assert downloaded.status_code == 200 and downloaded.content.startswith(b"%PDF")
    listed = next(f for f in manifest["files"] if f["name"] == pdf)
    assert hashlib.sha256(downloaded.content).hexdigest() == listed["sha256"] == document["Sha256"]
    if listed.get("signature"):  # a signed package: its signature's facts go with the document
        assert document["ChuKySo"]["NguoiKy"] == listed["signature"]["signer"]
        assert re.fullmatch(r"\d{14}", document["ChuKySo"]["ThoiDiemKy"])
    else:
        assert "ChuKySo" not in document


def test_progress_is_the_history_in_time_order(desk: Desk, handed: str) -> None:
    export = sync(desk, handed)
    progress = export["CapNhatTienDoHoSoMC"]
    assert progress["service"] == "CapNhatTienDoHoSoMC"
    entries = progress["data"]
    history = ok(desk.client.get(f"{API}/agency/dossiers/{handed}/history", headers=desk.h("agency")))["items"]
    assert [e["NoiDungXuLy"].split(":")[0] for e in entries] == [i["action_label"] for i in history]
    assert [i["action"] for i in history] == [
        "received", "digitized", "reviewed", "approved", "acknowledged", "status_reported",
    ]  # fmt: skip
    times = [e["ThoiDiemXuLy"] for e in entries]
    assert times == sorted(times)
    assert times[0] == export["DongBoHoSoMC"]["data"][0]["NgayTiepNhan"]
    for entry, item in zip(entries, history, strict=True):
        at = datetime.fromisoformat(item["at"]).astimezone(VIETNAM)
        assert entry["ThoiDiemXuLy"] == at.strftime("%Y%m%d%H%M%S")
        assert entry["MaHoSo"] == handed and entry["TrangThai"] == str(item["national_status"])
    assert [e["TrangThai"] for e in entries][-1] == "4"
    by_content = {e["NoiDungXuLy"].split(":")[0]: e for e in entries}
    reviewed = by_content["Kiểm tra kết quả số hóa"]
    assert reviewed["NguoiXuLy"] == AN and reviewed["ChucDanh"] == "Chuyên viên kiểm tra số hóa"
    assert by_content["Số hóa, nhận dạng xong"]["NguoiXuLy"] == national_sync.READING_SERVICE
    assert by_content["Tiếp nhận hồ sơ"]["PhongBanXuLy"] == "Điểm phục vụ hành chính công phường Hoàn Kiếm"


def test_channel_codes_come_from_the_mapping(desk: Desk, handed: str) -> None:
    with desk.api.service.db.transaction() as s:
        s.execute(update(DossierRow).where(DossierRow.code == handed).values(channel="postal"))
    try:
        assert sync(desk, handed)["DongBoHoSoMC"]["data"][0]["KenhThucHien"] == "3"
        with desk.api.service.db.transaction() as s:
            s.execute(update(DossierRow).where(DossierRow.code == handed).values(channel="online"))
        assert sync(desk, handed)["DongBoHoSoMC"]["data"][0]["KenhThucHien"] == "2"
        with desk.api.service.db.transaction() as s:
            s.execute(update(DossierRow).where(DossierRow.code == handed).values(channel="fax"))
        with pytest.raises(ValueError, match="KenhThucHien has no code for 'fax'"):
            sync(desk, handed)  # a value the mapping has no code for is never sent as is
    finally:
        with desk.api.service.db.transaction() as s:
            s.execute(update(DossierRow).where(DossierRow.code == handed).values(channel="counter"))


def test_export_is_its_agencys_only_and_recorded(desk: Desk, handed: str) -> None:
    url = f"{API}/agency/dossiers/{handed}/sync"
    assert_error(desk.client.get(url, headers=desk.h("other_agency")), 404, "DOSSIER_NOT_FOUND")
    assert_error(desk.client.get(url, headers=desk.h("an")), 403, "FORBIDDEN")
    sync(desk, handed)
    with desk.api.service.db.reading() as s:
        readers = s.scalars(
            select(AccessLogRow.principal).where(AccessLogRow.dossier_code == handed, AccessLogRow.action == "sync")
        ).all()
    assert readers and set(readers) == {AGENCY}


# --- the mapping as data ---------------------------------------------------------------------------


def _specs(fields: list[dict]) -> Iterator[dict]:
    for spec in fields:
        yield spec
        yield from _specs(spec.get("items", []))


def _all_specs() -> list[dict]:
    return [spec for message in national_sync.mapping()["messages"] for spec in _specs(message["fields"])]


def _schema_properties(node: object) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        found |= set(node.get("properties", {}))
        for value in node.values():
            found |= _schema_properties(value)
    elif isinstance(node, list):
        for value in node:
            found |= _schema_properties(value)
    return found


def test_every_field_has_its_source_and_the_schema_only_confirmed_ones() -> None:
    rules = national_sync.mapping()
    tags = set(rules["sources"])
    specs = _all_specs()
    for spec in specs:
        assert isinstance(spec["confirmed"], bool), spec["field"]
        assert spec["source"] and set(spec["source"]) <= tags, spec["field"]
        assert spec["confirmed"] is False or "SOHOA" not in spec["source"], spec["field"]
        assert "constant" in spec or "from" in spec or spec.get("emit") is False, spec["field"]
    unconfirmed = {s["field"] for s in specs if not s["confirmed"]}
    confirmed = {s["field"] for s in specs if s["confirmed"]}
    in_schema = _schema_properties(national_sync.schema())
    assert in_schema - {"DongBoHoSoMC", "CapNhatTienDoHoSoMC"} <= confirmed
    assert not in_schema & (unconfirmed - confirmed)  # e.g. ChuKySo, Sha256: ours, not in the schema


def test_docs_list_every_field_and_mark_the_unconfirmed() -> None:
    doc = (ROOT / "docs" / "NATIONAL-SYNC.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([A-Za-z0-9]+)` \|.*$", doc, re.MULTILINE)}
    for spec in _all_specs():
        assert spec["field"] in rows, spec["field"]
        if not spec["confirmed"]:
            assert "UNCONFIRMED" in rows[spec["field"]], spec["field"]


def test_dates_are_vietnam_time_whatever_the_zone_given() -> None:
    context = {"dossier": {"received_at": datetime(2026, 12, 31, 17, 5, 9, tzinfo=UTC)}}
    rules = {
        **national_sync.mapping(),
        "messages": [
            {"name": "m", "fields": [{"field": "NgayTiepNhan", "from": "$.dossier.received_at", "format": "datetime"}]}
        ],
    }
    assert national_sync.export(context, rules) == {"m": {"NgayTiepNhan": "20270101000509"}}
    assert json.dumps(national_sync.mapping(), ensure_ascii=False)  # plain JSON data
