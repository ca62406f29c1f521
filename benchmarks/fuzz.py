"""Fuzzing the intake API from its OpenAPI (schemathesis), with each role's key, against a
server holding dossiers in every state, so that deep routes answer with data, not only 404s.

    .venv/bin/python -m benchmarks.fuzz [--examples 20] [--backend local-sqlite|s3-postgres]
                                        [--roles counter,reviewer,agency,admin,anonymous]
                                        [--seed 1414] [--budget-s 1200] [--no-coverage] [--json FILE]

About 5,000 requests and 1-1.5 minutes per backend on 2 cores with the defaults; `--examples 100`
is the long run. The API runs under uvicorn on 127.0.0.1 without OCR; benchmarks/fuzz_state.py
builds a fresh set of dossiers for each role (draft, queued, waiting for review, needing
attention, validated with a package, delivered) through the API and the database. Then, for
each role and each operation of /openapi.json:

- explicit: valid requests with path parameters that exist (the dossiers' ids and codes,
  their components, fields, package files);
- coverage: schemathesis' deterministic boundary and negative cases (missing, wrong types,
  limits), once with existing path parameters and once with generated ones;
- fuzzing: `--examples` generated cases per generation mode (positive and negative), path
  parameters drawn from the existing sets or generated;
- around: `--examples` valid requests with one part made hostile (a path segment, a query
  value, a JSON value, an upload's name, bytes or source: benchmarks/fuzz_inputs.py), since
  schema-driven values seldom get past the first refusal to the database.

A role the operation refuses (401/403) gets the explicit requests and a quarter of the fuzzing.
Each role also sends the methods a path does not declare and a path that does not exist (405
and 404 must have the declared error shape). Every response is checked: no 5xx, a declared
status code, a declared content type, a body valid against the declared schema. Printed:
requests per area and route (by status class, with the slowest answer), per role, the 5xx
count and every distinct violation with a reproduction (method, path as sent, query, body),
minimized by re-sending it without each part it does not need, and the server's logged cause
of each 5xx. Exit status 1 when anything is found, so the command can gate a release.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hypothesis
import requests
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis.core import NotSet

from benchmarks.fuzz_inputs import around_request, around_upload, mutable
from benchmarks.fuzz_report import (
    UNDECLARED,
    Finding,
    FuzzReport,
    as_sent,
    error_shape_problem,
    has_key,
    key_paths,
    render,
    reproduction_of,
    shown,
    without,
)
from benchmarks.fuzz_state import ROLES, Explicit, Seeded, Seeder, ServerErrors, backend_settings, create_key, serve
from intake.service import IntakeService, open_service
from intake.settings import Settings

BACKENDS = ("local-sqlite", "s3-postgres")
ANONYMOUS = "anonymous"  # no key at all
API_PREFIX = "/api/v1"
REQUEST_TIMEOUT_S = 60.0


# --- one case: send, check, record ---------------------------------------------------------


def _checks() -> list[Callable]:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        response_headers_conformance,
    ]


class Fuzzer:
    def __init__(self, base_url: str, errors: ServerErrors, report: FuzzReport, deadline: float) -> None:
        import schemathesis

        self.base_url, self.errors, self.report, self.deadline = base_url, errors, report, deadline
        self.schema = schemathesis.openapi.from_url(base_url + "/openapi.json")
        self.http = requests.Session()
        self.checks = _checks()

    def operations(self) -> Iterator[Any]:
        from schemathesis.core.result import Ok

        for result in self.schema.get_all_operations():
            if not isinstance(result, Ok):  # an operation the schema describes wrongly: nothing to send
                self.report.generation_errors.append(f"invalid operation in the schema: {result.err()}"[:300])
                continue
            yield result.ok()

    def exercise(self, role: str, case: Any, send: dict[str, Any] | None = None, body: Any = None) -> int | None:
        """Send one case (with `send`: the transport's own arguments, e.g. a multipart upload
        whose body `body` shows), check the answer, record it. Never raises: every case counts."""
        if time.monotonic() > self.deadline:
            self.report.truncated = True
            return None
        op = case.operation
        key = (role, op.method.upper(), op.path)
        self.report.areas[key[1:]] = (op.definition.raw.get("tags") or ["-"])[0]
        self.errors.take()
        if case.path_parameters:  # schemathesis sends '%', '#', '?' and '/' in a value as they are
            case.path_parameters = {k: _escaped(v) for k, v in case.path_parameters.items()}
        try:
            response = case.call(base_url=self.base_url, session=self.http, timeout=REQUEST_TIMEOUT_S, **(send or {}))
        except (requests.ConnectionError, requests.Timeout) as exc:  # dropped or hung: as bad as a 5xx
            self.report.statuses.setdefault(key, Counter())[599] += 1
            self._record("5xx", role, case, 599, f"no answer: {type(exc).__name__}: {str(exc)[:200]}", body)
            return 599
        except Exception as exc:  # the client could not even send it (e.g. a header it cannot encode)
            self.report.generation_errors.append(f"{op.label}: not sendable: {type(exc).__name__}: {exc}"[:300])
            return None
        status = response.status_code
        self.report.statuses.setdefault(key, Counter())[status] += 1
        self.report.slowest[key[1:]] = max(float(response.elapsed), self.report.slowest.get(key[1:], 0.0))
        logged = self.errors.take()
        if status >= 500:
            waited = time.monotonic() + 1.0  # the server logs the exception after it has answered
            while not logged and time.monotonic() < waited:
                time.sleep(0.02)
                logged = self.errors.take()
            cause = "; ".join(logged[-2:]) or response.text[:200]
            self._record("5xx", role, case, status, f"{response.text[:200]} | server log: {cause}", body)
        self._check(role, case, response, body)
        return status

    def _check(self, role: str, case: Any, response: Any, body: Any) -> None:
        try:
            case.validate_response(response, checks=self.checks)
        except (AssertionError, BaseExceptionGroup) as exc:  # schemathesis' Failure, or a group of them
            for failure in getattr(exc, "exceptions", None) or [exc]:
                check = getattr(failure, "checks", None) or ("check",)
                server_error = response.status_code >= 500 and check[0] == "status_code_conformance"
                if check[0] == "not_a_server_error" or server_error:
                    continue  # counted as a 5xx already
                title = getattr(failure, "title", type(failure).__name__)
                message = " ".join(str(getattr(failure, "message", "") or failure).split())
                self._record(check[0], role, case, response.status_code, f"{title}: {message[:400]}", body)
        except Exception as exc:  # a check that cannot run is reported, not fatal
            error = f"{case.operation.label}: check error {type(exc).__name__}: {exc}"
            self.report.generation_errors.append(error[:300])

    def _record(self, kind: str, role: str, case: Any, status: int, message: str, body: Any = None) -> None:
        op = case.operation
        reproduction = reproduction_of(case, role)
        if body is not None:
            reproduction["body"] = shown(body)
        # A case sent with the transport's own arguments (a multipart upload) is shown as sent.
        minimizable = case if body is None else None
        self._found(kind, role, op.method.upper(), op.path, status, message, reproduction, minimizable)

    def _found(
        self,
        kind: str,
        role: str,
        method: str,
        template: str,
        status: int,
        message: str,
        reproduction: dict,
        case: Any = None,
    ) -> None:
        # Distinct: by check and message, or for a 5xx by the cause the server logged.
        key = (
            kind,
            method,
            template,
            status,
            message.rsplit("server log: ", 1)[-1][:60] if kind == "5xx" else message[:120],
        )
        found = self.report.findings.get(key)
        if found is None:
            found = self.report.findings[key] = Finding(kind, method, template, status, message, reproduction)
            found.case = case
            self.minimize(found)  # now: later requests may change the state the failure needs
        elif len(json.dumps(reproduction, default=str)) < len(json.dumps(found.reproduction, default=str)):
            found.reproduction, found.message, found.minimized = reproduction, message, False  # keep the smallest
        found.roles.add(role)
        found.count += 1

    # --- minimal reproductions ------------------------------------------------------------

    def minimize(self, finding: Finding, max_tries: int = 60) -> None:
        """Drop the query parameters, headers and body keys the failure does not need, one at a
        time, re-sending each smaller request (greedy; the API key is kept)."""
        case, tries = finding.case, 0
        if case is None:
            return
        query = dict(case.query or {})
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "x-api-key"}
        key = {k: v for k, v in (case.headers or {}).items() if k.lower() == "x-api-key"}
        body = copy.deepcopy(case.body) if isinstance(case.body, dict) else case.body

        def smaller(q: dict, h: dict, b: Any) -> Any:
            extra = {} if isinstance(b, NotSet) else {"body": b, "media_type": case.media_type}
            path = case.path_parameters or None
            return case.operation.Case(path_parameters=path, headers={**h, **key}, query=q or None, **extra)

        def reproduces(candidate: Any) -> bool:
            nonlocal tries
            tries += 1
            self.report.minimizing_requests += 1
            return self._same_failure(finding, candidate)

        for name in list(query):
            if tries < max_tries and reproduces(smaller(without(query, (name,)), headers, body)):
                query = without(query, (name,))
        for name in list(headers):
            if tries < max_tries and reproduces(smaller(query, without(headers, (name,)), body)):
                headers = without(headers, (name,))
        for path in sorted(key_paths(body), key=len):  # whole objects first, then what is inside
            if tries < max_tries and has_key(body, path) and reproduces(smaller(query, headers, without(body, path))):
                body = without(body, path)
        role = finding.reproduction["role"]
        finding.reproduction, finding.minimized = reproduction_of(smaller(query, headers, body), role), True

    def _same_failure(self, finding: Finding, case: Any) -> bool:
        try:
            response = case.call(base_url=self.base_url, session=self.http, timeout=REQUEST_TIMEOUT_S)
        except (requests.ConnectionError, requests.Timeout):
            return finding.status == 599
        except Exception:  # not sendable without the dropped part
            return False
        if response.status_code != finding.status:
            return False
        if finding.kind == "5xx":
            return True
        try:
            case.validate_response(response, checks=self.checks)
        except (AssertionError, BaseExceptionGroup) as exc:
            failures = getattr(exc, "exceptions", None) or [exc]
            return any((getattr(f, "checks", None) or ("",))[0] == finding.kind for f in failures)
        except Exception:
            return False
        return False

    def undeclared_methods(self, role: str, headers: dict[str, str], seeded: Seeded) -> None:
        """Each path with the methods it does not declare, and a path that does not exist: the
        framework's 405 and 404 must be the declared error shape too."""
        declared: dict[str, set[str]] = {}
        for op in self.operations():
            declared.setdefault(op.path, set()).add(op.method.upper())
        declared[API_PREFIX + "/khong-co-duong-nay"] = set()
        for template, methods in declared.items():
            bindings = [b for method in sorted(methods) for b in seeded.bindings(method, template)]
            path = template.format(**bindings[0]) if bindings else template
            for method in sorted({"GET", "POST", "PUT", "DELETE", "PATCH"} - methods)[: 3 if methods else 1]:
                response = self.http.request(method, self.base_url + path, headers=headers, timeout=REQUEST_TIMEOUT_S)
                self.report.statuses.setdefault((role, method, template), Counter())[response.status_code] += 1
                self.report.areas[(method, template)] = UNDECLARED
                problem = error_shape_problem(response, 405 if methods else 404)
                if problem:
                    reproduction: dict[str, Any] = {"role": role, "method": method, "path": as_sent(path)}
                    kind = "5xx" if response.status_code >= 500 else "error_shape"
                    self._found(kind, role, method, template, response.status_code, problem, reproduction)

    # --- the three phases of one operation ------------------------------------------------

    def explicit(self, role: str, op: Any, headers: dict[str, str], seeded: Seeded) -> list[int | None]:
        statuses = []
        for request in seeded.explicit.get((op.method.upper(), op.path), []) or [Explicit()]:
            case = op.Case(
                path_parameters=request.path_parameters or None,
                headers={**headers, **request.headers},
                query=request.query or None,
                **({"body": request.body, "media_type": request.media_type} if request.body is not None else {}),
            )
            statuses.append(self.exercise(role, case, send=request.send or None, body=request.send or None))
        return statuses

    def coverage(self, role: str, op: Any, headers: dict[str, str], bindings: list[dict[str, str]]) -> None:
        from schemathesis.generation import GenerationMode
        from schemathesis.generation.drivers import CoverageGenerator
        from schemathesis.generation.feedback import FeedbackSources
        from schemathesis.generation.overrides import Override

        for binding in [*bindings[:1], {}] if op.path_parameters else [{}]:
            try:
                generator = CoverageGenerator(
                    operation=op,
                    generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                    generation_config=self.schema.config.generation_for(operation=op, phase="coverage"),
                    auth_storage=None,
                    override=Override(headers=dict(headers), path_parameters=dict(binding)),
                    feedback=FeedbackSources(),
                )
                for case in generator:
                    self.exercise(role, case)
            except Exception as exc:  # a case schemathesis cannot build is not the API's fault
                self.report.generation_errors.append(f"{role} {op.label} coverage: {type(exc).__name__}: {exc}"[:300])

    def fuzz(
        self, role: str, op: Any, headers: dict[str, str], bindings: list[dict[str, str]], examples: int, seed: int
    ) -> None:
        from schemathesis.generation import GenerationMode

        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            options = [op.as_strategy(mode, headers=dict(headers), path_parameters=dict(b)) for b in bindings]
            options.append(op.as_strategy(mode, headers=dict(headers)))  # generated path parameters too
            strategy = st.one_of(options)

            @hypothesis.seed(seed)
            @hypothesis.settings(_settings(examples))
            @hypothesis.given(case=strategy)
            def run(case: Any) -> None:
                self.exercise(role, case)

            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                pass  # nothing to make invalid: e.g. a free-text path parameter and no body
            except Exception as exc:  # a case schemathesis cannot build is not the API's fault
                self.report.generation_errors.append(
                    f"{role} {op.label} {mode.value}: {type(exc).__name__}: {exc}"[:300]
                )

    def around(self, role: str, op: Any, headers: dict[str, str], seeded: Seeded, examples: int, seed: int) -> None:
        """Valid requests with one part made hostile (benchmarks/fuzz_inputs.py)."""
        valid = seeded.explicit.get((op.method.upper(), op.path), [])
        uploads = [r for r in valid if r.media_type == "multipart/form-data"]
        others = [r for r in valid if r.media_type != "multipart/form-data" and mutable(r)]
        options: list[st.SearchStrategy[Any]] = [around_upload(uploads)] if uploads else []
        options += [around_request(others)] if others else []
        if not options:
            return

        @hypothesis.seed(seed)
        @hypothesis.settings(_settings(examples))
        @hypothesis.given(item=st.one_of(options))
        def run(item: Any) -> None:
            if isinstance(item, tuple):
                request, upload = item
                case = op.Case(path_parameters=request.path_parameters or None, headers=dict(headers))
                self.exercise(role, case, send=upload.send_kwargs(), body=upload.shown())
                return
            body = {} if item.body is None else {"body": item.body, "media_type": item.media_type}
            path, query = item.path_parameters or None, item.query or None
            self.exercise(role, op.Case(path_parameters=path, headers=dict(headers), query=query, **body))

        try:
            run()
        except Exception as exc:  # a case schemathesis cannot build is not the API's fault
            self.report.generation_errors.append(f"{role} {op.label} around: {type(exc).__name__}: {exc}"[:300])


