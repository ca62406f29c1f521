"""Dotted leaders and empty slots of forms (`……`, `.....`, `____`, `…/…/…`) as one canonical
`...` each, without the stray marks a recognizer reads among the dots (`..,`, `.’.`, `.:.`).

A leader is a run of dot-like marks (dots, ellipses, underscores, middle dots) with the
punctuation a recognizer confuses them with inside it; it counts as a leader when it holds
at least three dot-like marks, or two right after a colon (the label's slot). A single
full stop, a decimal point, `v.v.` and times or dates written with dots (`13.09.2024`,
`16:49:11`) are no leaders: digits and letters end a run.
"""

from __future__ import annotations

import re

LEADER = "..."
_DOTLIKE = ".…_·"
# A run of dot-like marks and the stray punctuation read among them; it must start and end
# on a dot-like mark, so the punctuation around a leader (a label's colon) stays.
_RUN = re.compile(r"[.…_·](?:[.…_·,:;'’‘\"”“`´\-]*[.…_·])?")
_SLOT = re.compile(r"(?:\.\.\.\s*/\s*)+\.\.\.")  # …/…/… : an empty date slot


def _dots(run: str) -> int:
    return sum(3 if c == "…" else 1 for c in run if c in _DOTLIKE)


def clean_leaders(text: str) -> str:
    """`text` with each leader as `...` (spaces around it kept as they were)."""

    def one(match: re.Match[str]) -> str:
        run = match.group(0)
        before = text[: match.start()].rstrip()
        after_colon = before.endswith(":")
        ends_line = not text[match.end() :].strip()
        if _dots(run) >= 3 or (after_colon and (_dots(run) >= 2 or ends_line)):
            return LEADER
        if ends_line and _dots(run) == 2 and before[-1:].isalpha():
            return LEADER  # `Tới dự..`: what a leader's end left in a line's box
        return run

    return _SLOT.sub(lambda m: "/".join(LEADER for _ in m.group(0).split("/")), _RUN.sub(one, text))


NOTE_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"  # a note mark's digits, as the reader writes them (`pipeline.layout.note_marks`)


def without_note_marks(text: str) -> str:
    """`text` without its note marks (a template's `…⁷…`, `Họ và tên¹:`): no value's part."""
    return "".join(c for c in text if c not in NOTE_DIGITS)


def is_leader_only(text: str) -> bool:
    """Whether a line holds nothing but leaders (and the punctuation and note marks around
    them): a blank slot."""
    rest = without_note_marks(clean_leaders(text)).replace(LEADER, "")
    return not any(c.isalnum() for c in rest)


def shifted(text: str, start: int) -> int:
    """Where position `start` of `text` lies in `clean_leaders(text)` (a value's start after
    the leaders before it were shortened)."""
    return len(clean_leaders(text[:start])) if start else 0
