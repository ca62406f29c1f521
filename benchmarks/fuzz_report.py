"""The report of an OpenAPI fuzzing run (benchmarks/fuzz.py): requests per route and status
class, the slowest answer per route, and each distinct 5xx or schema violation with its smallest
reproduction."""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests
from schemathesis.core import NotSet

UNDECLARED = "undeclared"  # the area of the probes with methods and paths the OpenAPI does not declare


@dataclass
class Finding:
    """One distinct problem: a 5xx or a failed check on one route, with its smallest reproduction."""

    kind: str  # "5xx" or the failed check (status_code_conformance, response_schema_conformance, ...)
    method: str
    template: str
    status: int
    message: str
    reproduction: dict[str, Any]
    roles: set[str] = field(default_factory=set)
    count: int = 0
    case: Any = field(default=None, repr=False)  # the schemathesis case to minimize, where one can be re-sent
    minimized: bool = False

    def line(self) -> str:
        r = self.reproduction
        body = f" body={r['body']}" if r.get("body") is not None else ""
        query = f" query={r['query']}" if r.get("query") else ""
        headers = f" headers={r['headers']}" if r.get("headers") else ""
        return (
            f"[{self.kind}] {self.method} {self.template} -> {self.status} ({self.count}x, roles "
            f"{','.join(sorted(self.roles))})\n    {self.message}\n"
            f"    reproduce{' (minimized)' if self.minimized else ''}: "
            f"{r['method']} {r['path']}{query}{headers}{body} with the {r['role']} key"
        )


@dataclass
class FuzzReport:
    backend: str
    examples: int
    seed: int
    seconds: float = 0.0
    truncated: bool = False
    statuses: dict[tuple[str, str, str], Counter[int]] = field(default_factory=dict)  # (role, METHOD, template)
    areas: dict[tuple[str, str], str] = field(default_factory=dict)  # (METHOD, template) -> tag
    slowest: dict[tuple[str, str], float] = field(default_factory=dict)  # (METHOD, template) -> seconds
    findings: dict[tuple[str, str, str, int, str], Finding] = field(default_factory=dict)
    generation_errors: list[str] = field(default_factory=list)
    minimizing_requests: int = 0  # re-sent to shrink reproductions; not in the counts above

    @property
    def requests(self) -> int:
        return sum(sum(c.values()) for c in self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for c in self.statuses.values() for status, n in c.items() if status >= 500)

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings.values() if f.kind != "5xx"]

    def by_route(self) -> dict[tuple[str, str], Counter[int]]:
        out: dict[tuple[str, str], Counter[int]] = {}
        for (_role, method, template), counts in self.statuses.items():
            out.setdefault((method, template), Counter()).update(counts)
        return out

    def answered_2xx(self, method: str, template: str, role: str | None = None) -> int:
        return sum(
            n
            for (r, m, t), counts in self.statuses.items()
            if m == method and t == template and (role is None or r == role)
            for status, n in counts.items()
            if 200 <= status < 400
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "examples": self.examples,
            "seed": self.seed,
            "seconds": round(self.seconds, 1),
            "truncated": self.truncated,
            "requests": self.requests,
            "server_errors": self.server_errors,
            "routes": {f"{m} {t}": dict(sorted(c.items())) for (m, t), c in sorted(self.by_route().items())},
            "slowest_ms": {f"{m} {t}": round(s * 1000) for (m, t), s in sorted(self.slowest.items())},
            "findings": [
                {**{k: v for k, v in f.__dict__.items() if k not in ("roles", "case")}, "roles": sorted(f.roles)}
                for f in self.findings.values()
            ],
            "generation_errors": self.generation_errors,
        }


