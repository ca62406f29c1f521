"""Records that flow through the reading pipeline and out of `sohoa process`.

The JSON shape produced by `FileReading.to_dict()` is a public contract
(README, "Output contract"); change it only additively.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

# Pixel box on the page image as given: (x0, y0, x1, y1), x1/y1 exclusive.
Box = tuple[int, int, int, int]


def overlap(box: Box, region: Box) -> float:
    """Share of `box`'s area that lies inside `region`."""
    w = min(box[2], region[2]) - max(box[0], region[0])
    h = min(box[3], region[3]) - max(box[1], region[1])
    area = max((box[2] - box[0]) * (box[3] - box[1]), 1)
    return max(w, 0) * max(h, 0) / area


class TextSource(StrEnum):
    OCR = "ocr"
    PDF_TEXT = "pdf_text"


class Source(StrEnum):
    """What a field's value rests on (a field's `sources`, strongest first)."""

    OCR = "ocr"  # the printed text as read by the first recognizer
    OCR2 = "ocr2"  # the second recognizer, of unrelated design
    OCR3 = "ocr3"  # the third recognizer, reading only where the first two differ
    PDF_TEXT = "pdf_text"  # a PDF's own text layer: read exactly
    QR = "qr"
    MRZ = "mrz"
    IN_WORDS = "in_words"  # a date written in words beside the figures
    IN_FIGURES = "in_figures"
    RULE = "rule"  # a rule validated it (closed vocabulary, check digits, milestone date)
    REVIEWER = "reviewer"  # typed or confirmed by a reviewer: final


class FieldStatus(StrEnum):
    OK = "ok"
    NEEDS_REVIEW = "needs_review"
    INVALID = "invalid"


class DocumentKind(StrEnum):
    CCCD_FRONT = "cccd_front"  # chip CCCD, 2021-2024
    CCCD_BACK = "cccd_back"
    CAN_CUOC_FRONT = "can_cuoc_front"  # căn cước, from 2024-07-01
    CAN_CUOC_BACK = "can_cuoc_back"
    CMND_FRONT = "cmnd_front"  # old 9-digit CMND
    GIAY_KHAI_SINH = "giay_khai_sinh"
    TO_KHAI_KHAI_SINH = "to_khai_khai_sinh"
    CT01 = "ct01"
    DON = "don"
    CONG_VAN = "cong_van"
    QUYET_DINH = "quyet_dinh"
    OTHER = "other"


class Barcode(NamedTuple):
    """A machine-readable code decoded from a page image (e.g. a card's QR code)."""

    format: str  # "QRCode", ...
    text: str  # decoded content, NFC
    box: Box

    def to_dict(self) -> dict:
        return {"format": self.format, "text": self.text, "box": list(self.box)}

    @classmethod
    def from_dict(cls, data: dict) -> Barcode:
        x0, y0, x1, y1 = (int(v) for v in data["box"])
        return cls(str(data["format"]), str(data["text"]), (x0, y0, x1, y1))


class Rereading(NamedTuple):
    """A line read again by another, independent recognizer (the second or the third reader of
    the lines carrying field values)."""

    text: str  # NFC
    confidence: float  # of its least sure character
    char_confidences: tuple[float, ...] = ()  # one per character of `text`
    # Where in the first reading the second one starts: labels before the value are not
    # read again (0: the whole line was).
    start: int = 0

    def joined(self, first: str) -> str:
        """The whole line as the second recognizer read it: the first reading's label, then
        the second reading of the rest."""
        return first[: self.start] + self.text


