"""Records that flow through the reading pipeline and out of `sohoa process`.

The JSON shape produced by `DocumentReading.to_dict()` is a public contract
(README, "Output contract"); change it only additively.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

# Pixel box on the page image as given: (x0, y0, x1, y1), x1/y1 exclusive.
Box = tuple[int, int, int, int]


class TextSource(StrEnum):
    OCR = "ocr"
    PDF_TEXT = "pdf_text"


class FieldStatus(StrEnum):
    OK = "ok"
    NEEDS_REVIEW = "needs_review"
    INVALID = "invalid"


class DocumentKind(StrEnum):
    CCCD_FRONT = "cccd_front"
    CCCD_BACK = "cccd_back"
    TO_KHAI_KHAI_SINH = "to_khai_khai_sinh"
    DON = "don"
    CT01 = "ct01"
    CONG_VAN = "cong_van"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class TextLine:
    text: str  # NFC
    box: Box
    confidence: float  # 0..1

    def to_dict(self) -> dict:
        return {"text": self.text, "box": list(self.box), "confidence": round(self.confidence, 4)}

    @classmethod
    def from_dict(cls, data: dict) -> TextLine:
        x0, y0, x1, y1 = (int(v) for v in data["box"])
        return cls(data["text"], (x0, y0, x1, y1), float(data["confidence"]))


@dataclass(slots=True)
class PageText:
    index: int
    width: int
    height: int
    text_source: TextSource
    lines: list[TextLine] = field(default_factory=list)  # reading order
    skew_degrees: float = 0.0  # text slope on the page (clockwise), boxes are axis-aligned

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
        }

    @classmethod
    def from_dict(cls, data: dict) -> PageText:
        """Inverse of `to_dict` (plus the optional "skew_degrees" that stored results carry)."""
        return cls(
            int(data["index"]),
            int(data["width"]),
            int(data["height"]),
            TextSource(data["text_source"]),
            [TextLine.from_dict(line) for line in data["lines"]],
            float(data.get("skew_degrees", 0.0)),
        )


@dataclass(frozen=True, slots=True)
class Field:
    value: str  # NFC, tone marks kept; dates as DD/MM/YYYY
    confidence: float
    page: int
    box: Box
    status: FieldStatus

    def to_dict(self) -> dict:
        return {
            "value": self.value,
            "confidence": round(self.confidence, 4),
            "page": self.page,
            "box": list(self.box),
            "status": str(self.status),
        }


@dataclass(slots=True)
class DocumentReading:
    """Everything read from one source file."""

    source: str
    kind: DocumentKind
    pages: list[PageText] = field(default_factory=list)
    fields: dict[str, Field] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "kind": str(self.kind),
            "pages": [p.to_dict() for p in self.pages],
            "fields": {name: f.to_dict() for name, f in self.fields.items()},
        }
