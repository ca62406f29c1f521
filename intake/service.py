"""The intake service: what counter staff, reviewers and agencies can do, one part per job.

`IntakeService` wires the parts to one context (settings, database, object store, catalogue,
clock). HTTP routes (`api/app.py`), the CLI and the demo call its parts; errors are
`ServiceError`s with stable codes, which only `api/` turns into HTTP statuses.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from intake.agency import AgencyDesk
from intake.auth import ApiKeys
from intake.clock import Clock, SystemClock
from intake.components import Components
from intake.context import IntakeContext
from intake.documents import Documents
from intake.dossiers import Dossiers
from intake.errors import ServiceError
from intake.events import AgencyEvents
from intake.handover import Handover
from intake.indicators import Indicators
from intake.online import OnlineIntake
from intake.processing.ray_pool import pipeline_version
from intake.receipts import Receipts
from intake.review import Review
from intake.review_queue import ReviewQueue
from intake.settings import Settings
from intake.staff import StaffAccounts
from intake.supplements import Supplements
from intake.webhooks import Webhooks
from intake.workstations import Workstations
from models.calendar import WorkCalendar, vietnam_calendar
from models.catalogue import Organisation, ProcedureCatalogue, load_organisation, load_procedures
from storage.db import Database
from storage.objects import ObjectStore
from storage.tables import AgencyRow, ServicePointRow


class IntakeService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        store: ObjectStore,
        catalogue: ProcedureCatalogue,
        organisation: Organisation,
        calendar: WorkCalendar | None = None,
        clock: Clock | None = None,
    ) -> None:
        clock = clock or SystemClock(ZoneInfo(settings.intake.timezone))
        year = clock.now().year
        self.ctx = IntakeContext(
            settings,
            db,
            store,
            catalogue,
            organisation,
            calendar or vietnam_calendar(range(year - 1, year + 3)),
            clock,
            pipeline_version(settings.reading),
        )
        self.keys = ApiKeys(self.ctx)
        self.dossiers = Dossiers(self.ctx)
        self.review = Review(self.ctx)
        self.review_queue = ReviewQueue(self.ctx)  # the queue, and who has which dossier open
        self.documents = Documents(self.ctx)  # a reviewer's fixes to a file's documents
        self.agency = AgencyDesk(self.ctx)
        self.staff = StaffAccounts(self.ctx)  # staff accounts and their browser sessions
        self.components = Components(self.ctx)
        self.workstations = Workstations(self.ctx, self.dossiers)
        self.receipts = Receipts(self.ctx, self.components, self._staff_name)
        self.supplements = Supplements(self.ctx, self.review, self._staff_name)  # sent back to the counter
        self.indicators = Indicators(self.ctx)  # the leaders' dashboard (Bảng chỉ số)
        self.events = AgencyEvents(self.ctx)  # what agencies are told, in order
        self.webhooks = Webhooks(self.ctx)  # agencies' webhooks and their delivery log
        self.online = OnlineIntake(self.ctx)  # the portal and online agents
        self.handover = Handover(self.ctx)  # history, national sync export, reopening for a correction

    def _staff_name(self, username: str) -> str | None:
        """A staff member's full name for a printed form; None for a key holder with no staff account."""
        try:
            return self.staff.get(username).full_name or None
        except ServiceError:
            return None

    @property
    def db(self) -> Database:
        return self.ctx.db

    @property
    def store(self) -> ObjectStore:
        return self.ctx.store

    def seed_organisation(self) -> None:
        """Upsert agencies and service points from the organisation data file."""
        with self.ctx.db.transaction() as s:
            for agency in self.ctx.organisation.agencies.values():
                s.merge(AgencyRow(code=agency.code, name=agency.name))
            for entry in self.ctx.organisation.service_points.values():
                s.merge(
                    ServicePointRow(
                        code=entry.point.code,
                        name=entry.point.name,
                        receiving_unit=entry.receiving_unit,
                        ward_code=entry.point.ward_code,
                    )
                )


def open_service(settings: Settings, db: Database | None = None, clock: Clock | None = None) -> IntakeService:
    """The service on the configured database (migrated) and object store, organisation loaded."""
    db = db or Database(settings.resolved_database_url)
    db.upgrade()
    service = IntakeService(
        settings,
        db,
        settings.object_store(),
        load_procedures(settings.intake.procedures_file),
        load_organisation(settings.intake.organisation_file),
        clock=clock,
    )
    service.seed_organisation()
    return service