def shown(value: Any, limit: int = 300) -> Any:
    """A request part as a reproduction shows it: bytes by size, long texts cut."""
    if isinstance(value, bytes):
        return f"<{len(value)} bytes{': ' + repr(value[:40]) if len(value) <= 40 else ''}>"
    if isinstance(value, dict):
        return {k: shown(v, limit) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [shown(v, limit) for v in value[:20]]
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + f"…<{len(value)} chars>"
    return value


def render(report: FuzzReport) -> str:
    lines = [
        f"OpenAPI fuzzing ({report.backend}, {report.examples} examples per mode, seed {report.seed}): "
        f"{report.requests} requests in {report.seconds:.0f} s"
        + (" — TRUNCATED by --budget-s" if report.truncated else ""),
        "",
        f"{'area':9} {'route':78} {'requests':>8} {'2xx':>6} {'3xx':>5} {'4xx':>6} {'5xx':>5} {'max ms':>7}",
    ]
    probes = Counter[int]()
    for (method, template), counts in sorted(
        report.by_route().items(), key=lambda item: (report.areas.get(item[0], ""), item[0][1], item[0][0])
    ):
        area = report.areas.get((method, template), "-")
        if area == UNDECLARED:
            probes.update(counts)
            continue
        by_class = Counter(status // 100 for status in counts.elements())
        lines.append(
            f"{area:9} {method + ' ' + template:78} {sum(counts.values()):>8} "
            f"{by_class[2]:>6} {by_class[3]:>5} {by_class[4]:>6} {by_class[5]:>5} "
            f"{report.slowest.get((method, template), 0) * 1000:>7.0f}"
        )
    if probes:
        answers = ", ".join(f"{status}: {n}" for status, n in sorted(probes.items()))
        lines.append(
            f"{UNDECLARED:9} {'methods a path does not declare, a path that does not exist':78} "
            f"{sum(probes.values()):>8}   ({answers})"
        )
    per_role = Counter[str]()
    for (role, _m, _t), counts in report.statuses.items():
        per_role[role] += sum(counts.values())
    lines += ["", "requests per role: " + ", ".join(f"{r} {n}" for r, n in per_role.items())]
    per_area = Counter[str]()
    for route, counts in report.by_route().items():
        per_area[report.areas.get(route, "-")] += sum(counts.values())
    lines += ["requests per area: " + ", ".join(f"{a} {n}" for a, n in sorted(per_area.items()))]
    lines += [
        f"5xx answers: {report.server_errors} (goal 0)",
        f"responses outside the declared schemas: {sum(f.count for f in report.violations)} "
        f"({len(report.violations)} distinct) (goal 0)",
    ]
    if report.findings:
        lines += ["", f"findings (distinct; reproductions minimized with {report.minimizing_requests} more requests):"]
        lines += [f.line() for f in sorted(report.findings.values(), key=lambda f: (f.kind != "5xx", f.template))]
    if report.generation_errors:
        lines += ["", f"cases schemathesis could not build: {len(report.generation_errors)} (not API defects)"]
        lines += [f"  {e}" for e in report.generation_errors[:10]]
    return "\n".join(lines)


def error_shape_problem(response: requests.Response, expected: int) -> str | None:
    """What is wrong with a framework error answer: its status, or its body's shape
    ({"code", "message", "message_en"}, all strings, as ErrorPublic declares)."""
    if response.status_code != expected:
        return f"expected {expected}, got {response.status_code}: {response.text[:200]}"
    try:
        body = response.json()
    except ValueError:
        return f"not JSON ({response.headers.get('content-type')}): {response.text[:200]}"
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("code", "message", "message_en")):
        return f"not the declared error shape: {str(body)[:200]}"
    return None


def as_sent(path: str) -> str:
    """A path as it goes on the wire: what a reproduction must show (a NUL is %00, not invisible);
    its parameters were escaped already (a '%' in one is sent as %25)."""
    return quote(path, safe="/-._~:@!$&'()*+,;=%")


def reproduction_of(case: Any, role: str) -> dict[str, Any]:
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "x-api-key"}
    body = None if isinstance(case.body, NotSet) else shown(case.body)
    return {
        "role": role,
        "method": case.method.upper(),
        "path": as_sent(case.formatted_path),
        "query": shown(case.query or {}),
        "headers": shown(headers),
        "media_type": case.media_type,
        "body": body,
    }


def key_paths(body: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key of a JSON object and of the objects inside it, as paths."""
    if not isinstance(body, dict):
        return []
    return [p for key, value in body.items() for p in [(*path, key), *key_paths(value, (*path, key))]]


def has_key(body: Any, path: tuple[str, ...]) -> bool:
    for key in path:
        if not isinstance(body, dict) or key not in body:
            return False
        body = body[key]
    return True


def without(body: Any, path: tuple[str, ...]) -> Any:
    """A copy of a JSON object without the key at `path`."""
    out = copy.deepcopy(body)
    target = out
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return out
