"""Log lines: one JSON object per line (SOHOA_LOG__FORMAT=json, the default) or a readable line
(text), for our own `logging.getLogger` calls, uvicorn's and SQLAlchemy's alike (structlog's
ProcessorFormatter on the root logger: no log call changes).

Every line written while a request runs carries its `request_id`, `route` (the template, never
the raw path) and `dossier` (the code or id in the path), from the request context that
api/observability.py sets. ID numbers (runs of 9 to 12 digits) are masked in every line, exceptions
included; times are Vietnam time, ISO 8601 with the +07:00 offset. docs/OBSERVABILITY.md.
"""

from __future__ import annotations

import contextvars
import logging
import re
import secrets
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, TextIO

import structlog
from starlette.routing import Mount
from structlog.types import EventDict, Processor, WrappedLogger

from intake.clock import SystemClock
from intake.settings import LogSettings
from pipeline.masking import mask_name, mask_number

# CCCD (12 digits) and CMND (9 or 12) numbers: a run of 9 to 12 digits standing alone (not part
# of a longer number, nor of a token such as a request id or a hash, where digits touch letters).
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{9,12}(?![0-9A-Za-z])")
NAME_KEYS = frozenset({"full_name", "applicant_name", "ho_va_ten"})  # a name given as a field is masked
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
DOSSIER_PARAMS = ("code", "ref")  # path parameters that name a dossier (its code, or its id before it has one)
DOSSIER_REF = re.compile(r"[A-Za-z0-9._-]{1,80}")
ACCESS_FIELDS = ("method", "status", "duration_ms", "error_code")  # `extra` of the access line kept in it
# SQLAlchemy writes every statement at INFO; an HTTP client its URLs (a query may hold a name).
QUIET_LOGGERS = ("sqlalchemy", "httpx", "httpcore", "urllib3")
CLOCK = SystemClock()  # the machine's time, told in Vietnam time


# --- the request a line or an error answer belongs to ------------------------------------------


@dataclass
class RequestContext:
    """The request being answered: its id, and its ASGI scope, where routing writes the route
    and the path parameters (read when a line is written: lines after routing have them)."""

    request_id: str
    scope: MutableMapping[str, Any]
    error_code: str | None = None  # the ErrorCode the answer carried, if it was a refusal

    @property
    def route(self) -> str | None:
        return route_template(self.scope)

    @property
    def dossier(self) -> str | None:
        params = self.scope.get("path_params") or {}
        for name in DOSSIER_PARAMS:
            value = params.get(name)
            if isinstance(value, str) and DOSSIER_REF.fullmatch(value):
                return value
        return None


CURRENT_REQUEST: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("sohoa_request", default=None)


def route_template(scope: MutableMapping[str, Any]) -> str | None:
    """The template of the route that served `scope` (`/api/v1/dossiers/{ref}/files`), None
    before routing or when no route serves the path. A route of an included router knows its
    path without the router's prefix: the prefix is the part of the path before what it matches."""
    route = scope.get("route")
    regex = getattr(route, "path_regex", None)
    path = scope.get("path", "")
    if route is None or regex is None:
        return None
    own = f"{route.path}/{{path}}" if isinstance(route, Mount) else str(route.path)
    for cut in [i for i, ch in enumerate(path) if ch == "/"]:
        if regex.match(path[cut:]):
            return path[:cut] + own
    return own


def request_id_from(header: str | None) -> str:
    """The caller's X-Request-ID when it is a sane token (≤ 64 of [A-Za-z0-9._-]), else a new one."""
    if header is not None and REQUEST_ID.fullmatch(header):
        return header
    return secrets.token_hex(16)


def current_request() -> RequestContext | None:
    return CURRENT_REQUEST.get()


def bind_request(context: RequestContext) -> contextvars.Token[RequestContext | None]:
    """From here on, in this task and the threads it hands work to, log lines carry the request."""
    return CURRENT_REQUEST.set(context)


def unbind_request(token: contextvars.Token[RequestContext | None]) -> None:
    CURRENT_REQUEST.reset(token)


# --- processors --------------------------------------------------------------------------------


def request_fields(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    request = CURRENT_REQUEST.get()
    if request is not None:
        event.setdefault("request_id", request.request_id)
        if (route := request.route) is not None:
            event.setdefault("route", route)
        if (dossier := request.dossier) is not None:
            event.setdefault("dossier", dossier)
    return event


def mask_personal(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    """ID numbers masked in every string of the line (message, fields, traceback); a value under
    a name key masked as a name. Names in free text cannot be recognised: they must never be logged."""
    for key, value in event.items():
        if isinstance(value, str):
            value = ID_NUMBER.sub(lambda m: mask_number(m.group()), value)
            event[key] = mask_name(value) if key in NAME_KEYS else value
    return event


def vietnam_time(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    event["timestamp"] = CLOCK.now().isoformat(timespec="milliseconds")
    return event


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        request_fields,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(ACCESS_FIELDS),
        vietnam_time,
        structlog.processors.format_exc_info,
        mask_personal,
    ]


def _renderer(format: str) -> Processor:
    if format == "json":
        return structlog.processors.JSONRenderer(ensure_ascii=False)
    return structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)


class LineHandler(logging.StreamHandler):
    """Ours on the root logger (others there, e.g. a test runner's, are left alone)."""


def configure_logging(settings: LogSettings, *, floor: int | None = None, stream: TextIO | None = None) -> None:
    """Route every logger (root) through one formatter writing to `stream` (stderr). `floor`: a
    level below which nothing is written whatever the settings say (the CLI's own commands)."""
    level = logging.getLevelName(settings.level.upper())
    level = level if isinstance(level, int) else logging.INFO
    if floor is not None:
        level = max(level, floor)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, _renderer(settings.format)],
    )
    handler = LineHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, LineHandler)]:
        root.removeHandler(old)  # configured again (serve after main): one line per record still
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        named = logging.getLogger(name)
        named.handlers.clear()  # uvicorn's own handlers would write a second, unformatted line
        named.propagate = True
        named.setLevel(logging.NOTSET)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    structlog.configure(
        processors=[*_shared_processors(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
