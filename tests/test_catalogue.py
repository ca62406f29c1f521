"""Reference data as data: the procedure catalogue, the organisation file, dossier codes."""

from datetime import date, datetime

from models.calendar import WorkCalendar
from models.catalogue import DEFAULT_DOSSIER_CODE_FORMAT, format_dossier_code, load_organisation, load_procedures

# A plain calendar: weekends off, 2/9 and 3/9/2026 (National Day) off.
CALENDAR = WorkCalendar(holidays=frozenset({date(2026, 9, 2), date(2026, 9, 3)}))


def test_catalogue_holds_the_seeded_hanoi_procedures():
    catalogue = load_procedures()
    assert set(catalogue.procedures) == {"2.000635", "2.000815", "2.000908", "2.000200", "1.001776", "1.014137"}
    organisation = load_organisation()
    for procedure in catalogue.procedures.values():
        assert procedure.agency in organisation.agencies  # every procedure routes to a known agency
    for point in organisation.service_points.values():
        assert point.receiving_unit in organisation.agencies


def test_same_day_procedure_respects_its_15h_cutoff():
    copy = load_procedures().get("2.000635")
    monday = datetime(2026, 8, 31, 14, 59)
    assert copy.appointment_date(CALENDAR, monday, 0.3) == date(2026, 8, 31)
    # After 15:00 it is tomorrow, and tomorrow's neighbours are the National Day holidays.
    assert copy.appointment_date(CALENDAR, monday.replace(hour=15, minute=0), 0.3) == date(2026, 9, 1)
    assert copy.appointment_date(CALENDAR, datetime(2026, 9, 1, 16, 0), 0.3) == date(2026, 9, 4)


def test_processing_days_and_green_lane():
    catalogue = load_procedures()
    friday = datetime(2026, 8, 28, 9, 0)
    # 7 working days from Friday 28/8, skipping the weekend and 2-3/9.
    assert catalogue.get("2.000200").appointment_date(CALENDAR, friday, 0.3) == date(2026, 9, 10)
    # Green lane: 10 days cut by 30 % = 7 days, the same date.
    assert catalogue.get("1.001776").appointment_date(CALENDAR, friday, 0.3) == date(2026, 9, 10)
    assert catalogue.get("1.001776").appointment_date(CALENDAR, friday, 0.0) == date(2026, 9, 15)


def test_dossier_code_follows_the_configured_format():
    day = date(2025, 12, 5)
    assert format_dossier_code(DEFAULT_DOSSIER_CODE_FORMAT, "000.00.12.H29", day, 1) == "000.00.12.H29-251205-0001"
    assert format_dossier_code("{unit}-{yyyymmdd}-{seq:06d}", "G09.20", day, 42) == "G09.20-20251205-000042"