def _escaped(value: Any) -> Any:
    """A path parameter as a client sends it: a value, never a fragment, a query or more segments."""
    if not isinstance(value, str):
        return value
    return value.replace("%", "%25").replace("#", "%23").replace("?", "%3F").replace("/", "%2F")


def _settings(examples: int) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=examples,
        deadline=None,  # a request's time is bounded by REQUEST_TIMEOUT_S, the run's by --budget-s
        database=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
    )


# --- the run -----------------------------------------------------------------------------------


def fuzz(
    settings: Settings,
    *,
    backend: str = "local-sqlite",
    examples: int = 20,
    roles: tuple[str, ...] = (*ROLES, ANONYMOUS),
    seed: int = 1414,
    budget_s: float = 1200.0,
    coverage: bool = True,
    only: Callable[[str, str], bool] | None = None,
    service: IntakeService | None = None,
) -> FuzzReport:
    """Fuzz every operation (or those `only(METHOD, template)` keeps) as each role; see the module doc."""
    started = time.monotonic()
    report = FuzzReport(backend, examples, seed)
    service = service or open_service(settings)
    keys = {role: create_key(service, role) for role in ROLES}
    with serve(service) as (base_url, errors):
        fuzzer = Fuzzer(base_url, errors, report, started + budget_s)
        seeder = Seeder(service, base_url, keys, errors)
        for role in roles:
            seeded = seeder.seed()
            errors.take()
            headers = {"X-API-Key": keys[role]} if role in keys else {}
            if only is None:
                fuzzer.undeclared_methods(role, headers, seeded)
            for op in fuzzer.operations():
                if only is not None and not only(op.method.upper(), op.path):
                    continue
                statuses = fuzzer.explicit(role, op, headers, seeded)
                refused = bool(statuses) and all(s in (401, 403) for s in statuses)
                bindings = seeded.bindings(op.method.upper(), op.path)
                if coverage and not refused:
                    fuzzer.coverage(role, op, headers, bindings)
                fuzzer.fuzz(role, op, headers, bindings, max(2, examples // 4) if refused else examples, seed)
                if not refused:
                    fuzzer.around(role, op, headers, seeded, examples, seed)
    report.seconds = time.monotonic() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=20, help="generated cases per operation, role and mode")
    parser.add_argument("--backend", choices=BACKENDS, default="local-sqlite")
    parser.add_argument("--roles", default=",".join((*ROLES, ANONYMOUS)))
    parser.add_argument("--seed", type=int, default=1414)
    parser.add_argument("--budget-s", type=float, default=1200.0, help="stop sending after this many seconds")
    parser.add_argument("--no-coverage", action="store_true", help="skip schemathesis' boundary cases")
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    args = parser.parse_args(argv)
    roles = tuple(r for r in args.roles.split(",") if r)
    unknown = set(roles) - {*ROLES, ANONYMOUS}
    if unknown:
        parser.error(f"unknown roles: {', '.join(sorted(unknown))}")
    workdir = Path(tempfile.mkdtemp(prefix="sohoa-fuzz-", dir="/tmp"))
    if args.backend == "s3-postgres":
        workdir.chmod(0o755)  # the server runs as the `postgres` user, and must reach its data directory
    try:
        with backend_settings(args.backend, workdir) as settings:
            report = fuzz(
                settings,
                backend=args.backend,
                examples=args.examples,
                roles=roles,
                seed=args.seed,
                budget_s=args.budget_s,
                coverage=not args.no_coverage,
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(render(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.to_dict(), indent=2, default=str))  # ASCII: lone surrogates too
    return 1 if report.server_errors or report.violations or report.truncated else 0


if __name__ == "__main__":
    sys.exit(main())
