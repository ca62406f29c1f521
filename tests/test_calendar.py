"""Appointment dates in working days, with Vietnamese holidays and yearly day swaps."""

from datetime import date, datetime, time

from models.calendar import vietnam_calendar

CAL = vietnam_calendar(range(2025, 2028))


def test_tet_and_national_day_are_not_working_days():
    assert not CAL.is_working_day(date(2026, 2, 17))  # Tết
    assert not CAL.is_working_day(date(2026, 9, 2))  # National Day
    assert not CAL.is_working_day(date(2026, 11, 21))  # a Saturday
    assert CAL.is_working_day(date(2025, 4, 26))  # a Saturday worked by swap (data file)


def test_seven_working_days_skip_weekends_and_tet():
    # Received Thursday 12/02/2026: Fri 13 (1), Tết 16-20 off, Mon 23 (2) ... Fri 27 (6), Mon 02/03 (7).
    assert CAL.appointment_date(datetime(2026, 2, 12, 9, 0), 7) == date(2026, 3, 2)


def test_same_day_procedure_after_cutoff_moves_to_the_next_working_day():
    friday_morning = datetime(2026, 11, 20, 10, 0)
    friday_late = datetime(2026, 11, 20, 15, 30)
    assert CAL.appointment_date(friday_morning, 0, cutoff=time(15, 0)) == date(2026, 11, 20)
    assert CAL.appointment_date(friday_late, 0, cutoff=time(15, 0)) == date(2026, 11, 23)


def test_green_lane_shortens_by_a_share_rounded_up():
    monday = datetime(2026, 11, 23, 8, 0)  # 24/11 is Vietnam Cultural Day, a holiday from 2025
    assert CAL.appointment_date(monday, 10) == date(2026, 12, 8)
    assert CAL.appointment_date(monday, 10, shorten_share=0.3) == date(2026, 12, 3)  # 7 days
