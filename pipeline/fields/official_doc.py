"""Fields of a công văn or quyết định (Decree 30/2020/NĐ-CP layout) from read lines.

    extract_official_fields(pages, review_threshold, today=None) -> dict[str, Field]
    official_subtype(pages) -> "quyet_dinh" | "cong_van" | None

The layout: a two-column header (left: superior body (optional) and issuing body in upper
case, "Số: 125/QĐ-UBND", for a công văn the "V/v ..." subject under it; right: the national
header, then "Hà Nội, ngày 05 tháng 3 năm 2026"); a quyết định's centred title "QUYẾT ĐỊNH"
with its subject under it; at the end, "Nơi nhận:" on the left and the signer block on the
right (authority/title lines in upper case, room for signature and seal, the signer's name).

Everything is found by position, not by reading order (OCR may read the header's two
columns in either order), relative to the text's own extent on the page (a photo may show
the sheet small), in an upright, de-skewed frame (a page read turned keeps its boxes on the
page as given; the reading order tells which way is up).

Lines are *found* diacritic-insensitively (`fold`); values are *checked* with their tone
marks (`tone_key`), so that "ỦY BẠN NHÂN DÂN" read for "ỦY BAN NHÂN DÂN" is never
confirmed. Statuses follow the rule used everywhere: `ok` only when the value passes a rule
or is confirmed by a second source AND every line it came from was read with confidence at
or above the review threshold; `invalid` when it fails a rule; `needs_review` otherwise.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz

from models.document import Box, Field, FieldStatus, PageText, TextLine
from pipeline.text import fold, fold_in_place, nfc

# --------------------------------------------------------------------------- data

# Decree 30/2020 "số, ký hiệu": number / type abbreviation - issuer abbreviation (- drafting
# unit ...); a công văn has no type part ("1234/UBND-VP"). Regulatory documents carry the
# year ("01/2021/TT-BCA"); a few abbreviations are mixed case (TTr, TTg, QyĐ, CTr).
_ABBR = r"(?:[A-ZĐ0-9]+|TTr|TTg|QyĐ|CTr|TrT)"
SYMBOL_PATTERN = re.compile(rf"^\d+(?:/\d{{4}})?/{_ABBR}(?:-(?:{_ABBR}|[A-ZĐ0-9.]+))*$")

# Document type abbreviations (Decree 30/2020, appendix III). A symbol whose first part
# after the number is one of these names the type; otherwise it is a công văn's.
DOC_TYPE_ABBREVIATIONS: dict[str, str] = {
    "NQ": "NGHỊ QUYẾT", "QĐ": "QUYẾT ĐỊNH", "CT": "CHỈ THỊ", "QC": "QUY CHẾ", "QyĐ": "QUY ĐỊNH",
    "TC": "THÔNG CÁO", "TB": "THÔNG BÁO", "HD": "HƯỚNG DẪN", "CTr": "CHƯƠNG TRÌNH", "KH": "KẾ HOẠCH",
    "PA": "PHƯƠNG ÁN", "ĐA": "ĐỀ ÁN", "DA": "DỰ ÁN", "BC": "BÁO CÁO", "BB": "BIÊN BẢN", "TTr": "TỜ TRÌNH",
    "HĐ": "HỢP ĐỒNG", "CĐ": "CÔNG ĐIỆN", "BGN": "BẢN GHI NHỚ", "BTT": "BẢN THỎA THUẬN",
    "GUQ": "GIẤY ỦY QUYỀN", "GM": "GIẤY MỜI", "GGT": "GIẤY GIỚI THIỆU", "GNP": "GIẤY NGHỈ PHÉP",
    "PG": "PHIẾU GỬI", "PC": "PHIẾU CHUYỂN", "PB": "PHIẾU BÁO", "TT": "THÔNG TƯ", "NĐ": "NGHỊ ĐỊNH",
}

# Kinds of issuing body and the abbreviations their documents' symbols use; the longest
# matching name wins ("VĂN PHÒNG ỦY BAN NHÂN DÂN" before "VĂN PHÒNG"). An empty tuple marks
# a body type whose abbreviation is the initials of its type words ("SỞ KHOA HỌC VÀ CÔNG
# NGHỆ" -> SKHCN), which is also tried for every body.
BODY_TYPES: dict[str, tuple[str, ...]] = {
    "ỦY BAN NHÂN DÂN": ("UBND",),
    "UBND": ("UBND",),
    "HỘI ĐỒNG NHÂN DÂN": ("HĐND",),
    "HĐND": ("HĐND",),
    "VĂN PHÒNG ỦY BAN NHÂN DÂN": ("VPUBND", "VP"),
    "VĂN PHÒNG UBND": ("VPUBND", "VP"),
    "VĂN PHÒNG HĐND VÀ UBND": ("VP",),
    "VĂN PHÒNG HỘI ĐỒNG NHÂN DÂN VÀ ỦY BAN NHÂN DÂN": ("VP",),
    "VĂN PHÒNG": ("VP",),
    "CHÍNH PHỦ": ("CP",),
    "THỦ TƯỚNG CHÍNH PHỦ": ("TTg",),
    "BỘ CÔNG AN": ("BCA",),
    "BỘ TƯ PHÁP": ("BTP",),
    "BỘ NỘI VỤ": ("BNV",),
    "BỘ TÀI CHÍNH": ("BTC",),
    "BỘ Y TẾ": ("BYT",),
    "SỞ TƯ PHÁP": ("STP",),
    "SỞ NỘI VỤ": ("SNV",),
    "SỞ TÀI CHÍNH": ("STC",),
    "SỞ XÂY DỰNG": ("SXD",),
    "SỞ Y TẾ": ("SYT",),
    "SỞ GIÁO DỤC VÀ ĐÀO TẠO": ("SGDĐT",),
    "CÔNG AN": ("CA",),
    "BẢO HIỂM XÃ HỘI": ("BHXH",),
    "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG": ("TTPVHCC",),
    "THANH TRA": ("TTr",),
    "TÒA ÁN NHÂN DÂN": ("TA",),
    "VIỆN KIỂM SÁT NHÂN DÂN": ("VKS",),
    "PHÒNG TƯ PHÁP": ("PTP", "TP"),
    "PHÒNG VĂN HÓA - XÃ HỘI": ("VHXH", "PVHXH"),
    "PHÒNG KINH TẾ": ("PKT", "KT"),
    "PHÒNG NỘI VỤ": ("PNV", "NV"),
    "PHÒNG": (), "SỞ": (), "BỘ": (), "CỤC": (), "CHI CỤC": (), "TỔNG CỤC": (), "BAN": (), "TRUNG TÂM": (),
}
# Bodies that exist at every level of government, so their name always goes on to a place.
PLACED_BODIES = ("UBND", "HĐND", "CA")
# Words that start the place part of a body's name ("ỦY BAN NHÂN DÂN / PHƯỜNG KIM LIÊN").
PLACE_WORDS = ("PHƯỜNG", "XÃ", "THỊ TRẤN", "QUẬN", "HUYỆN", "THỊ XÃ", "THÀNH PHỐ", "TỈNH", "ĐẶC KHU", "TP.")

# Signer block: authority prefixes (thay mặt, ký thay, thừa lệnh, thừa ủy quyền, quyền) and titles.
AUTHORITY_PREFIXES = ("TM", "KT", "TL", "TUQ", "Q")
SIGNER_TITLES = (
    "CHỦ TỊCH", "PHÓ CHỦ TỊCH", "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "TỔNG GIÁM ĐỐC", "PHÓ TỔNG GIÁM ĐỐC",
    "TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG", "CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG", "BỘ TRƯỞNG",
    "THỨ TRƯỞNG", "CỤC TRƯỞNG", "PHÓ CỤC TRƯỞNG", "VỤ TRƯỞNG", "PHÓ VỤ TRƯỞNG", "TỔNG CỤC TRƯỞNG",
    "CHI CỤC TRƯỞNG", "CHÁNH THANH TRA", "PHÓ CHÁNH THANH TRA", "TRƯỞNG BAN", "PHÓ TRƯỞNG BAN",
    "TRƯỞNG CÔNG AN", "PHÓ TRƯỞNG CÔNG AN", "THỦ TRƯỞNG", "HIỆU TRƯỞNG", "THỦ TƯỚNG", "PHÓ THỦ TƯỚNG",
    "CHÁNH ÁN", "VIỆN TRƯỞNG", "CHỦ NHIỆM", "TRƯỞNG ĐOÀN", "TỔ TRƯỞNG", "TRƯỞNG BỘ PHẬN",
)
# Titles of documents that carry their subject under a centred title.
DOCUMENT_TITLES = ("QUYẾT ĐỊNH", "CHỈ THỊ", "THÔNG BÁO", "KẾ HOẠCH", "BÁO CÁO", "TỜ TRÌNH", "NGHỊ QUYẾT",
                   "QUY CHẾ", "QUY ĐỊNH", "HƯỚNG DẪN", "CHƯƠNG TRÌNH", "ĐỀ ÁN", "PHƯƠNG ÁN")

NATIONAL_HEADER = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
EARLIEST_YEAR = 1945  # the first documents of the Democratic Republic

# --------------------------------------------------------------------------- text keys

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng


def tone_key(text: str) -> str:
    """Case-insensitive key that keeps every mark but not where a tone mark sits on its
    syllable: "UỶ BAN" == "Ủy ban" (old and new tone placement), "BẠN" != "BAN"."""
    out = []
    for word in nfc(text).split(" "):
        chars = unicodedata.normalize("NFD", word)
        tones = "".join(sorted(c for c in chars if c in _TONES))
        base = unicodedata.normalize("NFC", "".join(c for c in chars if c not in _TONES)).casefold()
        out.append(base + tones)
    return " ".join(out)


def _keyed(names, key: Callable[[str], str]) -> list[str]:
    return sorted({key(n) for n in names}, key=len, reverse=True)


def _starts(text_key: str, keys: list[str]) -> str | None:
    """The longest key that is `text_key` or begins it as whole words."""
    for k in keys:
        if text_key == k or text_key.startswith(k + " "):
            return k
    return None


_FOLD, _EXACT = fold, tone_key
_BODIES = {mode: _keyed(BODY_TYPES, mode) for mode in (_FOLD, _EXACT)}
_BODY_ABBRS = {mode: {mode(n): a for n, a in BODY_TYPES.items()} for mode in (_FOLD, _EXACT)}
_PLACES = {mode: _keyed(PLACE_WORDS, mode) for mode in (_FOLD, _EXACT)}
_TITLES = {mode: _keyed(SIGNER_TITLES, mode) for mode in (_FOLD, _EXACT)}
_PLACED_BODIES = set(PLACED_BODIES)
_DOC_TITLE_KEYS = tuple(fold(t) for t in DOCUMENT_TITLES)
_DOC_TYPE_KEYS = {fold(k).upper(): k for k in DOC_TYPE_ABBREVIATIONS}
_NATIONAL_KEYS = tuple(fold(t) for t in NATIONAL_HEADER)

# --------------------------------------------------------------------------- patterns

# "Số: 125/QĐ-UBND" as read: label misreads (Sô, Sổ, S6), a lost colon; spaces round the
# separators and inside the digit run; '|' or '\' for the slash; dashes of any width.
_SO_LABEL = re.compile(r"^\W*s[o0-9]?\s*[:;.,]\s*|^\W*so\s+(?=\d)", re.IGNORECASE)
_SYMBOL = re.compile(r"\d(?:\s?\d)*\s*[/|\\⁄]\s*[A-Za-zĐđÐ0-9.]+(?:\s*[/|\\⁄\-–—]\s*[A-Za-zĐđÐ0-9.]+)*")
# The slash read as a letter or '%', or lost: "2892IUBND", "4006QĐ-UBND" (only after the
# "Số:" label, and flagged as repaired).
_SYMBOL_LOST_SLASH = re.compile(r"(\d(?:\s?\d)*)\s*[Il%]?(?=[A-ZĐ]{2})([A-ZĐ0-9]+(?:\s*[\-–—]\s*[A-Za-zĐđ0-9.]+)*)")
# "ngày 05 tháng 3 năm 2026" on folded text; the words as OCR bends them ("thúng").
_VN_DATE = re.compile(r"\bn?g[a-z]{1,3}\s*(\d(?:\s?\d)?)\s*t[a-z]{2,4}\s*(\d(?:\s?\d)?)"
                      r"\s*n[a-z]{1,2}\s*(\d(?:\s?\d){3})")
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d(?: ?\d){3})(?!\d)")
# "V/v" as printed or read ("V/V", "V⁄v", "Vv", "VỊv", "Vị", "V/"): only at a công văn's subject place.
_VV = re.compile(r"^[\W_]*V\s*[/|\\⁄lI1Ịịiíì]?\s*[vV]?\s*[:.,]?(?=\s)")
# An authority prefix as read ("TM.", "TM,", "TM", "TM.ỦY"); the one-letter "Q." needs its dot.
_LONG_PREFIXES = "|".join(p for p in AUTHORITY_PREFIXES if len(p) > 1)
_SHORT_PREFIXES = "|".join(p for p in AUTHORITY_PREFIXES if len(p) == 1)
_AUTH = re.compile(rf"^\s*({_LONG_PREFIXES})\s*(?:[.,:;]\s*|\s+)(?=\S)|^\s*({_SHORT_PREFIXES})\s*[.,]\s*(?=\S)",
                   re.IGNORECASE)
_LABEL_COLON = re.compile(r":\s+\S")  # "Kính gửi: ...": a label, not a wrapped line
_PUNCT = re.compile(r"[^\w\s]")
_NAME_WORD = re.compile(r"^[^\W\d_]+$")
_EDGE_JUNK = re.compile(r"^[\s\-_~ˆ`'\".,;:|]+|[\s\-_~ˆ`'\",;:|]+$")

# --------------------------------------------------------------------------- geometry


@dataclass(frozen=True, slots=True)
class _Line:
    """A read line (or a piece of one) placed in its page's upright, de-skewed frame."""

    line: TextLine
    page: int
    x0: float
    x1: float
    y0: float
    y1: float
    turns: int  # quarter turns clockwise from the page as given to upright
    size: tuple[int, int]  # the page as given (width, height)

    @property
    def text(self) -> str:
        return self.line.text

    @property
    def folded(self) -> str:
        return fold(self.line.text)

    @property
    def conf(self) -> float:
        return self.line.confidence

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def h(self) -> float:
        return max(self.y1 - self.y0, 1.0)


