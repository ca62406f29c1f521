"""A read page's layout applied to its lines: tables read row by row, checkboxes as their
glyphs and values, signature stamps kept together and read into parts, leaders cleaned.

`apply_layout(page, image)` is the one step the reader calls after a page's lines (and their
second readings) are read; it changes the order and the text of lines, never their boxes or
second readings (a second reading's start is moved past the leaders shortened before it).
"""

from __future__ import annotations

from dataclasses import replace
from difflib import SequenceMatcher

import cv2
import numpy as np

from models.document import Box, CheckboxMark, PageTable, PageText, SignatureStampText, TableCell, TextLine
from pipeline.layout.checkboxes import find_checkboxes, with_glyph
from pipeline.layout.leaders import clean_leaders
from pipeline.layout.stamps import clean_stamp_line, find_stamps
from pipeline.layout.tables import find_tables, groups_read_together, table_reading_order

_RULE_MARKS = set("|!lI1[]ǀ¦")  # what a recognizer reads from a ruling line


def _cleaned(line: TextLine, text: str) -> TextLine:
    if text == line.text:
        return line
    second = line.second and line.second._replace(start=moved(line.text, text, line.second.start))
    third = line.third and line.third._replace(start=moved(line.text, text, line.third.start))
    return replace(line, text=text, second=second, third=third)


def moved(old: str, new: str, start: int) -> int:
    """Where position `start` of `old` lies in `new` (the same line with some marks changed):
    a second reading's start, which must still fall where its value begins."""
    if not start:
        return 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if i1 <= start < i2 or (start == i2 and tag != "equal"):
            return j1 + min(start - i1, j2 - j1) if tag == "equal" else j2
    return len(new)


def _inside(box: Box, region: Box) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return region[0] <= cx < region[2] and region[1] <= cy < region[3]


def apply_layout(page: PageText, image: np.ndarray) -> PageText:
    """`page` (read from `image`, in its pixels) with its tables, checkboxes and stamps found
    and its lines re-ordered and cleaned accordingly."""
    if not page.lines:
        return page
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    lines = list(page.lines)
    boxes = [line.box for line in lines]
    texts = [line.text for line in lines]

    # Checkboxes: the marks read from a box become its glyph; a box nothing read gets a line.
    marks = []
    added: dict[int, TextLine] = {}  # label line -> a glyph line read after it
    for box in find_checkboxes(grey, boxes):
        label = box.label
        if label is not None and _covers(boxes[label], box.box):
            texts[label] = with_glyph(texts[label], boxes[label], box.box, box.glyph)
        elif label is not None and label not in added:
            added[label] = TextLine(box.glyph, box.box, 1.0)
        marks.append(CheckboxMark(box.box, box.checked, clean_leaders(texts[label]) if label is not None else ""))

    # Stamps: the border's marks before a label dropped, the stamp's lines read together.
    stamps = find_stamps(texts, boxes)
    for stamp in stamps:
        for k in stamp.lines:
            texts[k] = clean_stamp_line(texts[k])

    tables = find_tables(grey, boxes)
    stray = {
        i
        for i, text in enumerate(texts)
        if set(text.replace(" ", "")) <= _RULE_MARKS
        and any(_inside(boxes[i], t.box) and not any(i in c.lines for c in t.cells) for t in tables)
    }
    order = table_reading_order(range(len(lines)), tables)
    order = _stamps_together(order, [s.lines for s in stamps])
    texts = [clean_leaders(t) for t in texts]
    out: list[TextLine] = []
    for i in order:
        if i in stray:
            continue
        out.append(_cleaned(lines[i], texts[i]))
        if i in added:
            out.append(added[i])
    page_tables = [
        PageTable(
            t.box,
            tuple(
                TableCell(c.box, c.row, c.column, " ".join(texts[i] for i in c.lines if i not in stray))
                for c in t.cells
            ),
        )
        for t in tables
    ]
    page_stamps = [SignatureStampText(s.box, s.parts) for s in stamps]
    return replace(page, lines=out, tables=page_tables, checkboxes=marks, stamps=page_stamps)


def _covers(line: Box, box: Box) -> bool:
    w = min(line[2], box[2]) - max(line[0], box[0])
    return w >= 0.5 * (box[2] - box[0])


def _stamps_together(order: list[int], stamps: list[tuple[int, ...]]) -> list[int]:
    """Each stamp's lines read together, top to bottom, where its first line came."""
    return groups_read_together(order, stamps)
