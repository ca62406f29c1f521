"""The leaders' dashboard bodies (Bảng chỉ số): the figures of one service point or of the city
for a period, and the daily series. Every figure is defined once, in docs/INDICATORS.md; the
field descriptions name its section there."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class ChannelCountsPublic(BaseModel):
    """Dossiers by how they reached the center (models.dossier.Channel)."""

    counter: int = 0
    online: int = 0
    postal: int = 0


class FiguresBase(BaseModel):
    received: int = Field(0, description="INDICATORS.md#received: dossiers received in the period.")
    received_by_channel: ChannelCountsPublic = Field(default_factory=ChannelCountsPublic)
    pages_digitized: int = Field(0, description="INDICATORS.md#pages: pages of the dossiers received.")
    reviewed_dossiers: int = Field(
        0, description="INDICATORS.md#reviewed-cohort: received in the period and handed over since."
    )
    fields_total: int = Field(0, description="Fields of the reviewed cohort.")
    fields_unreviewed: int = Field(0, description="Of those, fields no reviewer touched (no review edit).")
    fields_unreviewed_share: float | None = Field(
        None, description="INDICATORS.md#fields-unreviewed: fields_unreviewed / fields_total (0–1)."
    )
    corrections: int = Field(0, description="Review edits with action 'correct' on the reviewed cohort.")
    corrections_per_dossier: float | None = Field(
        None, description="INDICATORS.md#corrections: corrections / reviewed_dossiers."
    )
    handed_over: int = Field(0, description="INDICATORS.md#handed-over: dossiers handed over in the period.")
    handover_hours_p50: float | None = Field(None, description="INDICATORS.md#handover-time, hours (median).")
    handover_hours_p95: float | None = Field(None, description="INDICATORS.md#handover-time, hours (95th).")
    with_due_date: int = Field(0, description="Handed over in the period with an appointment date.")
    handed_over_early: int = Field(0, description="Of those, handed over on a day before the appointment date.")
    handed_over_on_time: int = Field(0, description="Of those, handed over on or before the appointment date.")
    early_share: float | None = Field(None, description="INDICATORS.md#early: handed_over_early / with_due_date.")
    on_time_share: float | None = Field(
        None, description="INDICATORS.md#on-time (trước hạn, đúng hạn): handed_over_on_time / with_due_date."
    )
    green_lane: int = Field(0, description="Dossiers received in the period on the green lane (làn xanh).")
    green_lane_share: float | None = Field(None, description="INDICATORS.md#green-lane: green_lane / received.")
    overdue_now: int = Field(0, description="INDICATORS.md#overdue-now: not handed over, appointment date passed.")


class FiguresPublic(FiguresBase):
    """The city's figures (every service point together)."""


class PointFiguresPublic(FiguresBase):
    code: str
    name: str


class DayPublic(BaseModel):
    day: date
    received_by_channel: ChannelCountsPublic
    handed_over: int


class DashboardPublic(BaseModel):
    date_from: date = Field(description="First day of the period (Vietnam calendar), inclusive.")
    date_to: date = Field(description="Last day of the period, inclusive.")
    today: date = Field(description="The clock's today: what 'overdue now' is measured against.")
    service_point: str | None = Field(None, description="The one service point asked for; None: every one.")
    city: FiguresPublic
    points: list[PointFiguresPublic]
    series: list[DayPublic] = Field(description="One entry per day of the period, for the selection.")
