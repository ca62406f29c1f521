"""What `verify_parts` takes: the documents as read, the thresholds, the place catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from models.document import DocumentKind, Field, PageText


@dataclass(slots=True)
class PartInput:
    """One document of the dossier as read: kind, its pages, fields from its text."""

    kind: DocumentKind
    pages: list[PageText]
    fields: dict[str, Field]
    second: dict[str, Field] = field(default_factory=dict)  # the same values by the second reader
    third: dict[str, Field] = field(default_factory=dict)  # by the third, where the first two differ


class PlaceCatalogue(Protocol):
    """The administrative units (pipeline.fields.address is the real one)."""

    def resolve_address(self, text: str) -> Any: ...

    def spelled_as_catalogued(self, text: str) -> bool: ...

    def ends_with_province(self, text: str) -> bool: ...

    def misspelled_units(self, text: str) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class Thresholds:
    review_threshold: float  # below: low confidence
    ok_threshold: float  # a single rule-validated read needs at least this
    today: date
    second_threshold: float = 0.5  # the second recognizer's least sure character in the value
    # A card's canonical QR code overrules a print whose own reading is unsettled (a policy,
    # configuration: `ReadingConfig.card_qr_over_print`).
    qr_over_print: bool = True
