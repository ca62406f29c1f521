"""Digital-signature stamps: the box an e-office system prints on a signed page ("Người ký:
… Email: … Cơ quan: … Thời gian ký: …", "Ký bởi: …", "SAO Y; …"), found by its labels, its
lines kept together top to bottom and read into their parts.

A label line anchors a stamp; the lines stacked with it (each within about a line's gap of
the one above and overlapping it sideways) are the rest of its text, continuation lines of a
wrapped value included. The stamp's border, read as a stray mark glued before a label
(`gNgười ký`, `|Thời gian ký`), is dropped from the line.

The system prints its values in fixed shapes, which a misread breaks in ways only one reading
mends: an e-mail address holds no comma nor bracket (`gov,vn`, `(@`), the time zone is
Vietnam's (`+ố7:00` is `+07:00`), a time is `HH:MM:SS` (`12:161 I` is `12:16:11`, where the
letters read are those a digit is taken for and six digits are left). A value that does not
come out in its shape is left as read. A copy's one-line stamp ("SAO Y; <cơ quan>; <thời
gian>") is found by its words and its separators restored (`SAO Y:` is `SAO Y;`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from models.document import Box
from pipeline.text import fold

# Label (folded) -> part of the stamp it names.
LABELS = {
    "nguoi ky": "signer",
    "ky boi": "signer",
    "email": "email",
    "co quan": "organisation",
    "thoi gian ky": "signed_at",
    "ngay ky": "signed_at",
}
_ANCHORS = ("nguoi ky", "ky boi", "thoi gian ky")
_LABEL_WORDS = "Người ký|Ký bởi|Email|E-mail|Cơ quan|Thời gian ký|Ngày ký"
# Up to two stray marks glued to the front of a label (the stamp's left border).
_STRAY_BEFORE = re.compile(rf"^[^\w\s]?\S{{0,1}}?(?=(?:{_LABEL_WORDS})\s*:)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SignatureStamp:
    box: Box
    lines: tuple[int, ...]  # the page's lines in it, top to bottom
    parts: dict[str, str] = field(default_factory=dict)  # signer, email, organisation, signed_at


_EMAIL = re.compile(r"(?i)^(e-?mail\s*:\s*)(\S+)$")
_ZONE = re.compile(r"\+\s*[0OoÔôỐốơ]?\s*7\s*[:.;]\s*[0Oo]{2}$")
_TIME = re.compile(r"(?:(?<=\s)|^)(\d[\d:.Il|!Oo ]{4,10}?[\dIl|!Oo])\s*(?=\+07:00$)")
_AS_DIGIT = str.maketrans({"I": "1", "l": "1", "|": "1", "!": "1", "O": "0", "o": "0"})
_COPY = re.compile(r"(?i)^SAO\s*Y\s*[;:,.]\s*(?P<organisation>[^;]+?)\s*[;:,]\s*(?P<signed_at>\d.*)$")


def _time(match: re.Match[str]) -> str:
    digits = re.sub(r"[\s:.]", "", match.group(1).translate(_AS_DIGIT))
    if not re.fullmatch(r"\d{6}", digits) or int(digits[:2]) > 23 or int(digits[2:4]) > 59 or int(digits[4:]) > 59:
        return match.group(0)
    return f"{digits[:2]}:{digits[2:4]}:{digits[4:]} "


def _values_mended(text: str) -> str:
    email = _EMAIL.match(text)
    if email:
        # No address holds a comma or a bracket: what was read as one is a dot, or a speck.
        return email.group(1) + email.group(2).replace(",", ".").replace("(", "").replace(")", "")
    text = _ZONE.sub("+07:00", text)
    return _TIME.sub(_time, text) if text.endswith("+07:00") else text


def clean_stamp_line(text: str) -> str:
    """A stamp line without the stray marks its border left before the label, its values
    mended where they come out in their shape (module doc)."""
    text = _STRAY_BEFORE.sub("", text.strip())
    copy = _COPY.match(text)
    if copy:
        return f"SAO Y; {copy['organisation']}; {_values_mended(copy['signed_at'])}"
    return _values_mended(text)


def _label(text: str) -> tuple[str, str] | None:
    head, sep, rest = text.partition(":")
    if not sep:
        return None
    part = LABELS.get(fold(head).strip(" -"))
    return (part, rest.strip()) if part else None


def _is_anchor(text: str) -> bool:
    cleaned = clean_stamp_line(text)
    folded = fold(cleaned)
    return (any(folded.startswith(a) for a in _ANCHORS) and ":" in text) or bool(_COPY.match(cleaned))


def _stack(start: int, boxes: Sequence[Box], line_height: float, taken: set[int]) -> list[int]:
    """The lines stacked with line `start`: each close below or above one already in, and
    overlapping it sideways."""
    members = [start]
    grew = True
    while grew:
        grew = False
        for i, b in enumerate(boxes):
            if i in taken or i in members:
                continue
            for k in members:
                m = boxes[k]
                gap = max(b[1] - m[3], m[1] - b[3])
                sideways = min(b[2], m[2]) - max(b[0], m[0])
                left_aligned = abs(b[0] - m[0]) <= 1.5 * line_height
                if gap <= 0.8 * line_height and sideways > 0 and left_aligned:
                    members.append(i)
                    grew = True
                    break
    return sorted(members, key=lambda i: boxes[i][1])


def read_parts(texts: Sequence[str]) -> dict[str, str]:
    """A stamp's parts from its lines; a line without a label continues the value above."""
    parts: dict[str, str] = {}
    last = None
    for text in texts:
        copy = _COPY.match(clean_stamp_line(text))
        if copy:
            parts.update(copy="SAO Y", organisation=copy["organisation"], signed_at=copy["signed_at"])
            last = "signed_at"
            continue
        labelled = _label(clean_stamp_line(text))
        if labelled:
            last, value = labelled
            parts[last] = value
        elif last is not None:
            parts[last] = f"{parts[last]} {clean_stamp_line(text)}".strip()
    return parts


def find_stamps(texts: Sequence[str], boxes: Sequence[Box]) -> list[SignatureStamp]:
    """The signature stamps among a page's lines (their texts and boxes); top to bottom."""
    if not boxes:
        return []
    heights = sorted(b[3] - b[1] for b in boxes)
    line_height = float(heights[len(heights) // 2]) or 1.0
    taken: set[int] = set()
    stamps = []
    for i in sorted(range(len(texts)), key=lambda i: boxes[i][1]):
        if i in taken or not _is_anchor(texts[i]):
            continue
        members = _stack(i, boxes, line_height, taken)
        # The stamp starts at its first label line: what is stacked above it is the page.
        labelled = [k for k in members if _label(clean_stamp_line(texts[k])) or _COPY.match(clean_stamp_line(texts[k]))]
        members = [k for k in members if boxes[k][1] >= boxes[labelled[0]][1]] if labelled else members
        taken.update(members)
        x0, y0 = min(boxes[k][0] for k in members), min(boxes[k][1] for k in members)
        x1, y1 = max(boxes[k][2] for k in members), max(boxes[k][3] for k in members)
        stamps.append(SignatureStamp((x0, y0, x1, y1), tuple(members), read_parts([texts[k] for k in members])))
    return stamps
