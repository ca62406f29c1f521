"""Metrics (/metrics, Prometheus) and the request id of every request and log line.

`RequestObservation` is a pure ASGI middleware (streamed downloads keep streaming) wrapped
around the whole app, Starlette's own 500 answer included: it takes or makes the request id,
returns it as `X-Request-ID` on every answer, binds it (with the route template and the dossier
of the path) to every log line the request writes, times the request and writes the access line
(no query string: it may hold a name). /metrics holds no personal data and asks no sign-in:
restrict it at the proxy or by NetworkPolicy (docs/OBSERVABILITY.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import RequestContext, bind_request, request_id_from, unbind_request
from intake import metrics
from intake.settings import Settings
from storage.db import Database

access_log = logging.getLogger("sohoa.access")

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "(unmatched)"  # a path no route serves (404): one label, whatever was asked
UPLOAD_ROUTES = ("/files", "/from-image")  # POST to a route ending so sends a file
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class HttpMetrics:
    """One app's HTTP figures (its own registry: several apps in one process never mix)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ["method", "route", "status"]
        self.seconds = Histogram(
            "sohoa_http_request_duration_seconds",
            "Seconds from a request's arrival to the end of its answer's body, by route template and status class.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.requests = Counter("sohoa_http_requests", "Requests answered.", labels, registry=registry)
        self.refused_uploads = Counter(
            "sohoa_uploads_refused",
            "Uploads (a file or a card's picture) refused with a 4xx, by the answer's error code.",
            ["code"],
            registry=registry,
        )

    def observe(self, method: str, context: RequestContext, status: int, seconds: float) -> None:
        route = context.route or UNMATCHED
        labels = (method, route, f"{status // 100}xx")
        self.seconds.labels(*labels).observe(seconds)
        self.requests.labels(*labels).inc()
        if method == "POST" and route.endswith(UPLOAD_ROUTES) and 400 <= status < 500 and context.error_code:
            self.refused_uploads.labels(context.error_code).inc()


class SharedMetrics(Collector):
    """What the page workers and the pool record for the whole process (intake/metrics.py)."""

    def collect(self) -> Iterator[Metric]:
        yield from metrics.REGISTRY.collect()


class RequestObservation:
    def __init__(self, app: ASGIApp, http: HttpMetrics) -> None:
        self.app = app
        self.http = http

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        context = RequestContext(request_id_from(_header(scope, b"x-request-id")), scope)
        token = bind_request(context)
        status = 500  # unless an answer starts

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = context.request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            self.answered(scope, context, status, started)
            raise  # the request stays bound: the server's traceback line carries it too
        self.answered(scope, context, status, started)
        unbind_request(token)

    def answered(self, scope: Scope, context: RequestContext, status: int, started: float) -> None:
        """The request's figures and its access line (no query string: it may hold a name)."""
        method = scope["method"] if scope["method"] in METHODS else "OTHER"
        seconds = time.perf_counter() - started
        self.http.observe(method, context, status, seconds)
        fields: dict[str, object] = {"method": method, "status": status, "duration_ms": round(seconds * 1000, 1)}
        if context.error_code:
            fields["error_code"] = context.error_code
        access_log.info("%s %s %d %.0f ms", method, context.route or UNMATCHED, status, seconds * 1000, extra=fields)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def install_observability(app: FastAPI, settings: Settings) -> None:
    """Request ids, HTTP metrics and the /metrics route."""
    registry = CollectorRegistry(auto_describe=True)
    http = HttpMetrics(registry)
    registry.register(SharedMetrics())
    registry.register(metrics.QueueCollector(lambda: _database(app), lambda: app.state.service.ctx.clock.now()))
    ProcessCollector(namespace="sohoa", registry=registry)  # CPU, memory, open files of this process

    @app.get("/metrics", include_in_schema=False)
    def prometheus(_request: Request) -> Response:
        return Response(
            generate_latest(registry), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"}
        )

    # Outside everything, Starlette's ServerErrorMiddleware (the 500) included, which otherwise
    # sits above every middleware an app adds: that answer too gets the request id.
    build = app.build_middleware_stack

    def observed_stack() -> ASGIApp:
        return RequestObservation(build(), http)

    app.build_middleware_stack = observed_stack  # type: ignore[method-assign]


def _database(app: FastAPI) -> Database | None:
    service = getattr(app.state, "service", None)  # None until the app has started
    return service.db if service is not None else None
