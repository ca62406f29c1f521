"""The leaders' indicators (docs/INDICATORS.md) on a database whose answers are known by
construction: dossiers received on known Vietnam days at two service points through known
channels, handed over at known times against known appointment dates, with fields left alone,
confirmed or corrected. Every figure is asserted per point and city-wide, on SQLite and once
on PostgreSQL; the period's edges in Vietnam time (23:59 on the last day counts, 00:01 the next
day does not, though both are the same UTC date); the API's refusals; the CSV and XLSX hold the
same numbers."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from intake.auth import Role
from intake.clock import VIETNAM, FixedClock
from intake.service import IntakeService, open_service
from intake.settings import Settings
from storage.db import Database
from storage.tables import ComponentRow, DossierRow, FieldRow, ReviewEditRow
from tests.intake_support import API, start_api

HK, BD = "HN-HOANKIEM", "HN-BADINH"
OL = "HN-TRUCTUYEN"  # the online reception point: listed, nothing received there in these tests
TODAY = datetime(2026, 8, 5, 9, 30, tzinfo=VIETNAM)  # "overdue now" is measured against this day
JULY = {"from": "2026-07-01", "to": "2026-07-31"}


def vn(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VIETNAM)


@dataclass(frozen=True)
class Seed:
    """One dossier: where and how it came, when it was received and handed over, its fields
    (None: no reviewer touched it; "confirm" or "correct": a reviewer's edit)."""

    point: str
    channel: str
    received: datetime | None
    state: str
    due: str | None
    pages: int
    fields: tuple[str | None, ...] = ()
    approved: datetime | None = None
    green: bool = False


SEEDS = (
    # Hoàn Kiếm
    Seed(
        HK,
        "counter",
        vn(7, 1, 8),
        "validated",
        "2026-07-03",
        3,
        (None,) * 4 + ("correct", "confirm"),
        vn(7, 1, 12),
        green=True,
    ),  # 4 h, early
    Seed(
        HK, "online", vn(7, 2, 9), "delivered", "2026-07-04", 2, (None, None, "correct", "correct"), vn(7, 4, 9)
    ),  # 48 h, on the day
    Seed(HK, "postal", vn(7, 10, 10), "validated", "2026-07-15", 5, (None,) * 3, vn(7, 20, 10)),  # 240 h, late
    Seed(HK, "counter", vn(7, 31, 23, 59), "needs_review", "2026-08-03", 1, (None, None)),  # last minute: counts
    Seed(HK, "counter", vn(8, 1, 0, 1), "needs_review", "2026-08-04", 7),  # next day: not July; overdue now
    # received in June, handed over in July (10 h 1 min, on the appointment day)
    Seed(HK, "counter", vn(6, 30, 23, 59), "delivered", "2026-07-01", 2, (None, None), vn(7, 1, 10)),
    Seed(HK, "counter", vn(7, 5, 9), "sent_back", "2026-07-08", 1),  # waits for the citizen: not overdue
    Seed(HK, "counter", vn(7, 6, 9), "queued", "2026-07-09", 2, green=True),  # overdue now
    # Ba Đình
    # handed over at 06:00 Vietnam time on the appointment day: the UTC date is the day before
    Seed(
        BD, "online", vn(7, 3, 8), "delivered", "2026-07-05", 4, (None,) * 5 + ("confirm",), vn(7, 5, 6), green=True
    ),  # 46 h
    Seed(
        BD, "counter", vn(7, 15, 14), "validated", None, 2, (None, None, "correct", "correct"), vn(7, 16, 14)
    ),  # 24 h, no appointment date
    Seed(BD, "counter", None, "draft", None, 3, (None,)),  # never received: counts nowhere
    Seed(
        BD, "counter", vn(7, 20, 9), "validated", "2026-08-10", 1, ("correct", "correct"), vn(8, 2, 9)
    ),  # handed over in August
)

# The answers, worked out by hand from SEEDS (docs/INDICATORS.md for each definition).
EXPECTED = {
    HK: {
        "received": 6, "received_by_channel": {"counter": 4, "online": 1, "postal": 1}, "pages_digitized": 14,
        "reviewed_dossiers": 3, "fields_total": 13, "fields_unreviewed": 9, "fields_unreviewed_share": 9 / 13,
        "corrections": 3, "corrections_per_dossier": 1.0,
        "handed_over": 4, "with_due_date": 4, "handed_over_early": 1, "handed_over_on_time": 3,
        "early_share": 0.25, "on_time_share": 0.75,
        # durations 4, 10 h 1 min, 48, 240 h: p50 at 1.5, p95 at 2.85 (linear interpolation)
        "handover_hours_p50": (10 + 1 / 60) + 0.5 * (48 - (10 + 1 / 60)), "handover_hours_p95": 48 + 0.85 * 192,
        "green_lane": 2, "green_lane_share": 2 / 6, "overdue_now": 3,
    },
    BD: {
        "received": 3, "received_by_channel": {"counter": 2, "online": 1, "postal": 0}, "pages_digitized": 7,
        "reviewed_dossiers": 3, "fields_total": 12, "fields_unreviewed": 7, "fields_unreviewed_share": 7 / 12,
        "corrections": 4, "corrections_per_dossier": 4 / 3,
        "handed_over": 2, "with_due_date": 1, "handed_over_early": 0, "handed_over_on_time": 1,
        "early_share": 0.0, "on_time_share": 1.0,
        "handover_hours_p50": 35.0, "handover_hours_p95": 24 + 0.95 * 22,  # durations 24, 46 h
        "green_lane": 1, "green_lane_share": 1 / 3, "overdue_now": 0,
    },
    "city": {
        "received": 9, "received_by_channel": {"counter": 6, "online": 2, "postal": 1}, "pages_digitized": 21,
        "reviewed_dossiers": 6, "fields_total": 25, "fields_unreviewed": 16, "fields_unreviewed_share": 16 / 25,
        "corrections": 7, "corrections_per_dossier": 7 / 6,
        "handed_over": 6, "with_due_date": 5, "handed_over_early": 1, "handed_over_on_time": 4,
        "early_share": 0.2, "on_time_share": 0.8,
        # durations 4, 10 h 1 min, 24, 46, 48, 240 h: p50 at 2.5, p95 at 4.75
        "handover_hours_p50": 35.0, "handover_hours_p95": 48 + 0.75 * 192,
        "green_lane": 3, "green_lane_share": 3 / 9, "overdue_now": 3,
    },
}  # fmt: skip


def seed_city(db: Database) -> None:
    """Write SEEDS to the database as the counter, the pipeline and the reviewers leave them."""
    with db.transaction() as s:
        for n, seed in enumerate(SEEDS):
            dossier = DossierRow(
                public_id=str(uuid.uuid4()),
                code=None if seed.received is None else f"000.00.12.H26-2607{n:02d}-{n:04d}",
                procedure_code="2.000200",
                service_point_code=seed.point,
                agency_code="000.00.20.H26",
                applicant_name="Nguyễn Thị Mẫu",
                created_by="nv.mau",
                received_at=seed.received,
                due_date=seed.due,
                state=seed.state,
                approved_at=seed.approved,
                approved_by="kt.mau" if seed.approved else None,
                green_lane=seed.green,
                channel=seed.channel,
            )
            component = ComponentRow(
                position=0,
                filename="ho-so.pdf",
                file_sha256=f"{n:064x}",
                object_key=f"originals/{n:064x}",
                media_type="application/pdf",
                size_bytes=1000,
                source="scan",
                page_count=seed.pages,
                uploaded_by="nv.mau",
            )
            dossier.components.append(component)
            for i, edit in enumerate(seed.fields):
                field = FieldRow(name=f"truong_{i}", value="x", confidence=0.9, page=0, box=[0, 0, 1, 1], status="ok")
                if edit is not None:
                    field.edits.append(ReviewEditRow(reviewer="kt.mau", action=edit, old_value="x", new_value="y"))
                component.fields.append(field)
            s.add(dossier)


def assert_figures(figures: dict, expected: dict, where: str) -> None:
    for name, answer in expected.items():
        if isinstance(answer, float):
            assert figures[name] == pytest.approx(answer, abs=1e-3), (where, name, figures[name], answer)
        else:
            assert figures[name] == answer, (where, name, figures[name], answer)


def service_on(settings: Settings) -> IntakeService:
    service = open_service(settings, clock=FixedClock(TODAY))
    seed_city(service.db)
    return service


@pytest.fixture
def city(tmp_path) -> IntakeService:
    return service_on(Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache"))


def dashboard(service: IntakeService, **query: str) -> dict:
    first, last = query.get("from"), query.get("to")
    return service.indicators.dashboard(
        date.fromisoformat(first) if first else None,
        date.fromisoformat(last) if last else None,
        query.get("service_point"),
    ).model_dump(mode="json")


def test_every_indicator_equals_the_known_answer_per_point_and_city_wide(city):
    body = dashboard(city, **JULY)
    assert (body["date_from"], body["date_to"], body["today"]) == ("2026-07-01", "2026-07-31", "2026-08-05")
    points = {p["code"]: p for p in body["points"]}
    assert set(points) == {HK, BD, OL} and points[OL]["received"] == 0
    assert_figures(points[HK], EXPECTED[HK], HK)
    assert_figures(points[BD], EXPECTED[BD], BD)
    assert_figures(body["city"], EXPECTED["city"], "city")


def test_the_daily_series_counts_by_vietnam_day(city):
    series = {d["day"]: d for d in dashboard(city, **JULY)["series"]}
    assert len(series) == 31 and min(series) == "2026-07-01" and max(series) == "2026-07-31"
    assert series["2026-07-01"]["received_by_channel"] == {"counter": 1, "online": 0, "postal": 0}
    assert series["2026-07-01"]["handed_over"] == 2  # one received that day, one received on 30 June
    assert series["2026-07-31"]["received_by_channel"]["counter"] == 1  # 23:59 on the last day
    # handed over at 06:00 on 5 July Vietnam time (4 July in UTC)
    assert (series["2026-07-04"]["handed_over"], series["2026-07-05"]["handed_over"]) == (1, 1)
    total = sum(sum(d["received_by_channel"].values()) for d in series.values())
    assert total == EXPECTED["city"]["received"]


def test_the_period_edges_are_vietnam_midnights(city):
    """23:59 on 31 July counts in July; 00:01 on 1 August, the same UTC day, counts in August."""
    last_minute = vn(7, 31, 23, 59).astimezone(UTC)
    next_day = vn(8, 1, 0, 1).astimezone(UTC)
    assert last_minute.date() == next_day.date()  # what a UTC-day count would mix up
    one_day = dashboard(city, **{"from": "2026-07-31", "to": "2026-07-31"})
    assert (one_day["city"]["received"], one_day["points"][0]["received"]) == (1, 1)
    august = dashboard(city, **{"from": "2026-08-01", "to": "2026-08-01"})
    assert august["city"]["received"] == 1 and august["city"]["pages_digitized"] == 7
    by_default = dashboard(city)  # this month so far, by the clock: 1 to 5 August
    assert (by_default["date_from"], by_default["date_to"]) == ("2026-08-01", "2026-08-05")
    assert by_default["city"]["received"] == 1
    assert by_default["city"]["handed_over"] == 1  # Ba Đình's, on 2 August
    assert by_default["city"]["overdue_now"] == EXPECTED["city"]["overdue_now"]  # not bound to the period


def test_one_service_point_narrows_points_and_series_not_the_city(city):
    body = dashboard(city, service_point=BD, **JULY)
    assert [p["code"] for p in body["points"]] == [BD]
    assert_figures(body["points"][0], EXPECTED[BD], BD)
    assert_figures(body["city"], EXPECTED["city"], "city")
    assert sum(sum(d["received_by_channel"].values()) for d in body["series"]) == EXPECTED[BD]["received"]


@pytest.mark.services
def test_the_same_answers_on_postgresql(postgres_server, tmp_path):
    url = postgres_server.create_database(f"t{uuid.uuid4().hex[:16]}")
    service = service_on(Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", database_url=url))
    try:
        body = dashboard(service, **JULY)
        points = {p["code"]: p for p in body["points"]}
        assert_figures(points[HK], EXPECTED[HK], f"postgresql {HK}")
        assert_figures(points[BD], EXPECTED[BD], f"postgresql {BD}")
        assert_figures(body["city"], EXPECTED["city"], "postgresql city")
        series = {d["day"]: d for d in body["series"]}
        assert (series["2026-07-04"]["handed_over"], series["2026-07-05"]["handed_over"]) == (1, 1)
    finally:
        service.db.dispose()


# --- the API: roles, refusals, exports ----------------------------------------------------------


def assert_error(response, status: int, code: str) -> dict:  # noqa: ANN001
    """A refusal with its stable code and a Vietnamese message (and whatever else the error
    body carries, such as the request id)."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    body = response.json()
    assert body["code"] == code and body["message"] and body["message_en"], body
    return body


@pytest.fixture
def api(city):
    with start_api(city.ctx.settings, process=False, service=city) as running:
        running.keys["supervisor"] = city.keys.create(Role.SUPERVISOR, "ld.truongtam")
        running.keys["admin"] = city.keys.create(Role.ADMIN, "qt.hethong")
        yield running


def test_only_supervisors_and_admins_see_the_dashboard(api):
    for who in ("supervisor", "admin"):
        answer = api.client.get(f"{API}/dashboard", params=JULY, headers=api.headers(who))
        assert answer.status_code == 200, answer.text
        assert_figures(answer.json()["city"], EXPECTED["city"], who)
    for who in ("reviewer", "counter", "agency"):
        for path in ("/dashboard", "/dashboard/export.csv", "/dashboard/export.xlsx"):
            assert_error(api.client.get(f"{API}{path}", params=JULY, headers=api.headers(who)), 403, "FORBIDDEN")
    assert_error(api.client.get(f"{API}/dashboard", params=JULY), 401, "AUTH_REQUIRED")


@pytest.mark.parametrize(
    ("query", "code", "words"),
    [
        ({"from": "2026-07-31", "to": "2026-07-01"}, "INVALID_REQUEST", "ngày kết thúc trước ngày bắt đầu"),
        ({"from": "2025-07-30", "to": "2026-07-31"}, "INVALID_REQUEST", "dài quá 366 ngày"),
        ({"from": "2026-02-30"}, "INVALID_REQUEST", None),
        ({**JULY, "service_point": "HN-KHONGCO"}, "SERVICE_POINT_UNKNOWN", "HN-KHONGCO"),
    ],
)
def test_a_bad_period_or_point_is_refused_with_a_stable_code(api, query, code, words):
    for path in ("/dashboard", "/dashboard/export.csv"):
        body = assert_error(api.client.get(f"{API}{path}", params=query, headers=api.headers("supervisor")), 422, code)
        if words:
            assert words in body["message"], body


def test_a_whole_leap_year_is_not_too_long(api):
    answer = api.client.get(
        f"{API}/dashboard", params={"from": "2027-08-01", "to": "2028-07-31"}, headers=api.headers("supervisor")
    )
    assert answer.status_code == 200 and len(answer.json()["series"]) == 366, answer.text[:300]


def exported(api, extension: str, **query: str):  # noqa: ANN201
    answer = api.client.get(f"{API}/dashboard/export.{extension}", params=query, headers=api.headers("supervisor"))
    assert answer.status_code == 200, answer.text[:300]
    assert "attachment" in answer.headers["content-disposition"]
    assert f"{query['from']}_{query['to']}.{extension}" in answer.headers["content-disposition"]
    return answer


def test_the_csv_and_xlsx_exports_hold_the_same_numbers(api):
    raw = exported(api, "csv", **JULY).content
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, rows = table[0], table[1:]
    assert header[:4] == ["Mã điểm", "Điểm tiếp nhận", "Từ ngày", "Đến ngày"]
    assert [r[0] for r in rows] == [HK, BD, OL, ""] and rows[-1][1] == "Toàn thành phố"
    assert rows[0][2:4] == ["01/07/2026", "31/07/2026"]
    column = {name: i for i, name in enumerate(header)}
    city = rows[-1]
    expected = EXPECTED["city"]
    assert int(city[column["Hồ sơ tiếp nhận"]]) == expected["received"]
    assert int(city[column["Tiếp nhận trực tuyến"]]) == 2
    assert float(city[column["Tỷ lệ bàn giao trước hạn, đúng hạn (%)"]]) == 80.0
    assert float(city[column["Tỷ lệ bàn giao trước hạn (%)"]]) == 20.0
    assert float(city[column["Thời gian tiếp nhận → bàn giao, p95 (giờ)"]]) == 192.0
    assert float(rows[0][column["Số lần sửa trung bình mỗi hồ sơ"]]) == 1.0
    assert float(rows[1][column["Số lần sửa trung bình mỗi hồ sơ"]]) == 1.33
    assert int(rows[0][column["Hồ sơ quá hạn hiện nay"]]) == 3

    book = load_workbook(io.BytesIO(exported(api, "xlsx", **JULY).content))
    sheet = book["Bảng chỉ số"]
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert list(cells[0]) == header
    assert sheet.cell(2, 3).number_format == "DD/MM/YYYY"
    for csv_row, xlsx_row in zip(rows, cells[1:], strict=True):
        assert xlsx_row[2].date() == date(2026, 7, 1) and xlsx_row[3].date() == date(2026, 7, 31)
        as_text = ["" if v is None else str(v) for v in (xlsx_row[:2] + xlsx_row[4:])]
        numbers = csv_row[:2] + csv_row[4:]
        assert [float(v) if i >= 2 and v else v for i, v in enumerate(as_text)] == [
            float(v) if i >= 2 and v else v for i, v in enumerate(numbers)
        ]


def test_an_export_of_one_point_has_its_row_and_the_city(api):
    raw = exported(api, "csv", service_point=BD, **JULY)
    assert f"bang-chi-so_{BD}_" in raw.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(raw.content.decode("utf-8-sig"))))[1:]
    assert [r[0] for r in rows] == [BD, ""] and rows[0][4] == "3" and rows[1][4] == "9"