@dataclass(frozen=True, slots=True)
class TextLine:
    text: str  # NFC
    box: Box
    confidence: float  # 0..1
    second: Rereading | None = None
    # A third reading, by a third recognizer, of a line where the first two differ.
    third: Rereading | None = None

    def to_dict(self) -> dict:
        out = {"text": self.text, "box": list(self.box), "confidence": round(self.confidence, 4)}
        for key, reading in (("second", self.second), ("third", self.third)):
            if reading is not None:
                entry: dict[str, object] = {
                    "text": reading.text,
                    "confidence": round(reading.confidence, 4),
                    "chars": [round(c, 3) for c in reading.char_confidences],
                }
                if reading.start:
                    entry["start"] = reading.start
                out[key] = entry
        return out

    @classmethod
    def from_dict(cls, data: dict) -> TextLine:
        x0, y0, x1, y1 = (int(v) for v in data["box"])

        def reading(key: str) -> Rereading | None:
            d = data.get(key)
            return (
                Rereading(
                    d["text"],
                    float(d["confidence"]),
                    tuple(float(c) for c in d.get("chars", ())),
                    int(d.get("start", 0)),
                )
                if d
                else None
            )

        return cls(data["text"], (x0, y0, x1, y1), float(data["confidence"]), reading("second"), reading("third"))


@dataclass(frozen=True, slots=True)
class TableCell:
    """One ruled cell of a table: its box, place (row top to bottom, column left to right in
    its row; a cell spanning rows is in its top one) and text (its lines, top to bottom)."""

    box: Box
    row: int
    column: int
    text: str

    def to_dict(self) -> dict:
        return {"box": list(self.box), "row": self.row, "column": self.column, "text": self.text}

    @classmethod
    def from_dict(cls, data: dict) -> TableCell:
        x0, y0, x1, y1 = (int(v) for v in data["box"])
        return cls((x0, y0, x1, y1), int(data["row"]), int(data["column"]), str(data["text"]))


@dataclass(frozen=True, slots=True)
class PageTable:
    """A ruled table found on a page image, cell by cell, row by row."""

    box: Box
    cells: tuple[TableCell, ...]

    @property
    def rows(self) -> list[list[str]]:
        out: list[list[str]] = []
        for cell in self.cells:
            if not out or len(out) <= cell.row:
                out.extend([] for _ in range(cell.row + 1 - len(out)))
            out[cell.row].append(cell.text)
        return out

    def to_dict(self) -> dict:
        return {"box": list(self.box), "cells": [cell.to_dict() for cell in self.cells]}

    @classmethod
    def from_dict(cls, data: dict) -> PageTable:
        x0, y0, x1, y1 = (int(v) for v in data["box"])
        return cls((x0, y0, x1, y1), tuple(TableCell.from_dict(c) for c in data.get("cells", [])))


@dataclass(frozen=True, slots=True)
class CheckboxMark:
    """A form's checkbox: checked or not, and the text it belongs to (beside it)."""

    box: Box
    checked: bool
    label: str = ""

    def to_dict(self) -> dict:
        return {"box": list(self.box), "checked": self.checked, "label": self.label}

    @classmethod
    def from_dict(cls, data: dict) -> CheckboxMark:
        x0, y0, x1, y1 = (int(v) for v in data["box"])
        return cls((x0, y0, x1, y1), bool(data["checked"]), str(data.get("label", "")))


@dataclass(frozen=True, slots=True)
class SignatureStampText:
    """A digital-signature stamp printed on a page ("Người ký: … Thời gian ký: …"): its box
    and its parts as read (signer, email, organisation, signed_at), never checked."""

    box: Box
    parts: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"box": list(self.box), "parts": dict(self.parts)}

    @classmethod
    def from_dict(cls, data: dict) -> SignatureStampText:
        x0, y0, x1, y1 = (int(v) for v in data["box"])
        return cls((x0, y0, x1, y1), {str(k): str(v) for k, v in data.get("parts", {}).items()})


