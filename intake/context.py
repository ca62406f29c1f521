"""What every part of the intake service works with, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from intake.clock import Clock
from intake.settings import Settings
from models.calendar import WorkCalendar
from models.catalogue import Organisation, ProcedureCatalogue
from storage.db import Database
from storage.objects import ObjectStore


@dataclass(frozen=True, slots=True)
class IntakeContext:
    settings: Settings
    db: Database
    store: ObjectStore
    catalogue: ProcedureCatalogue
    organisation: Organisation
    calendar: WorkCalendar
    clock: Clock
    version: str  # the pipeline version whose page results count (intake.processing.ray_pool)
