"""The values a field's sources give, for the reviewer to pick one with a key (1, 2, 3…).

Where the sources of a field disagree, the verification stage keeps each one's value in the
field's `detail` (the print as read, the second and third readings, the card's QR code and
MRZ, a date in words and in figures). The same field on another document of the same person
(the card and the form of one applicant) is one more. Values are compared as they would be
stored (a date as DD/MM/YYYY); the current value comes first; a field whose sources all say the
same has no candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from intake import schemas
from models.document import Source
from pipeline.fields.values import check_value
from pipeline.fields.verify.common import base_name
from pipeline.text import fold

# detail key -> (source, label on the reviewer's screen), in the order the screen lists them.
DETAIL_SOURCES: tuple[tuple[str, str, str], ...] = (
    ("read_value", Source.OCR.value, "Chữ in"),
    ("ocr2_value", Source.OCR2.value, "Lần đọc thứ hai"),
    ("ocr3_value", Source.OCR3.value, "Lần đọc thứ ba"),
    ("qr_value", Source.QR.value, "Mã QR"),
    ("mrz_value", Source.MRZ.value, "MRZ"),
    ("in_words", Source.IN_WORDS.value, "Ghi bằng chữ"),
    ("in_figures", Source.IN_FIGURES.value, "Ghi bằng số"),
)
OTHER_DOCUMENT = "other_document"
SOURCE_LABELS = {source: label for _key, source, label in DETAIL_SOURCES} | {
    Source.PDF_TEXT.value: "Lớp chữ của PDF",
    Source.REVIEWER.value: "Người kiểm tra",
    Source.RULE.value: "Chữ in",
}
# What a correction may name as the candidate it picked (recorded beside "reviewer").
PICKABLE_SOURCES = frozenset({source for _key, source, _label in DETAIL_SOURCES} | {OTHER_DOCUMENT, "pdf_text"})
# Fields that say whose document it is: two documents agreeing on one are of the same person.
PERSON_FIELDS = ("so_dinh_danh", "ho_va_ten")


@dataclass(frozen=True, slots=True)
class DocumentValues:
    """One document of the dossier (a part of a file): its label ("Căn cước (tệp 2)") and its
    fields' values by name."""

    key: tuple[int, int]  # (component id, part)
    label: str
    values: Mapping[str, str]


def _first(values: Mapping[str, str], base: str) -> str:
    return next((v for name, v in values.items() if base_name(name) == base and v.strip()), "")


def same_person(a: DocumentValues, b: DocumentValues) -> bool:
    """The two documents give the same ID number, or the same name (case and tone marks aside)."""
    for base in PERSON_FIELDS:
        mine, theirs = _first(a.values, base), _first(b.values, base)
        if mine and theirs and fold(mine) == fold(theirs):
            return True
    return False


def other_documents(name: str, document: DocumentValues, documents: Iterable[DocumentValues]) -> list[tuple[str, str]]:
    """(label, value) of field `name` (by base name) on the dossier's other documents of the
    same person."""
    base = base_name(name)
    found = []
    for other in documents:
        if other.key == document.key or not same_person(document, other):
            continue
        if value := _first(other.values, base):
            found.append((other.label, value))
    return found


def field_candidates(
    name: str,
    value: str,
    sources: Sequence[str],
    detail: Mapping[str, object] | None,
    others: Sequence[tuple[str, str]] = (),
) -> list[schemas.CandidatePublic]:
    """Every distinct value the sources give for field `name`, the current value's first;
    [] when there is only one."""
    found = [
        (source, label, text)
        for key, source, label in DETAIL_SOURCES
        if isinstance(text := (detail or {}).get(key), str) and text.strip()
    ]
    found += [(OTHER_DOCUMENT, label, text) for label, text in others]
    current = _stored(name, value)
    if current:
        mine = next((c for c in found if _stored(name, c[2]) == current), None)
        if mine is None:
            source = sources[0] if sources else Source.OCR.value
            mine = (source, SOURCE_LABELS.get(source, source), value)
        found = [mine, *(c for c in found if c is not mine)]
    distinct: dict[str, schemas.CandidatePublic] = {}
    for source, label, text in found:
        stored = _stored(name, text)
        if stored and stored not in distinct:
            distinct[stored] = schemas.CandidatePublic(source=source, label=label, value=stored)
    return list(distinct.values()) if len(distinct) > 1 else []


def _stored(name: str, value: str) -> str:
    return check_value(name, value.strip())[0]
