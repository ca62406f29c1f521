"""Hostile values around valid requests: the fuzzer's (benchmarks/fuzz.py) last source of cases.

Generation from the schema alone rarely gets a request past the first refusal (a random service
point code is unknown, a random dossier reference is not found), so the values that do reach the
database and the object store — an applicant's name, a filename, a corrected value, a note — are
seldom tried with what an attacker sends. Here one part of a valid request (one JSON leaf, or the
uploaded file's name, bytes and source) is replaced by a hostile value at a time.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from benchmarks.fuzz_state import Explicit, png

HOSTILE_TEXT = (
    "",
    " ",
    "\x00",
    "Nguyễn\x00Văn",
    "\x1b[2J\x07",
    "\t\r\n",
    "\u202egnp.exe",  # right-to-left override
    "\ud800",  # a lone surrogate: valid JSON (escaped), not encodable as UTF-8
    "０１２３４５６７８９０１",  # fullwidth digits
    "١٢٣٤٥٦٧٨٩٠١٢",  # Arabic-Indic digits
    "../../../../etc/passwd.png",
    "/etc/passwd",
    "C:\\Windows\\win.ini",
    "' OR '1'='1' --",
    "%00%2e%2e%2f",
    "Nguyễn" * 40,
    "x" * 5000,
    "🙂" * 300,
)
HOSTILE_INTS = (0, -1, 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 10**30)
# What an upload may hold: nothing, noise, a PNG, and heads of other formats with nothing behind.
UPLOAD_BYTES: tuple[bytes, ...] = (b"", b"\x00" * 64, b"%PDF-1.7\n%%EOF\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0")


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=80))


def hostile_value(original: Any) -> st.SearchStrategy[Any]:
    """A value to put where `original` was: of its type, hostile, or of another type."""
    others = st.one_of(
        st.none(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False), st.lists(st.integers(), max_size=3)
    )
    if isinstance(original, bool):
        return st.one_of(st.booleans(), others, hostile_text())
    if isinstance(original, int):
        return st.one_of(st.sampled_from(HOSTILE_INTS), st.integers(), others, hostile_text())
    return st.one_of(hostile_text(), hostile_text(), others)


def leaves(body: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The paths of a JSON object's scalar values."""
    if isinstance(body, dict):
        return [leaf for key, value in body.items() for leaf in leaves(value, (*path, key))]
    return [path]


def replaced(body: Any, path: tuple[str, ...], value: Any) -> Any:
    out = copy.deepcopy(body)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


def _at(body: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        body = body[key]
    return body


def mutable(request: Explicit) -> list[tuple[str, tuple[str, ...]]]:
    """The parts of a request that `around` may make hostile: (where, path)."""
    parts: list[tuple[str, tuple[str, ...]]] = [("path", (name,)) for name in request.path_parameters]
    parts += [("query", (name,)) for name in request.query]
    if isinstance(request.body, dict) and request.media_type == "application/json":
        parts += [("body", leaf) for leaf in leaves(request.body)]
    return parts


def _path_value(original: str) -> st.SearchStrategy[str]:
    """A path segment: numbers past any column's range for a number, hostile text for a text."""
    if original.isdigit():
        return st.one_of(st.sampled_from(HOSTILE_INTS), st.integers()).map(str)
    return hostile_text().filter(lambda text: text.strip() != "" and _sendable(text))


@st.composite
def around_request(draw: st.DrawFn, requests_: list[Explicit]) -> Explicit:
    """A valid request (path, query, JSON body) with one of its values made hostile."""
    request = draw(st.sampled_from([r for r in requests_ if mutable(r)]))
    where, path = draw(st.sampled_from(mutable(request)))
    if where == "path":
        value = draw(_path_value(request.path_parameters[path[0]]))
        return Explicit({**request.path_parameters, path[0]: value}, request.body, request.media_type, request.query)
    if where == "query":
        value = draw(hostile_value(request.query[path[0]]).filter(lambda v: not isinstance(v, str) or _sendable(v)))
        query = {**request.query, path[0]: value}
        return Explicit(request.path_parameters, request.body, request.media_type, query)
    value = draw(hostile_value(_at(request.body, path)))
    return Explicit(request.path_parameters, replaced(request.body, path, value), request.media_type, request.query)


@dataclass(frozen=True)
class Upload:
    """A multipart upload as sent: the file's name and bytes, and the `source` form field."""

    filename: str
    data: bytes
    source: str | None

    def send_kwargs(self) -> dict[str, Any]:
        form = {"source": self.source} if self.source is not None else {}
        return {"files": {"file": (self.filename, self.data, "application/octet-stream")}, "data": form}

    def shown(self) -> dict[str, Any]:
        return {"file": (self.filename, f"<{len(self.data)} bytes>"), "source": self.source}


def _sendable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


@st.composite
def around_upload(draw: st.DrawFn, requests_: list[Explicit]) -> tuple[Explicit, Upload]:
    """A valid upload (a small PNG, `source` scan) with its name, bytes or source made hostile."""
    request = draw(st.sampled_from(requests_))
    name, data = "trang.png", png()
    source: str | None = "scan"
    part = draw(st.sampled_from(("filename", "filename", "bytes", "source")))
    if part == "filename":
        names = st.one_of(hostile_text(), hostile_text().map(lambda n: n + ".png"))
        name = draw(names.filter(_sendable))  # a multipart header cannot carry a lone surrogate
    elif part == "bytes":
        data = draw(st.one_of(st.sampled_from(UPLOAD_BYTES), st.binary(max_size=256)))
    else:
        source = draw(st.one_of(st.none(), hostile_text().filter(_sendable)))
    return request, Upload(name, data, source)
