"""Small helpers every step of the decision uses: a field's base name and type, a status
change with its reason, where a value was read from and what it rests on."""

from __future__ import annotations

import re
from dataclasses import replace

from models.document import Field, FieldStatus, PageText, ReviewReason, TextSource, overlap
from models.fields import ValueType, field_spec

HANDWRITING_OVERLAP = 0.3  # share of a field's box under handwriting that makes it handwritten
# Sources that are readings of the value itself (one recognizer's or two) or its format.
_READINGS = frozenset({"ocr", "ocr2", "ocr3", "pdf_text", "rule"})


def base_name(name: str) -> str:
    """ "ngay_sinh_2" -> "ngay_sinh": a repeated label's field is of the same kind."""
    return re.sub(r"_\d+$", "", name)


def value_type(name: str) -> ValueType:
    spec = field_spec(base_name(name))
    return spec.value_type if spec else ValueType.TEXT


def flag(f: Field, status: FieldStatus, reason: ReviewReason | None, **detail: object) -> Field:
    """`f` with a new status and reason; `detail` added to what it already says (None: nothing)."""
    merged = {**(f.detail or {}), **{k: v for k, v in detail.items() if v is not None}} or None
    return replace(f, status=status, reason=reason, detail=merged)


def case_flipped(text: str) -> bool:
    """An upper-case letter right after a lower-case one inside a word ("phƯờng")."""
    return any(a.islower() and b.isupper() for a, b in zip(text, text[1:], strict=False))


def confirmed(f: Field) -> bool:
    """Rests on a second source (a code, the date in words), not only on readings of the
    value (one recognizer's or two) and its format."""
    return bool(set(f.sources) - _READINGS)


def text_source(f: Field, pages: dict[int, PageText]) -> str:
    page = pages.get(f.page)
    return "pdf_text" if page is not None and page.text_source == TextSource.PDF_TEXT else "ocr"


def handwritten(f: Field, pages: dict[int, PageText]) -> bool:
    page = pages.get(f.page)
    return page is not None and any(overlap(f.box, r) >= HANDWRITING_OVERLAP for r in page.handwriting)


def touches_handwriting(f: Field, pages: dict[int, PageText]) -> bool:
    """A mark lies over part of the field (a wrapped value written on one of its lines), or the
    field over most of a mark."""
    page = pages.get(f.page)
    return page is not None and any(
        max(overlap(f.box, r), overlap(r, f.box)) >= HANDWRITING_OVERLAP for r in page.handwriting
    )
