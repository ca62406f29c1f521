"""The fields of a công văn or quyết định, each with its status, and which of the two a
document is."""

from __future__ import annotations

import re
from datetime import date

from models.document import Field, FieldStatus, PageText
from pipeline.fields.official_doc.issuer import confirm_body, issuer_lines, issuing_body
from pipeline.fields.official_doc.layout import Found, PlacedLine, PlacedPage, clean, found, place_pages, to_field
from pipeline.fields.official_doc.number_date import (
    SYMBOL_PATTERN,
    date_status,
    dates_cited,
    find_date,
    find_number,
    symbol_parts,
)
from pipeline.fields.official_doc.signer import find_signer, title_pattern_ok
from pipeline.fields.official_doc.subject import title_line, title_subject, vv_subject
from pipeline.fields.official_doc.terms import DOC_TYPE_ABBREVIATIONS
from pipeline.text import fold


def _is_quyet_dinh_title(title: PlacedLine | None) -> bool:
    return title is not None and title.folded.rstrip(" :.") == "quyet dinh"


def official_subtype(pages: list[PageText]) -> str | None:
    """ "quyet_dinh" (the title QUYẾT ĐỊNH or a QĐ symbol), "cong_van" (a "V/v" subject or a
    symbol without a type part), or None (neither, or another type such as a thông báo)."""
    return _subtype(place_pages(pages))


def _subtype(placed: list[PlacedPage]) -> str | None:
    if not placed:
        return None
    page = placed[0]
    sym = find_number(page)
    number = sym[1] if sym else None
    doc_type = symbol_parts(sym[0].value)[0] if sym else None
    title = title_line(page, number)
    if _is_quyet_dinh_title(title) or doc_type == "QĐ":
        return "quyet_dinh"
    if title is not None or doc_type is not None:
        return None
    if vv_subject(page, number) is not None or sym is not None:
        return "cong_van"
    return None


def _symbol_status(symbol: Found, subtype: str | None, title: PlacedLine | None) -> FieldStatus:
    if re.match(r"^0+/", symbol.value):
        return FieldStatus.INVALID  # no document is numbered 0
    if not SYMBOL_PATTERN.match(symbol.value):
        return FieldStatus.NEEDS_REVIEW  # perhaps a misread: a person decides
    doc_type, _ = symbol_parts(symbol.value)
    if subtype == "quyet_dinh":
        # Two sources: the title QUYẾT ĐỊNH and the symbol's type part QĐ.
        return FieldStatus.OK if doc_type == "QĐ" and _is_quyet_dinh_title(title) else FieldStatus.NEEDS_REVIEW
    if title is not None and (doc_type is None or fold(DOC_TYPE_ABBREVIATIONS[doc_type]) != title.folded.rstrip(" :.")):
        return FieldStatus.NEEDS_REVIEW  # a titled document whose symbol names another type
    return FieldStatus.OK


def _issue_date_field(
    placed: list[PlacedPage], number: PlacedLine | None, today: date, review_threshold: float
) -> Field | None:
    dated = find_date(placed[0], number)
    if dated is None:
        return None
    value, parts = dated
    if parts is None:  # which date it is is a guess
        return to_field(value, FieldStatus.NEEDS_REVIEW, review_threshold)
    d, mo, y = parts
    status = date_status(d, mo, y, today)
    if status == FieldStatus.OK and any(c > date(y, mo, d) for c in dates_cited(placed) if c <= today):
        status = FieldStatus.NEEDS_REVIEW  # issued before a law it cites: one of the two misread
    return to_field(value, status, review_threshold)


def _signer_fields(placed: list[PlacedPage], review_threshold: float) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    titles, name = find_signer(placed)
    if titles is not None:
        ok = title_pattern_ok([ln.text for ln in titles.lines])
        fields["chuc_vu_nguoi_ky"] = to_field(
            titles, FieldStatus.OK if ok else FieldStatus.NEEDS_REVIEW, review_threshold
        )
    if name is not None:  # free text: nothing to check it against
        fields["nguoi_ky"] = to_field(name, FieldStatus.NEEDS_REVIEW, review_threshold)
    return fields


def extract_official_fields(pages: list[PageText], review_threshold: float, today: date) -> dict[str, Field]:
    """co_quan_ban_hanh, so_ky_hieu, ngay_ban_hanh, trich_yeu, nguoi_ky, chuc_vu_nguoi_ky
    (those found) of a công văn or quyết định; `today` (the caller's Vietnam-time date) bounds the issue date."""
    placed = place_pages(pages)
    fields: dict[str, Field] = {}
    if not placed:
        return fields
    first = placed[0]
    sym = find_number(first)
    number = sym[1] if sym else None
    title = title_line(first, number)

    if sym is not None:
        fields["so_ky_hieu"] = to_field(sym[0], _symbol_status(sym[0], _subtype(placed), title), review_threshold)

    body_lines = issuing_body(issuer_lines(first, number))
    if body_lines:
        body = found(" ".join(clean(ln.text).rstrip(".") for ln in body_lines), body_lines)
        confirmed = sym is not None and confirm_body(body, sym[0].value, placed)
        fields["co_quan_ban_hanh"] = to_field(
            body, FieldStatus.OK if confirmed else FieldStatus.NEEDS_REVIEW, review_threshold
        )

    if (issued := _issue_date_field(placed, number, today, review_threshold)) is not None:
        fields["ngay_ban_hanh"] = issued

    subject = title_subject(first, title) if title is not None else None
    if subject is None:
        subject = vv_subject(first, number)
    if subject is not None:  # free text: nothing to check it against
        fields["trich_yeu"] = to_field(subject, FieldStatus.NEEDS_REVIEW, review_threshold)

    fields.update(_signer_fields(placed, review_threshold))
    return fields
