"""The API fuzzed from its OpenAPI (schemathesis, benchmarks/fuzz.py), bounded: each role's
key, against a server holding dossiers in every state, on both backend sets. No answer may be
a 5xx or fall outside the declared schemas. The longer run is `python -m benchmarks.fuzz`."""

from __future__ import annotations

import copy

import pytest

from benchmarks import fuzz_state
from benchmarks.fuzz import ANONYMOUS, fuzz
from benchmarks.fuzz_report import render
from benchmarks.fuzz_state import ROLES
from intake.service import open_service
from tests.intake_support import API, BACKENDS, make_settings

pytestmark = [pytest.mark.services, pytest.mark.xdist_group("services")]

# Routes the seeded dossiers must let the fuzzer reach with a success, not only 4xx: the proof
# that the run went past the 404s into each role's real work.
DEEP = (
    ("counter", "POST", "/dossiers/{ref}/files"),
    ("counter", "POST", "/dossiers/{ref}/submit"),
    ("reviewer", "GET", "/review/dossiers/{ref}"),
    ("reviewer", "GET", "/review/dossiers/{ref}/components/{component_id}/pages/{index}/image"),
    ("reviewer", "GET", "/review/dossiers/{ref}/components/{component_id}/fields/{name}/crop"),
    ("reviewer", "PUT", "/review/dossiers/{ref}/components/{component_id}/fields/{name}"),
    ("reviewer", "POST", "/review/dossiers/{ref}/components/{component_id}/fields/{name}/confirm"),
    ("reviewer", "POST", "/review/dossiers/{ref}/retry"),
    ("reviewer", "POST", "/review/dossiers/{ref}/approve"),
    ("agency", "GET", "/agency/dossiers/{code}/manifest"),
    ("agency", "GET", "/agency/dossiers/{code}/files/{name}"),
    ("agency", "POST", "/agency/dossiers/{code}/ack"),
    ("agency", "POST", "/agency/dossiers/{code}/status"),
    ("admin", "GET", "/dashboard"),
    ("agency", "GET", "/agency/events"),
    ("agency", "POST", "/agency/webhooks"),
    ("agency", "GET", "/agency/webhooks/{webhook_id}/deliveries"),
    ("agency", "GET", "/agency/dossiers/{code}/history"),
    ("agency", "GET", "/agency/dossiers/{code}/sync"),
    ("reviewer", "POST", "/review/dossiers/{ref}/reopen"),
    ("online", "POST", "/online/dossiers"),
    ("online", "GET", "/online/dossiers/{code}"),
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_fuzzed_api_answers_no_5xx_and_only_declared_responses(backend, request, tmp_path):
    settings = make_settings(backend, request, tmp_path)
    report = fuzz(settings, backend=backend, examples=4, roles=(*ROLES, ANONYMOUS), budget_s=600)
    summary = render(report)
    print(summary)  # requests per route, shown with -s or on failure
    assert not report.truncated and report.requests >= 1500, summary
    for role, method, template in DEEP:
        assert report.answered_2xx(method, API + template, role), f"{role} never got past {method} {template}"
    assert report.server_errors == 0, summary
    assert not report.violations, summary


def test_the_fuzzer_reports_a_5xx_and_an_undeclared_body(request, tmp_path, monkeypatch):
    """The harness itself: a route that fails and one that answers outside its declared schema
    are both reported, with the cause the server logged and a reproduction."""
    settings = make_settings("local-sqlite", request, tmp_path)
    service = open_service(settings)

    def broken_queue(*_args, **_kwargs):
        raise RuntimeError("hỏng hàng đợi")

    service.review_queue.queue = broken_queue
    real_create_app = fuzz_state.create_app

    def create_app_declaring_an_object(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        app = real_create_app(*args, **kwargs)
        schema = copy.deepcopy(app.openapi())
        ok = schema["paths"][API + "/procedures"]["get"]["responses"]["200"]
        ok["content"]["application/json"]["schema"] = {"type": "object"}  # the route answers a list
        app.openapi_schema = schema
        return app

    monkeypatch.setattr(fuzz_state, "create_app", create_app_declaring_an_object)
    report = fuzz(
        settings,
        examples=2,
        roles=("reviewer",),
        coverage=False,
        only=lambda _method, template: template in (API + "/review/queue", API + "/procedures"),
        service=service,
    )
    summary = render(report)
    assert report.server_errors > 0, summary
    failure = next(f for f in report.findings.values() if f.kind == "5xx")
    assert failure.template == API + "/review/queue" and "RuntimeError: hỏng hàng đợi" in failure.message
    assert failure.reproduction["method"] == "GET" and failure.reproduction["path"] == API + "/review/queue"
    wrong = [f for f in report.violations if f.template == API + "/procedures"]
    assert wrong and wrong[0].kind == "response_schema_conformance" and wrong[0].status == 200, summary
    assert "/review/queue" in summary and "5xx answers:" in summary