@dataclass(slots=True)
class _Page:
    """A page's lines and the extent of its text (a photo may show the sheet small)."""

    index: int
    lines: list[_Line]  # reading order
    left: float
    right: float
    top: float
    bottom: float

    def x(self, share: float) -> float:
        return self.left + share * (self.right - self.left)

    def y(self, share: float) -> float:
        return self.top + share * (self.bottom - self.top)

    @property
    def width(self) -> float:
        return max(self.right - self.left, 1.0)

    @property
    def line_h(self) -> float:
        hs = sorted(ln.h for ln in self.lines)
        return hs[len(hs) // 2] if hs else 1.0

    def below_top(self, share: float, lines: float) -> float:
        """A level `share` of the way down the text, but at least `lines` line heights below
        its top (a first page with little body text is short)."""
        return max(self.y(share), self.top + lines * self.line_h)

    @property
    def header_bottom(self) -> float:
        return self.below_top(0.3, 12)


def _turn_cw(box, w: float, h: float):
    """A box on a w x h page after turning the page 90 degrees clockwise (now h x w)."""
    x0, y0, x1, y1 = box
    return (h - y1, x0, h - y0, x1)


def _turned(box, w: float, h: float, turns: int):
    for _ in range(turns % 4):
        box = _turn_cw(box, w, h)
        w, h = h, w
    return box, w, h


def _upright_turns(page: PageText) -> int:
    """Quarter turns (clockwise) that make the lines wide and the reading order run down
    the page: OCR reads a turned page upright but keeps its boxes on the page as given."""
    boxes = [ln.box for ln in page.lines]
    if len(boxes) < 2:
        return 0
    best, best_score = 0, -math.inf
    for turns in range(4):
        placed = [_turned(b, page.width, page.height, turns)[0] for b in boxes]
        wide = sum((b[2] - b[0]) >= (b[3] - b[1]) for b in placed) / len(placed)
        cys = [(b[1] + b[3]) / 2 for b in placed]
        down = sum(b > a for a, b in zip(cys, cys[1:])) / (len(cys) - 1)
        score = wide + down + (0.01 if turns == 0 else 0.0)
        if score > best_score:
            best, best_score = turns, score
    return best


def _sub_box(ln: _Line, start: int, end: int) -> Box:
    """Box (on the page as given) of characters [start, end) of a line, by proportion."""
    (x0, y0, x1, y1), w, h = _turned(ln.line.box, ln.size[0], ln.size[1], ln.turns)
    n = max(len(ln.text), 1)
    part = (x0 + (x1 - x0) * start / n, y0, x0 + (x1 - x0) * end / n, y1)
    back, _, _ = _turned(part, w, h, 4 - ln.turns)
    return (int(back[0]), int(back[1]), int(round(back[2])), int(round(back[3])))


def _piece(ln: _Line, start: int, end: int) -> _Line:
    """Characters [start, end) of a line as a line of their own."""
    n = max(len(ln.text), 1)
    text = ln.text[start:end]
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    start += lead
    end = start + len(text)
    w = ln.x1 - ln.x0
    return _Line(TextLine(text, _sub_box(ln, start, end), ln.conf), ln.page, ln.x0 + w * start / n,
                 ln.x0 + w * end / n, ln.y0, ln.y1, ln.turns, ln.size)


def _split_national(ln: _Line) -> list[_Line]:
    """A detector that merged the left header line with the national header across the
    gutter ("ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI ...") gives two lines back."""
    folded = fold_in_place(ln.text)
    for key in _NATIONAL_KEYS:
        head = key[:15]
        at = folded.find(head)
        if at > 0 and folded[:at].strip():
            return [_piece(ln, 0, at), _piece(ln, at, len(ln.text))]
    return [ln]


def _place(page: PageText) -> _Page:
    turns = _upright_turns(page)
    theta = math.radians(page.skew_degrees)
    sin, cos = math.sin(theta), math.cos(theta)
    lines: list[_Line] = []
    for ln in page.lines:
        (x0, y0, x1, y1), _, _ = _turned(ln.box, page.width, page.height, turns)
        # De-skew the centre; keep the width, and the height less the slope's share.
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        rx, ry = cx * cos + cy * sin, -cx * sin + cy * cos
        w = x1 - x0
        hh = max((y1 - y0) - w * abs(sin), 0.3 * (y1 - y0), 1.0)
        placed = _Line(ln, page.index, rx - w / 2, rx + w / 2, ry - hh / 2, ry + hh / 2, turns,
                       (page.width, page.height))
        lines.extend(_split_national(placed))
    text = [ln for ln in lines if _letters(ln.text) >= 3] or lines
    if not text:
        return _Page(page.index, [], 0.0, float(page.width), 0.0, float(page.height))
    return _Page(page.index, lines, min(ln.x0 for ln in text), max(ln.x1 for ln in text),
                 min(ln.y0 for ln in text), max(ln.y1 for ln in text))


def _union(boxes: list[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _overlap_x(a: _Line, b: _Line) -> float:
    return min(a.x1, b.x1) - max(a.x0, b.x0)


def _in_rows(lines: list[_Line], within: Callable[[_Line], object] = lambda ln: ln.x0) -> list[_Line]:
    """Top to bottom; lines at one level ordered by `within` (left to right by default)."""
    rows: list[list[_Line]] = []
    for ln in sorted(lines, key=lambda ln: ln.cy):
        if rows and abs(ln.cy - rows[-1][0].cy) < 0.3 * min(ln.h, rows[-1][0].h):
            rows[-1].append(ln)
        else:
            rows.append([ln])
    return [ln for row in rows for ln in sorted(row, key=within)]


def _upper_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(c.isupper() for c in letters) / len(letters) if letters else 0.0


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def _is_national(ln: _Line) -> bool:
    folded = ln.folded
    return len(folded) >= 8 and any(fuzz.partial_ratio(key, folded) >= 85 for key in _NATIONAL_KEYS)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class _Found:
    value: str
    lines: tuple[_Line, ...]
    box: Box
    repaired: bool = False  # the value needed more than spacing fixed: never ok on its own

    @property
    def confidence(self) -> float:
        return min(ln.conf for ln in self.lines)

    @property
    def page(self) -> int:
        return self.lines[0].page


def _found(value: str, lines: list[_Line]) -> _Found:
    return _Found(nfc(value), tuple(lines), _union([ln.line.box for ln in lines]))


def _field(found: _Found, status: FieldStatus, threshold: float) -> Field:
    if status == FieldStatus.OK and (found.confidence < threshold or found.repaired):
        status = FieldStatus.NEEDS_REVIEW
    return Field(found.value, found.confidence, found.page, found.box, status)


# --------------------------------------------------------------------------- header


def normalize_symbol(raw: str) -> str:
    """"125 / QĐ - UBND" -> "125/QĐ-UBND": spaces round separators and inside the number go,
    '|', '\\' or '⁄' read for the slash and long dashes become '/' and '-', Ð (eth) becomes Đ."""
    text = nfc(raw).replace("Ð", "Đ")
    text = re.sub(r"[|\\⁄]", "/", text)
    text = re.sub(r"[–—]", "-", text)
    text = re.sub(r"\s*([/-])\s*", r"\1", text)
    text = re.sub(r"(?<=\d) (?=\d)", "", text)
    return text.strip(" .,;:")


def symbol_parts(symbol: str) -> tuple[str | None, list[str]]:
    """(document type abbreviation, or None for a công văn; the issuer parts) of a symbol."""
    parts = symbol.split("/")[-1].split("-")
    head = fold(parts[0]).upper()
    if head in _DOC_TYPE_KEYS and len(parts) > 1:
        return _DOC_TYPE_KEYS[head], parts[1:]
    return None, parts


def _number(page: _Page) -> tuple[_Found, _Line] | None:
    """The "Số: ..." line of the left header block: (symbol, its line)."""
    best = None
    for ln in page.lines:
        if ln.cy > page.header_bottom or ln.cx > page.x(0.6):
            continue
        label = _SO_LABEL.match(fold_in_place(ln.text))
        start = label.end() if label else len(ln.text) - len(ln.text.lstrip())
        match, repaired = _SYMBOL.match(ln.text, start), False
        if match is None and label:
            match, repaired = _SYMBOL_LOST_SLASH.match(ln.text, start), True
        # Without its label, only a line that is the symbol alone (not "61/2018/NĐ-CP về ...").
        if match is None or (not label and (len(ln.text[match.end():].strip()) > 2 or ln.cx > page.x(0.45))):
            continue
        rank = (0 if label else 1, ln.cy)
        if best is None or rank < best[0]:
            best = (rank, ln, match, repaired)
    if best is None:
        return None
    _, ln, match, repaired = best
    value = normalize_symbol(f"{match.group(1)}/{match.group(2)}" if repaired else match.group())
    # The left "Số:" line merged with the right "<place>, ngày ..." line: where the symbol
    # ends and the place begins is a guess ("VHXHTP. Hồ Chí Minh"), so it goes to review.
    merged = re.search(r"\bngay\s*\d", fold(ln.text[match.end():])) is not None
    return _Found(value, (ln,), _sub_box(ln, match.start(), match.end()), repaired or merged), ln


def _issuer_lines(page: _Page, number: _Line | None) -> list[_Line]:
    """The left header block above "Số:": upper-case name lines, top to bottom."""
    if number is not None:
        top, bottom = number.cy - 8 * number.h, number.cy - 0.5 * number.h

        def column(ln: _Line) -> bool:
            return abs(ln.cx - number.cx) < 0.2 * page.width or _overlap_x(ln, number) > 0
    else:  # no number read: the block beside the national header
        national = [ln.y1 for ln in page.lines if _is_national(ln) and ln.cy < page.header_bottom]
        top, bottom = -math.inf, max(national) if national else page.below_top(0.12, 5)

        def column(ln: _Line) -> bool:
            return ln.cx < page.x(0.45)
    out = [ln for ln in page.lines
           if top <= ln.cy <= bottom and column(ln) and ln.cx < page.x(0.5) and not _is_national(ln)
           and _letters(ln.text) >= 2 and _upper_share(ln.text) >= 0.6 and not _SO_LABEL.match(fold_in_place(ln.text))]
    # The block's lines are stacked, never side by side: lines read at one level (a photo's
    # slope, a line split off the national header) go name before place.
    return _in_rows(out, lambda ln: (_starts_place(ln.text), ln.x0))


def _body_type(text: str, mode=_FOLD) -> str | None:
    return _starts(mode(text), _BODIES[mode])


def _starts_place(text: str, mode=_FOLD) -> bool:
    return _starts(mode(text), _PLACES[mode]) is not None


def _issuing_body(lines: list[_Line]) -> list[_Line]:
    """Lines naming the issuing body: a line that begins with a body type after an earlier
    one starts a new body (the earlier one is the superior body, "UBND TỈNH X / SỞ TƯ PHÁP");
    any other line continues its body ("ỦY BAN NHÂN DÂN / PHƯỜNG KIM LIÊN")."""
    units: list[list[_Line]] = []
    for ln in lines:
        if units and (_starts_place(ln.text) or not _body_type(ln.text)):
            units[-1].append(ln)
        else:
            units.append([ln])
    return units[-1] if units else []


def _split_place(body: str) -> tuple[list[str], list[str]]:
    """(type words, place words) of a body's name."""
    words = body.split()
    for i in range(len(words)):
        if _starts_place(" ".join(words[i:]), _EXACT):
            return words[:i], words[i:]
    return words, []


def body_abbreviations(body: str) -> set[str]:
    """Abbreviations (folded, upper case) that a symbol may use for an issuing body whose
    type words are spelled exactly as in the table (tone marks checked). Empty for a body
    type the table does not list (see `_confirm_body` for those)."""
    key = _body_type(body, _EXACT)
    return {fold(a).upper() for a in _BODY_ABBRS[_EXACT][key]} if key is not None else set()


def _initials(words: list[str]) -> str:
    return fold("".join(w[0] for w in words if w[0].isalnum() and fold(w) != "va")).upper()


def _written_elsewhere(phrase: str, body: _Found, pages: list[_Page]) -> bool:
    """Whether `phrase` is written, tone marks and all (case aside), on a line other than
    the body's own: "Ủy ban nhân dân phường Kim Liên đề nghị ...", "- Chủ tịch UBND phường Kim Liên;"."""
    wanted = f" {tone_key(phrase)} "
    used = {id(ln.line) for ln in body.lines}
    return any(wanted in " " + tone_key(_PUNCT.sub(" ", ln.text)) + " "
               for page in pages for ln in page.lines if id(ln.line) not in used)


def _confirm_body(body: _Found, symbol: str, pages: list[_Page]) -> bool:
    """A second source for the issuing body: the symbol's issuer part is the abbreviation of
    the body's type (for a listed type spelled exactly; for an unlisted one the initials of
    its type words, which must then also be written the same way elsewhere in the document),
    and the body's place part, if any, is written the same way elsewhere in the document.
    A body that exists at every level (ỦY BAN NHÂN DÂN, ...) must name its place."""
    _, issuer_parts = symbol_parts(symbol)
    parts = {fold(p).upper() for p in issuer_parts}
    type_words, place = _split_place(body.value)
    listed = _body_type(body.value, _FOLD)
    if listed is not None and _BODY_ABBRS[_FOLD][listed]:
        if not parts & body_abbreviations(body.value):
            return False  # a listed type misspelled, or another body's abbreviation
        if _BODY_ABBRS[_FOLD][listed][0] in _PLACED_BODIES and not place:
            return False
    elif not (len(type_words) >= 2 and _initials(type_words) in parts
              and _written_elsewhere(" ".join(type_words), body, pages)):
        return False
    return not place or _written_elsewhere(" ".join(place), body, pages)


def _date(page: _Page, number: _Line | None) -> tuple[_Found, tuple[int, int, int]] | None:
    """The place-and-date line of the header: the date nearest to the "Số:" line's level."""
    limit = number.cy + 4 * number.h if number else page.header_bottom
    best = None
    for ln in page.lines:
        if ln.cy > limit or ln is number:
            continue
        m = _VN_DATE.search(fold_in_place(ln.text)) or _NUMERIC_DATE.search(ln.text)
        if m is None:
            continue
        parts = tuple(int(g.replace(" ", "")) for g in m.groups())
        rank = abs(ln.cy - number.cy) if number else ln.cy
        if best is None or rank < best[0]:
            best = (rank, ln, parts, m.span())
    if best is None:
        return None
    _, ln, (d, mo, y), (s, e) = best
    return _Found(f"{d:02d}/{mo:02d}/{y:04d}", (ln,), _sub_box(ln, s, e)), (d, mo, y)


def date_status(day: int, month: int, year: int, today: date) -> FieldStatus:
    """ok for a real calendar date from 1945 up to `today`; invalid otherwise."""
    try:
        when = date(year, month, day)
    except ValueError:
        return FieldStatus.INVALID
    return FieldStatus.OK if EARLIEST_YEAR <= when.year and when <= today else FieldStatus.INVALID


def cited_dates(pages: list[PageText]) -> list[date]:
    """Full dates in the legal basis ("Căn cứ Luật ... ngày 16 tháng 6 năm 2025;", "Theo đề
    nghị ... tại Tờ trình số 12/TTr-VP ngày 02/3/2026"): things that existed before the
    document did, so none may be later than its date of issue."""
    return _cited([_place(p) for p in pages if p.lines])


def _cited(placed: list[_Page]) -> list[date]:
    out: list[date] = []
    for page in placed:
        in_basis = 0
        for ln in page.lines:  # reading order: the body is one column
            if ln.folded.startswith(("can cu", "theo de nghi", "xet de nghi")):
                in_basis = 4  # a basis sentence runs a few lines, to its ';' or '.'
            if not in_basis:
                continue
            in_basis -= 1
            for m in [*_VN_DATE.finditer(fold_in_place(ln.text)), *_NUMERIC_DATE.finditer(ln.text)]:
                d, mo, y = (int(g.replace(" ", "")) for g in m.groups())
                try:
                    out.append(date(y, mo, d))
                except ValueError:
                    pass
            if ln.text.rstrip().endswith((";", ".")):
                in_basis = 0
    return out


# --------------------------------------------------------------------------- subject


def _follow(first: _Line, page: _Page, keep: Callable[[_Line], bool]) -> list[_Line]:
    """`first` and the lines wrapped under it: each the next one down in the same column,
    within about one and a half line heights, while `keep(line)` holds."""
    out = [first]
    while True:
        last = out[-1]
        below = [ln for ln in page.lines
                 if ln not in out and last.cy + 0.4 * last.h < ln.cy <= last.cy + 1.7 * max(last.h, ln.h)
                 and last.x0 - last.h <= ln.cx <= last.x1 + last.h and _overlap_x(ln, last) > 0]
        if not below:
            return out
        nxt = min(below, key=lambda ln: ln.cy)
        if not keep(nxt):
            return out
        out.append(nxt)


def _clean(text: str) -> str:
    return _EDGE_JUNK.sub("", text)


def _vv_subject(page: _Page, number: _Line | None) -> _Found | None:
    """A công văn's "V/v ..." lines under the number, in the left column."""
    candidates = []
    for ln in page.lines:
        if ln.cx > page.x(0.5) or _is_national(ln):
            continue
        if number is not None:
            if not (number.cy + 0.4 * number.h < ln.cy <= number.cy + 4 * number.h):
                continue
        elif ln.cy > page.header_bottom:
            continue
        m = _VV.match(ln.text)
        if m:
            candidates.append((ln.cy, ln, m))
    if not candidates:
        return None
    _, first, m = min(candidates, key=lambda c: c[0])

    def keep(nxt: _Line) -> bool:
        return (not nxt.folded.startswith("kinh gui") and not _LABEL_COLON.search(nxt.text) and not _is_national(nxt)
                and nxt.cx < page.x(0.5) and not _VN_DATE.search(fold_in_place(nxt.text)))

    lines = _follow(first, page, keep)
    text = " ".join([_clean(first.text[m.end():])] + [_clean(x.text) for x in lines[1:]])
    return _found("V/v " + text.rstrip(" ."), lines)


def _title_line(page: _Page, number: _Line | None) -> _Line | None:
    """A centred document title ("QUYẾT ĐỊNH") below the header."""
    top = number.cy + 0.5 * number.h if number else page.top
    centre = (page.left + page.right) / 2
    for ln in sorted(page.lines, key=lambda ln: ln.cy):
        if ln.cy <= top or ln.cy > page.below_top(0.5, 20) or abs(ln.cx - centre) > 0.15 * page.width:
            continue
        key = ln.folded.rstrip(" :.")
        if _upper_share(ln.text) >= 0.7 and any(key == t or fuzz.ratio(key, t) >= 88 for t in _DOC_TITLE_KEYS):
            return ln
    return None


def _title_subject(page: _Page, title: _Line) -> _Found | None:
    """The subject under a centred title: mixed-case lines down to the upper-case authority
    line ("CHỦ TỊCH ỦY BAN NHÂN DÂN ...") or the first "Căn cứ"."""
    below = [ln for ln in page.lines
             if title.cy + 0.4 * title.h < ln.cy <= title.cy + 2 * title.h and _overlap_x(ln, title) > 0]
    if not below:
        return None
    first = min(below, key=lambda ln: ln.cy)
    if first.folded.startswith(("can cu", "dieu ")) or _letters(first.text) < 3:
        return None
    centre = (page.left + page.right) / 2

    def keep(nxt: _Line) -> bool:
        return (_upper_share(nxt.text) < 0.7 and not nxt.folded.startswith(("can cu", "theo de nghi", "dieu "))
                and abs(nxt.cx - centre) < 0.15 * page.width)

    lines = _follow(first, page, keep)
    return _found(" ".join(_clean(ln.text) for ln in lines).rstrip(" ."), lines)


# --------------------------------------------------------------------------- signer


def normalize_title(text: str) -> str:
    """An authority prefix as convention writes it: "TM ỦY BAN" / "TM, ỦY BAN" -> "TM. ỦY BAN"."""
    text = _clean(nfc(text))
    m = _AUTH.match(text)
    if m:
        prefix = (m.group(1) or m.group(2)).upper()
        text = f"{prefix}. {text[m.end():].lstrip()}"
    return text


def _starts_title(text: str, mode=_FOLD) -> bool:
    return _starts(mode(text), _TITLES[mode]) is not None


def _titleish(ln: _Line) -> bool:
    text = _clean(ln.text)
    if _upper_share(text) < 0.7 or _letters(text) < 3:
        return False
    return bool(_AUTH.match(text)) or _starts_title(text)


def title_pattern_ok(title_lines: list[str]) -> bool:
    """Known signer-title forms, spelled exactly (tone marks checked): authority lines
    "TM. <body>", "KT./Q. <title>", "TL./TUQ. <title or body>", then the title (optionally
    with its unit: "TRƯỞNG PHÒNG TƯ PHÁP", or acting: "Q. GIÁM ĐỐC")."""
    if not title_lines:
        return False
    *authority, last = [normalize_title(t) for t in title_lines]
    for text in authority:
        m = re.match(rf"^({'|'.join(AUTHORITY_PREFIXES)})\. (.+)$", text)
        if not m:
            return False
        kind, rest = m.groups()
        is_body = _body_type(rest, _EXACT) is not None or _starts_place(rest, _EXACT)
        is_title = _starts_title(rest, _EXACT)
        if (kind == "TM" and not is_body) or (kind in ("KT", "Q") and not is_title) or not (is_body or is_title):
            return False
    acting = re.match(r"^Q\. (.+)$", last)
    return _starts_title(acting.group(1) if acting else last, _EXACT)


def _name_words(text: str) -> str:
    """The words of a name line, without specks read as tokens ("Nguyễn ( Quang Lộc")."""
    return " ".join(w for w in _clean(text).split() if any(c.isalpha() for c in w))


def _is_name(text: str) -> bool:
    """A personal name as printed under a signature: 2-6 words of letters, Title or UPPER case."""
    words = _name_words(text).split()
    if not 2 <= len(words) <= 6 or not all(_NAME_WORD.match(w) for w in words):
        return False
    if not all(w[0].isupper() for w in words):
        return False
    if not all(w.isupper() or w[1:].islower() or len(w) == 1 for w in words):
        return False  # each word Title or UPPER case ("LÊ Minh Hằng" as OCR may case it)
    return not (_body_type(text) or _starts_title(text) or _starts_place(text))


def _signer(pages: list[_Page]) -> tuple[_Found | None, _Found | None]:
    """(title lines, name) of the signer block, from the last page that has one."""
    for page in reversed(pages):
        h = page.line_h
        noi_nhan = [ln for ln in page.lines if ln.folded.startswith("noi nhan")]
        floor = min(ln.cy for ln in noi_nhan) - 3 * h if noi_nhan else page.header_bottom
        right = [ln for ln in page.lines if ln.cx > page.x(0.55) and ln.cy >= floor and _titleish(ln)]
        if not right:
            continue
        block = [max(right, key=lambda ln: ln.cy)]

        def titleish_near(ln: _Line, ref: _Line) -> bool:
            return (ln not in block and _overlap_x(ln, ref) > 0 and _upper_share(ln.text) >= 0.7
                    and _letters(ln.text) >= 2 and not _is_name(ln.text))

        while True:  # up: the authority lines over the title
            top = block[0]
            above = [ln for ln in page.lines
                     if top.cy - 1.8 * top.h <= ln.cy < top.cy - 0.4 * top.h and titleish_near(ln, top)]
            if not above:
                break
            block.insert(0, max(above, key=lambda ln: ln.cy))
        while True:  # down: a title that wrapped ("TRƯỞNG PHÒNG / QUẢN LÝ ĐÔ THỊ")
            bottom = block[-1]
            below = [ln for ln in page.lines
                     if bottom.cy + 0.4 * bottom.h < ln.cy <= bottom.cy + 1.5 * bottom.h and titleish_near(ln, bottom)]
            if not below:
                break
            block.append(min(below, key=lambda ln: ln.cy))
        title = _found(" ".join(normalize_title(ln.text) for ln in block), block)
        x0, x1 = min(ln.x0 for ln in block), max(ln.x1 for ln in block)
        last = block[-1]
        names = [ln for ln in page.lines if ln not in block and last.cy < ln.cy <= last.cy + 14 * last.h
                 and x0 - last.h <= ln.cx <= x1 + last.h and _is_name(ln.text)]
        if not names:
            return title, None
        ln = max(names, key=lambda ln: ln.cy)  # the name closes the block, under seal and signature
        core = _clean(ln.text)
        start = ln.text.find(core)
        box = _sub_box(ln, start, start + len(core)) if core != ln.text.strip() else ln.line.box
        return title, _Found(_name_words(core), (ln,), box)
    return None, None


# --------------------------------------------------------------------------- API


def official_subtype(pages: list[PageText]) -> str | None:
    """"quyet_dinh" (the title QUYẾT ĐỊNH or a QĐ symbol), "cong_van" (a "V/v" subject or a
    symbol without a type part), or None (neither, or another type such as a thông báo)."""
    return _subtype([_place(p) for p in pages if p.lines])


def _subtype(placed: list[_Page]) -> str | None:
    if not placed:
        return None
    page = placed[0]
    sym = _number(page)
    number = sym[1] if sym else None
    doc_type = symbol_parts(sym[0].value)[0] if sym else None
    title = _title_line(page, number)
    if (title is not None and title.folded.rstrip(" :.") == "quyet dinh") or doc_type == "QĐ":
        return "quyet_dinh"
    if title is not None or doc_type is not None:
        return None
    if _vv_subject(page, number) is not None or sym is not None:
        return "cong_van"
    return None


def _symbol_status(symbol: _Found, subtype: str | None, title: _Line | None) -> FieldStatus:
    if re.match(r"^0+/", symbol.value):
        return FieldStatus.INVALID  # no document is numbered 0
    if not SYMBOL_PATTERN.match(symbol.value):
        return FieldStatus.NEEDS_REVIEW  # perhaps a misread: a person decides
    doc_type, _ = symbol_parts(symbol.value)
    if subtype == "quyet_dinh":
        # Two sources: the title QUYẾT ĐỊNH and the symbol's type part QĐ.
        ok = doc_type == "QĐ" and title is not None and title.folded.rstrip(" :.") == "quyet dinh"
        return FieldStatus.OK if ok else FieldStatus.NEEDS_REVIEW
    if title is not None and (doc_type is None
                              or fold(DOC_TYPE_ABBREVIATIONS[doc_type]) != title.folded.rstrip(" :.")):
        return FieldStatus.NEEDS_REVIEW  # a titled document whose symbol names another type
    return FieldStatus.OK


def extract_official_fields(pages: list[PageText], review_threshold: float,
                            today: date | None = None) -> dict[str, Field]:
    """co_quan_ban_hanh, so_ky_hieu, ngay_ban_hanh, trich_yeu, nguoi_ky, chuc_vu_nguoi_ky
    (those found) of a công văn or quyết định; `today` bounds the issue date (default: today)."""
    today = today or date.today()
    placed = [_place(p) for p in pages if p.lines]
    fields: dict[str, Field] = {}
    if not placed:
        return fields
    first = placed[0]
    subtype = _subtype(placed)
    sym = _number(first)
    number = sym[1] if sym else None
    title = _title_line(first, number)

    if sym is not None:
        fields["so_ky_hieu"] = _field(sym[0], _symbol_status(sym[0], subtype, title), review_threshold)

    body_lines = _issuing_body(_issuer_lines(first, number))
    if body_lines:
        body = _found(" ".join(_clean(ln.text).rstrip(".") for ln in body_lines), body_lines)
        confirmed = sym is not None and _confirm_body(body, sym[0].value, placed)
        fields["co_quan_ban_hanh"] = _field(body, FieldStatus.OK if confirmed else FieldStatus.NEEDS_REVIEW,
                                            review_threshold)

    dated = _date(first, number)
    if dated is not None:
        found, (d, mo, y) = dated
        status = date_status(d, mo, y, today)
        if status == FieldStatus.OK and any(c > date(y, mo, d) for c in _cited(placed) if c <= today):
            status = FieldStatus.NEEDS_REVIEW  # issued before a law it cites: one of the two misread
        fields["ngay_ban_hanh"] = _field(found, status, review_threshold)

    subject = _title_subject(first, title) if title is not None else None
    if subject is None:
        subject = _vv_subject(first, number)
    if subject is not None:  # free text: nothing to check it against
        fields["trich_yeu"] = _field(subject, FieldStatus.NEEDS_REVIEW, review_threshold)

    titles, name = _signer(placed)
    if titles is not None:
        ok = title_pattern_ok([ln.text for ln in titles.lines])
        fields["chuc_vu_nguoi_ky"] = _field(titles, FieldStatus.OK if ok else FieldStatus.NEEDS_REVIEW,
                                            review_threshold)
    if name is not None:  # free text: nothing to check it against
        fields["nguoi_ky"] = _field(name, FieldStatus.NEEDS_REVIEW, review_threshold)
    return fields