@dataclass(slots=True)
class PageText:
    index: int
    width: int
    height: int
    text_source: TextSource
    lines: list[TextLine] = field(default_factory=list)  # reading order
    skew_degrees: float = 0.0  # text slope on the page (clockwise), boxes are axis-aligned
    codes: list[Barcode] = field(default_factory=list)  # QR codes etc. found on the page image
    handwriting: list[Box] = field(default_factory=list)  # regions judged written by hand
    # Layout found on the page image (pipeline.layout); absent from results stored before it.
    tables: list[PageTable] = field(default_factory=list)
    checkboxes: list[CheckboxMark] = field(default_factory=list)
    stamps: list[SignatureStampText] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "width": self.width,
            "height": self.height,
            "text_source": str(self.text_source),
            "lines": [line.to_dict() for line in self.lines],
            "codes": [code.to_dict() for code in self.codes],
            "handwriting": [list(box) for box in self.handwriting],
            **{
                key: [item.to_dict() for item in items]
                for key, items in (("tables", self.tables), ("checkboxes", self.checkboxes), ("stamps", self.stamps))
                if items
            },
        }

    @classmethod
    def from_dict(cls, data: dict) -> PageText:
        """Inverse of `to_dict` (plus the optional "skew_degrees" that stored results carry); the
        layout keys are optional (results stored before them have none)."""
        return cls(
            int(data["index"]),
            int(data["width"]),
            int(data["height"]),
            TextSource(data["text_source"]),
            [TextLine.from_dict(line) for line in data["lines"]],
            float(data.get("skew_degrees", 0.0)),
            [Barcode.from_dict(code) for code in data.get("codes", [])],
            [(int(b[0]), int(b[1]), int(b[2]), int(b[3])) for b in data.get("handwriting", [])],
            [PageTable.from_dict(t) for t in data.get("tables", [])],
            [CheckboxMark.from_dict(c) for c in data.get("checkboxes", [])],
            [SignatureStampText.from_dict(s) for s in data.get("stamps", [])],
        )


class ReviewReason(StrEnum):
    """Why a field is not `ok` (stable codes; Vietnamese wording in models.fields.REVIEW_REASONS_VI)."""

    LOW_CONFIDENCE = "low_confidence"
    SINGLE_SOURCE = "single_source"  # nothing independent to check the value against
    SOURCES_DISAGREE = "sources_disagree"  # e.g. the printed value and the QR code differ
    RULE_FAILED = "rule_failed"  # impossible date, malformed number, contradiction
    HANDWRITTEN = "handwritten"
    AMBIGUOUS_UNIT = "ambiguous_unit"  # an old ward split between several new ones
    UNKNOWN_UNIT = "unknown_unit"  # an address unit not in the administrative catalogue
    MAY_CONTINUE = "may_continue"  # the value's last line is full and the text seems to go on


@dataclass(frozen=True, slots=True)
class Field:
    value: str  # NFC, tone marks kept; dates as DD/MM/YYYY
    confidence: float
    page: int
    box: Box
    status: FieldStatus
    # What the value rests on (`Source` values), strongest first.
    sources: tuple[str, ...] = ()
    reason: ReviewReason | None = None  # why it is not ok
    detail: dict | None = None  # what the checks found (other sources' values, normalized unit, ...)

    def to_dict(self) -> dict:
        out = {
            "value": self.value,
            "confidence": round(self.confidence, 4),
            "page": self.page,
            "box": list(self.box),
            "status": str(self.status),
            "sources": list(self.sources),
            "reason": str(self.reason) if self.reason else None,
        }
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(slots=True)
class PartReading:
    """One document inside a file (a scanned PDF may hold a card's two sides and a form)."""

    kind: DocumentKind
    confidence: float  # of the kind; 0 for "other"
    pages: tuple[int, ...]  # page indexes in the file
    fields: dict[str, Field] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "kind": str(self.kind),
            "kind_confidence": round(self.confidence, 3),
            "pages": list(self.pages),
            "fields": {name: f.to_dict() for name, f in self.fields.items()},
        }


@dataclass(slots=True)
class FileReading:
    """Everything read from one source file. `kind` and `fields` are its first part's
    (the whole file when it holds one document); `parts` lists every document in it."""

    source: str
    kind: DocumentKind
    pages: list[PageText] = field(default_factory=list)
    fields: dict[str, Field] = field(default_factory=dict)
    parts: list[PartReading] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "kind": str(self.kind),
            "pages": [p.to_dict() for p in self.pages],
            "fields": {name: f.to_dict() for name, f in self.fields.items()},
            "parts": [p.to_dict() for p in self.parts],
        }
