"""Nobody where they don't belong (issue 14, items 5-8): every route x every role on a dossier in
each state, answered with what the role may do or refused (401/403/404, another point's or
agency's dossier exactly like a missing one); every read of personal data in `access_log`;
counter keys bound to one service point; agencies only where the catalogue makes them
competent; national statuses only in the catalogue's order, also under parallel reports.
Runs on both backend sets; processing (Ray) is off here."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select, update

from intake.auth import Principal, Role
from intake.errors import ServiceError
from intake.schemas import StatusReport
from models.document import PageText, TextSource
from models.dossier import NATIONAL_STATUS_TRANSITIONS, NationalStatus, status_may_follow
from models.errors import ErrorCode
from storage.tables import (
    AccessLogRow,
    ApiKeyRow,
    ComponentRow,
    DossierRow,
    FieldRow,
    JobRow,
    PageResultRow,
    PageRow,
    ReviewEditRow,
    StatusReportRow,
)
from tests.fixtures_files import blank_png
from tests.intake_support import API, BACKENDS, RunningApi, make_settings, start_api

pytestmark = [pytest.mark.services, pytest.mark.xdist_group("services")]

POINT_A, POINT_B = "HN-HOANKIEM", "HN-BADINH"
PROCEDURE, AGENCY = "2.000200", "000.00.20.H26"  # căn cước: the city police only
STATES = ("draft", "queued", "needs_review", "needs_attention", "validated", "delivered")
ROLES = ("counter_a", "counter_b", "reviewer", "agency", "other_agency", "admin", "no_key", "revoked")
KIND = {
    "counter_a": "counter",
    "counter_b": "counter",
    "reviewer": "reviewer",
    "agency": "agency",
    "other_agency": "agency",
    "admin": "admin",
}
SUBJECT = {
    "counter_a": "nv.tiepnhan",
    "counter_b": "nv.badinh",
    "reviewer": "kt.kiemtra",
    "agency": AGENCY,
    "other_agency": "000.00.30.H26",
    "admin": "qt.quantri",
}
REFUSAL_CODES = {401: {"AUTH_REQUIRED", "AUTH_INVALID"}, 403: {"FORBIDDEN"}, 404: {"DOSSIER_NOT_FOUND"}}


@pytest.fixture(params=BACKENDS)
def api(request, tmp_path):
    settings = make_settings(request.param, request, tmp_path)
    with start_api(settings, process=False) as running:
        keys = running.service.keys
        running.keys["admin"] = keys.create(Role.ADMIN, SUBJECT["admin"])
        running.keys["revoked"] = keys.create(Role.COUNTER, "nv.danghi", service_point=POINT_A)
        revoked_id = next(row.id for row in keys.list() if row.subject == "nv.danghi")
        assert keys.revoke(revoked_id)
        running.backend = request.param
        yield running


def _headers(api: RunningApi, role: str) -> dict[str, str]:
    name = {"counter_a": "counter", "counter_b": "other_counter"}.get(role, role)
    return {} if role == "no_key" else api.headers(name)


# --- dossiers in each state ---------------------------------------------------------------------


@dataclass
class Dossier:
    id: str
    code: str | None
    component_id: int
    state: str

    @property
    def ref(self) -> str:
        return self.code or self.id


_sizes = iter(range(300, 100_000))


def _make(api: RunningApi, state: str) -> Dossier:
    """A dossier of point A for agency AGENCY, brought to `state` through the API (the OCR's own
    states through the database: processing is off), with one field that has a box."""
    counter, reviewer = _headers(api, "counter_a"), _headers(api, "reviewer")
    created = api.new_dossier(PROCEDURE)
    width = next(_sizes)
    component = api.upload(created["id"], "trang.png", blank_png(width)).json()
    with api.service.db.transaction() as s:
        s.add(
            FieldRow(
                component_id=component["id"],
                part=0,
                name="ho_va_ten",
                value="Nguyễn Văn A",
                confidence=0.9,
                page=0,
                box=[100, 100, 300, 140],
                status="ok",
                sources=["ocr"],
            )
        )
    dossier = Dossier(created["id"], None, component["id"], state)
    if state == "draft":
        return dossier
    submitted = api.client.post(f"{API}/dossiers/{dossier.id}/submit", headers=counter)
    assert submitted.status_code == 200, submitted.text
    dossier.code = submitted.json()["code"]
    if state == "queued":
        return dossier
    with api.service.db.transaction() as s:
        row = s.scalar(select(DossierRow).where(DossierRow.public_id == dossier.id))
        assert row is not None
        row.state = "needs_attention" if state == "needs_attention" else "needs_review"
        for page in s.scalars(select(PageRow).where(PageRow.component_id == dossier.component_id)):
            text = PageText(page.index, width, 300, TextSource.OCR)  # what the OCR would have stored
            s.add(
                PageResultRow(page_key=page.page_key, pipeline_version=api.service.ctx.version, result=text.to_dict())
            )
        if state == "needs_attention":
            row.attention_reason = "trang 1 đọc lỗi"
            s.execute(update(JobRow).where(JobRow.dossier_id == row.id).values(state="failed", attempts=3))
    if state in ("needs_review", "needs_attention"):
        return dossier
    approved = api.client.post(f"{API}/review/dossiers/{dossier.code}/approve", headers=reviewer)
    assert approved.status_code == 200 and approved.json()["state"] == "validated", approved.text
    if state == "delivered":
        acked = api.client.post(f"{API}/agency/dossiers/{dossier.code}/ack", headers=_headers(api, "agency"))
        assert acked.status_code == 200 and acked.json()["state"] == "delivered", acked.text
    return dossier


def _snapshot(api: RunningApi, dossier: Dossier) -> tuple:
    """Everything a refused request must leave as it was."""
    with api.service.db.transaction() as s:
        row = s.scalar(select(DossierRow).where(DossierRow.public_id == dossier.id))
        assert row is not None

        def count(table, *where) -> int:  # noqa: ANN001
            return s.scalar(select(func.count()).select_from(table).where(*where)) or 0

        component_ids = select(ComponentRow.id).where(ComponentRow.dossier_id == row.id)
        field_ids = select(FieldRow.id).where(FieldRow.component_id.in_(component_ids))
        return (
            row.state,
            row.code,
            row.national_status,
            row.package_prefix,
            count(ComponentRow, ComponentRow.dossier_id == row.id),
            count(JobRow, JobRow.dossier_id == row.id, JobRow.state == "queued"),
            count(ReviewEditRow, ReviewEditRow.field_id.in_(field_ids)),
            count(StatusReportRow, StatusReportRow.dossier_id == row.id),
        )


# --- the routes and what each role may do -----------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str  # {ref}: code, or public id before submission; {id}: public id; {cid}: the component
    roles: frozenset[str]  # role kinds let in (admin always)
    area: str  # "counter", "review", "agency"
    allowed: Callable[[str], int]  # status for a role that may see the dossier, by state
    changes: Callable[[str], bool] = lambda _state: False  # whether a 2xx answer changes the dossier
    log: str | None = None  # the access_log action of a read of personal data
    body: dict = field(default_factory=dict)

    def url(self, dossier: Dossier) -> str:
        ref = dossier.ref if self.area != "agency" else (dossier.code or dossier.id)
        return API + self.path.format(ref=ref, id=dossier.id, cid=dossier.component_id)


def _when(ok: int, *states: str, otherwise: int = 409) -> Callable[[str], int]:
    return lambda state: ok if state in states else otherwise


FIELD = "/review/dossiers/{ref}/components/{cid}/fields/ho_va_ten"
REVIEWABLE = ("needs_review", "needs_attention")
HANDED_OVER = ("validated", "delivered")
COUNTER, REVIEWER, STAFF, AGENCY_ONLY = (
    frozenset({"counter"}),
    frozenset({"reviewer"}),
    frozenset({"counter", "reviewer"}),
    frozenset({"agency"}),
)
ROUTES = (
    Route("status", "GET", "/dossiers/{ref}", STAFF, "counter", lambda _s: 200, log="view_status"),
    Route("status-by-id", "GET", "/dossiers/{id}", STAFF, "counter", lambda _s: 200, log="view_status"),
    Route(
        "upload",
        "POST",
        "/dossiers/{ref}/files",
        COUNTER,
        "counter",
        _when(201, "draft"),
        changes=lambda s: s == "draft",
    ),
    Route(
        "submit",
        "POST",
        "/dossiers/{ref}/submit",
        COUNTER,
        "counter",
        lambda _s: 200,  # submitting twice is harmless
        changes=lambda s: s == "draft",
    ),
    Route("review", "GET", "/review/dossiers/{ref}", REVIEWER, "review", lambda _s: 200, log="view"),
    Route(
        "page",
        "GET",
        "/review/dossiers/{ref}/components/{cid}/pages/0/image",
        REVIEWER,
        "review",
        lambda _s: 200,
        log="view_page",
    ),
    Route("crop", "GET", FIELD + "/crop", REVIEWER, "review", lambda _s: 200, log="view_page"),
    Route(
        "correct",
        "PUT",
        FIELD,
        REVIEWER,
        "review",
        _when(200, *REVIEWABLE),
        changes=lambda s: s in REVIEWABLE,
        body={"value": "Nguyễn Văn B"},
    ),
    Route(
        "confirm",
        "POST",
        FIELD + "/confirm",
        REVIEWER,
        "review",
        _when(200, *REVIEWABLE),
        changes=lambda s: s in REVIEWABLE,
    ),
    Route(
        "retry",
        "POST",
        "/review/dossiers/{ref}/retry",
        REVIEWER,
        "review",
        _when(200, "needs_attention"),
        changes=lambda s: s == "needs_attention",
    ),
    Route(
        "approve",
        "POST",
        "/review/dossiers/{ref}/approve",
        REVIEWER,
        "review",
        _when(200, "needs_review", "validated"),  # approving twice is harmless
        changes=lambda s: s == "needs_review",
    ),
    Route("manifest", "GET", "/agency/dossiers/{ref}/manifest", AGENCY_ONLY, "agency", lambda _s: 200, log="manifest"),
    Route(
        "download",
        "GET",
        "/agency/dossiers/{ref}/files/fields.json",
        AGENCY_ONLY,
        "agency",
        lambda _s: 200,
        log="export",
    ),
    Route(
        "ack",
        "POST",
        "/agency/dossiers/{ref}/ack",
        AGENCY_ONLY,
        "agency",
        lambda _s: 200,
        changes=lambda s: s == "validated",
    ),
    Route(
        "report",
        "POST",
        "/agency/dossiers/{ref}/status",
        AGENCY_ONLY,
        "agency",
        _when(200, "delivered"),
        changes=lambda s: s == "delivered",
        body={"status": 4, "note": "Đang thẩm định"},
    ),
)


def _sees(route: Route, role: str, state: str) -> bool:
    """Whether `role` may see a dossier of point A for AGENCY in `state` on this route."""
    if route.area == "agency":  # an agency's desk shows its own dossiers once handed over; admin has no desk
        return role == "agency" and state in HANDED_OVER
    return role in ("counter_a", "admin") or (role == "reviewer" and state != "draft")


def _expected(route: Route, role: str, state: str) -> int:
    if role in ("no_key", "revoked"):
        return 401
    if KIND[role] != "admin" and KIND[role] not in route.roles:
        return 403
    if not _sees(route, role, state):
        return 404
    return route.allowed(state)


def _send(api: RunningApi, route: Route, role: str, dossier: Dossier):  # noqa: ANN202
    headers = _headers(api, role)
    if route.name == "upload":
        files = {"file": ("them.png", blank_png(next(_sizes)))}
        return api.client.post(route.url(dossier), files=files, headers=headers)
    if route.body:
        return api.client.request(route.method, route.url(dossier), json=route.body, headers=headers)
    return api.client.request(route.method, route.url(dossier), headers=headers, follow_redirects=False)


@dataclass
class Tally:
    requests: int = 0
    wrong: list[str] = field(default_factory=list)
    reads: list[tuple[str, str, str]] = field(default_factory=list)  # (principal, action, dossier ref)

    def check(self, what: str, response, expected: int) -> None:  # noqa: ANN001
        self.requests += 1
        got = 200 if response.status_code == 307 else response.status_code  # a download on S3: its presigned URL
        if got != expected:
            self.wrong.append(f"{what}: {got} (expected {expected}) {response.text[:120]}")
        elif expected in REFUSAL_CODES and response.json().get("code") not in REFUSAL_CODES[expected]:
            self.wrong.append(f"{what}: {got} with {response.json().get('code')}")


def _dossier_routes(api: RunningApi, tally: Tally) -> None:
    for state in STATES:
        shared = _make(api, state)
        before = _snapshot(api, shared)
        for route in ROUTES:
            for role in ROLES:
                expected = _expected(route, role, state)
                # A request that may change the dossier gets its own; the refused ones all go to
                # the shared dossier, which must be unchanged at the end.
                target = _make(api, state) if expected < 300 and route.changes(state) else shared
                response = _send(api, route, role, target)
                tally.check(f"{route.name} {state} as {role}", response, expected)
                if response.status_code in (200, 307) and route.log:
                    tally.reads.append((SUBJECT[role], route.log, target.code or target.id))
        if _snapshot(api, shared) != before:
            tally.wrong.append(f"refused requests changed a {state} dossier: {before} -> {_snapshot(api, shared)}")


def _other_routes(api: RunningApi, tally: Tally) -> None:
    body = {"procedure_code": PROCEDURE, "applicant": {"full_name": "Trần Thị Mẫu", "id_number": "001199000002"}}
    roles_in = {"procedures": STAFF, "create": COUNTER, "queue": REVIEWER, "agency-list": AGENCY_ONLY}
    for role in ROLES:
        headers = _headers(api, role)

        def gate(name: str, allowed: int, _role: str = role) -> int:
            if _role in ("no_key", "revoked"):
                return 401
            return allowed if KIND[_role] == "admin" or KIND[_role] in roles_in[name] else 403

        tally.check(
            f"procedures as {role}", api.client.get(f"{API}/procedures", headers=headers), gate("procedures", 200)
        )
        for point in (POINT_A, POINT_B):
            own = {"counter_a": POINT_A, "counter_b": POINT_B}.get(role, point)
            response = api.client.post(f"{API}/dossiers", json={**body, "service_point_code": point}, headers=headers)
            tally.check(f"create at {point} as {role}", response, gate("create", 201 if own == point else 403))
        queue = api.client.get(f"{API}/review/queue", headers=headers)
        tally.check(f"queue as {role}", queue, gate("queue", 200))
        if queue.status_code == 200 and any(item["code"] is None for item in queue.json()):
            tally.wrong.append(f"queue as {role} lists a draft")
        listing = api.client.get(f"{API}/agency/dossiers", params={"include_delivered": True}, headers=headers)
        tally.check(f"agency list as {role}", listing, gate("agency-list", 200))
        if listing.status_code == 200:
            with api.service.db.transaction() as s:
                agency_of = dict(s.execute(select(DossierRow.code, DossierRow.agency_code)).tuples().all())
            foreign = [item["code"] for item in listing.json()["items"] if agency_of[item["code"]] != SUBJECT[role]]
            if foreign:
                tally.wrong.append(f"agency list as {role} shows another agency's {foreign}")


def test_every_route_and_role_gets_exactly_what_it_may(api):
    tally = Tally()
    _dossier_routes(api, tally)
    _other_routes(api, tally)
    with api.service.db.transaction() as s:
        logged = set(s.execute(select(AccessLogRow.principal, AccessLogRow.action, AccessLogRow.dossier_code)).tuples())
    unlogged = [read for read in tally.reads if read not in logged]
    print(
        f"\nauthorization matrix ({api.backend}): {tally.requests} requests, {len(tally.wrong)} wrong accesses, "
        f"{len(tally.reads)} reads of personal data, {len(unlogged)} not in access_log"
    )
    assert tally.wrong == []
    assert unlogged == []
    assert tally.reads and tally.requests >= len(ROUTES) * len(ROLES) * len(STATES)


# --- item 5: a counter key belongs to one service point ------------------------------------------------


def test_a_counter_sees_and_changes_only_its_own_points_dossiers(api):
    ours, theirs = _headers(api, "counter_a"), _headers(api, "counter_b")
    draft = api.new_dossier()
    assert api.upload(draft["id"], "a.png", blank_png(401)).status_code == 201
    for method, path in (("GET", ""), ("POST", "/submit")):
        response = api.client.request(method, f"{API}/dossiers/{draft['id']}{path}", headers=theirs)
        assert response.status_code == 404 and response.json()["code"] == "DOSSIER_NOT_FOUND", response.text
    response = api.client.post(
        f"{API}/dossiers/{draft['id']}/files", files={"file": ("b.png", blank_png(402))}, headers=theirs
    )
    assert response.status_code == 404
    code = api.client.post(f"{API}/dossiers/{draft['id']}/submit", headers=ours).json()["code"]
    # Codes are sequential: guessing one opens nothing at another point.
    assert api.client.get(f"{API}/dossiers/{code}", headers=theirs).status_code == 404
    assert api.client.get(f"{API}/dossiers/{code}", headers=ours).status_code == 200
    # A counter creates at its own point only.
    body = {"procedure_code": PROCEDURE, "applicant": {"full_name": "Lê Văn Mẫu"}}
    refused = api.client.post(f"{API}/dossiers", json={**body, "service_point_code": POINT_A}, headers=theirs)
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    own = api.client.post(f"{API}/dossiers", json={**body, "service_point_code": POINT_B}, headers=theirs)
    assert own.status_code == 201 and own.json()["service_point_code"] == POINT_B
    assert api.client.get(f"{API}/dossiers/{own.json()['id']}", headers=ours).status_code == 404
    with api.service.db.transaction() as s:
        reads = s.execute(
            select(AccessLogRow.principal, AccessLogRow.action).where(AccessLogRow.dossier_code == code)
        ).all()
    assert ("nv.tiepnhan", "view_status") in reads and all(who != "nv.badinh" for who, _ in reads)
    # The service itself scopes every lookup, not only the HTTP gate in front of it.
    with pytest.raises(ServiceError) as refused:
        api.service.dossiers.status(Principal(Role.COUNTER, "nv.badinh", POINT_B), code)
    assert refused.value.code == ErrorCode.DOSSIER_NOT_FOUND


def test_counter_keys_are_bound_to_a_known_service_point(api):
    keys = api.service.keys
    for role, subject, point, code in (
        (Role.COUNTER, "nv.moi", None, ErrorCode.INVALID_REQUEST),
        (Role.COUNTER, "nv.moi", "HN-KHONGCO", ErrorCode.SERVICE_POINT_UNKNOWN),
        (Role.REVIEWER, "kt.moi", POINT_A, ErrorCode.INVALID_REQUEST),
        (Role.AGENCY, AGENCY, POINT_A, ErrorCode.INVALID_REQUEST),
        (Role.AGENCY, "999.BOGUS", None, ErrorCode.AGENCY_UNKNOWN),
    ):
        with pytest.raises(ServiceError) as refused:
            keys.create(role, subject, service_point=point)
        assert refused.value.code == code
    principal = keys.authenticate(api.keys["counter"])
    assert principal == Principal(Role.COUNTER, "nv.tiepnhan", POINT_A)
    # A counter key from before keys were bound to a point opens nothing until replaced.
    legacy = keys.create(Role.COUNTER, "nv.cu", service_point=POINT_A)
    with api.service.db.transaction() as s:
        s.execute(update(ApiKeyRow).where(ApiKeyRow.subject == "nv.cu").values(service_point_code=None))
    response = api.client.get(f"{API}/procedures", headers={"X-API-Key": legacy})
    assert response.status_code == 403 and response.json()["code"] == "FORBIDDEN"


# --- item 6: only an agency competent for the procedure ----------------------------------------------


def test_only_an_agency_the_catalogue_lists_for_the_procedure_is_accepted(api):
    counter = _headers(api, "counter_a")
    base = {"service_point_code": POINT_A, "applicant": {"full_name": "Phạm Thị Mẫu"}}
    # Identity cards are the police's: social insurance is refused, clearly, and nothing is created.
    response = api.client.post(
        f"{API}/dossiers", json={**base, "procedure_code": "2.000200", "agency_code": "000.00.30.H26"}, headers=counter
    )
    assert response.status_code == 422 and response.json()["code"] == "AGENCY_NOT_COMPETENT"
    assert "000.00.30.H26" in response.json()["message"] and "thẩm quyền" in response.json()["message"]
    with api.service.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(DossierRow)) == 0
    # Copy certification: another ward the catalogue lists is accepted; the default needs no choice.
    listed = api.client.post(
        f"{API}/dossiers", json={**base, "procedure_code": "2.000815", "agency_code": "000.00.13.H26"}, headers=counter
    )
    assert listed.status_code == 201 and listed.json()["agency_code"] == "000.00.13.H26"
    default = api.client.post(f"{API}/dossiers", json={**base, "procedure_code": "2.000815"}, headers=counter)
    assert default.status_code == 201 and default.json()["agency_code"] == "000.00.12.H26"
    unknown = api.client.post(
        f"{API}/dossiers", json={**base, "procedure_code": "2.000815", "agency_code": "999.BOGUS"}, headers=counter
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "AGENCY_UNKNOWN"
    for procedure in api.service.ctx.catalogue.procedures.values():
        assert procedure.agencies[0] == procedure.agency  # the default is listed, first
        assert all(a in api.service.ctx.organisation.agencies for a in procedure.agencies)


# --- item 7: reviewers see submitted dossiers only --------------------------------------------------------


def test_a_reviewer_cannot_read_a_draft_with_the_applicants_id_number(api):
    reviewer = _headers(api, "reviewer")
    draft = _make(api, "draft")
    for path in (
        f"/review/dossiers/{draft.id}",
        f"/dossiers/{draft.id}",
        f"/review/dossiers/{draft.id}/components/{draft.component_id}/pages/0/image",
        f"/review/dossiers/{draft.id}/components/{draft.component_id}/fields/ho_va_ten/crop",
    ):
        response = api.client.get(API + path, headers=reviewer)
        assert response.status_code == 404 and "001199000001" not in response.text, path
    for read in (api.service.review.dossier, api.service.dossiers.status):  # the service's own scope
        with pytest.raises(ServiceError):
            read(Principal(Role.REVIEWER, "kt.kiemtra"), draft.id)
    code = api.client.post(f"{API}/dossiers/{draft.id}/submit", headers=_headers(api, "counter_a")).json()["code"]
    shown = api.client.get(f"{API}/review/dossiers/{code}", headers=reviewer)
    assert shown.status_code == 200 and shown.json()["applicant"]["id_number"] == "001199000001"


# --- item 8: national statuses in the catalogue's order ----------------------------------------------------


def test_status_reports_follow_the_national_catalogue(api):
    code = _make(api, "delivered").code
    url = f"{API}/agency/dossiers/{code}/status"
    agency = _headers(api, "agency")
    steps = [(4, 200), (10, 409), (3, 409), (9, 200), (4, 409), (10, 200), (10, 200), (4, 409), (3, 409)]
    for status, expected in steps:
        response = api.client.post(url, json={"status": status}, headers=agency)
        assert response.status_code == expected, (status, response.text)
        if expected == 409:
            assert response.json()["code"] == "STATUS_ORDER_NOT_ALLOWED"
    assert response.json()["code"] == "STATUS_ORDER_NOT_ALLOWED" and "Đã trả kết quả" in response.json()["message"]
    with api.service.db.transaction() as s:
        row = s.scalar(select(DossierRow).where(DossierRow.code == code))
        reported = s.scalars(select(StatusReportRow.status).where(StatusReportRow.dossier_id == row.id)).all()
        assert row.national_status == 10 and sorted(reported) == [4, 9, 10]  # the repeated 10 is not a second report
    # The table covers every status; final ones lead nowhere.
    assert set(NATIONAL_STATUS_TRANSITIONS) == set(NationalStatus)
    for final in (3, 7, 8, 10):
        assert not NATIONAL_STATUS_TRANSITIONS[NationalStatus(final)]


def test_parallel_status_reports_keep_the_catalogues_order(api):
    """20 agency clients report at once from `Đang xử lý` (4): whatever wins, the recorded reports
    form a chain the catalogue allows, and the dossier's status is the last of them."""
    principal = api.service.keys.authenticate(api.keys["agency"])
    rng = random.Random(14)
    for _ in range(3):
        code = _make(api, "delivered").code
        assert code is not None
        api.service.agency.report_status(principal, code, StatusReport(status=4))
        wanted = [rng.choice([5, 6, 7, 8, 9]) for _ in range(20)]
        barrier = threading.Barrier(len(wanted))
        answers: list[str] = []

        def report(
            status: int, _code: str = code, _barrier: threading.Barrier = barrier, _answers: list = answers
        ) -> None:
            _barrier.wait()
            try:
                api.service.agency.report_status(principal, _code, StatusReport(status=status))
                _answers.append("ok")
            except ServiceError as err:
                _answers.append(str(err.code))

        threads = [threading.Thread(target=report, args=(status,)) for status in wanted]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(answers) == 20 and set(answers) <= {"ok", "STATUS_ORDER_NOT_ALLOWED"}, answers
        with api.service.db.transaction() as s:
            row = s.scalar(select(DossierRow).where(DossierRow.code == code))
            chain = list(
                s.scalars(
                    select(StatusReportRow.status)
                    .where(StatusReportRow.dossier_id == row.id)
                    .order_by(StatusReportRow.id)
                )
            )
        assert chain[0] == 4 and row.national_status == chain[-1]
        steps = zip(chain, chain[1:], strict=False)
        broken = [(a, b) for a, b in steps if not status_may_follow(NationalStatus(a), NationalStatus(b))]
        assert broken == [], chain


def test_a_reference_no_dossier_can_carry_is_refused_before_the_database(api):
    """The visibility gate reads the path before the route validates it: a NUL (which PostgreSQL
    refuses outright) or a very long reference is a clear 422, never a database error."""
    for ref in ("a%00b", "a%1Bb", "x" * 5000):
        for path, role in ((f"/dossiers/{ref}", "counter_a"), (f"/agency/dossiers/{ref}/manifest", "agency")):
            response = api.client.get(API + path, headers=_headers(api, role))
            assert response.status_code == 422 and response.json()["code"] == "INVALID_REQUEST", (path, response.text)
