"""An address split into words, and the unit-type words ("phường", "Q.", "TP.") among them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.fields.address.keys import has_marks, lookup_key

# unit types, as written in names and as abbreviated in addresses
TINH, THANH_PHO, QUAN, HUYEN, THI_XA, PHUONG, XA, THI_TRAN, DAC_KHU = (
    "tinh", "thanhpho", "quan", "huyen", "thixa", "phuong", "xa", "thitran", "dackhu",
)  # fmt: skip
_NAME_TYPES = (
    ("Thành phố ", THANH_PHO), ("Thị xã ", THI_XA), ("Thị trấn ", THI_TRAN), ("Đặc khu ", DAC_KHU),
    ("Tỉnh ", TINH), ("Quận ", QUAN), ("Huyện ", HUYEN), ("Phường ", PHUONG), ("Xã ", XA),
)  # fmt: skip
PROVINCE_KINDS = frozenset({TINH, THANH_PHO})
DISTRICT_KINDS = frozenset({QUAN, HUYEN, THI_XA, THANH_PHO})
WARD_KINDS = frozenset({PHUONG, XA, THI_TRAN, DAC_KHU})
_TWO_WORD_TYPES = {
    ("thanh", "pho"): THANH_PHO, ("thi", "xa"): THI_XA, ("thi", "tran"): THI_TRAN, ("dac", "khu"): DAC_KHU,
}  # fmt: skip
_ONE_WORD_TYPES = {
    "tinh": TINH, "tp": THANH_PHO, "thanhpho": THANH_PHO, "quan": QUAN, "huyen": HUYEN, "tx": THI_XA,
    "phuong": PHUONG, "xa": XA, "tt": THI_TRAN, "district": QUAN, "ward": PHUONG,
}  # fmt: skip
# single letters count only when written with a dot or before a number ("P.", "Q.3", "P5")
_LETTER_TYPES = {"p": PHUONG, "f": PHUONG, "q": QUAN, "h": HUYEN, "x": XA, "t": TINH}
# the keys of each level's type words, for forgiving a misread one ("thành phou")
TYPE_WORD_KEYS = {PROVINCE_KINDS: ("tinh", "thanhpho"), DISTRICT_KINDS: ("quan", "huyen", "thixa", "thanhpho"),
                  WARD_KINDS: ("phuong", "thitran", "dackhu")}  # fmt: skip
COUNTRY_KEYS = frozenset({"vietnam", "vn", "vnm"})
_TYPE_PREFIX = re.compile(
    r"^(?:thành phố|tp\.?|thị xã|tx\.?|thị trấn|tt\.?|đặc khu|tỉnh|quận|huyện|phường|xã)\s+", re.IGNORECASE
)


def split_unit_type(name: str) -> tuple[str, str]:
    """ "Phường Kim Liên" -> ("phuong", "Kim Liên")."""
    for prefix, kind in _NAME_TYPES:
        if name.startswith(prefix):
            return kind, name[len(prefix) :].strip()
    return "", name


def without_type_word(part: str) -> str:
    """One part of an address without the type word it opens with ("tỉnh Nghệ An" -> "Nghệ An")."""
    return _TYPE_PREFIX.sub("", part)


@dataclass(slots=True)
class Token:
    text: str
    key: str
    hard: bool  # first token of a comma-separated part
    soft: bool  # first token after a dash or parenthesis
    dotted: bool  # abbreviation written with a dot ("P.", "TP.")
    toned: bool = True  # the text carries tone marks: a name without them means none


_HARD_SPLIT = re.compile(r"[,;:\n\r|]+")
_SOFT_SPLIT = re.compile(r"[-–—()\[\]]+")
_LETTER_NUMBER = re.compile(r"^([PpFfQq])\.?(\d+)$")


def tokenize(text: str) -> list[Token]:
    toks: list[Token] = []
    toned = has_marks(text)
    for segment in _HARD_SPLIT.split(text):
        hard = True
        for chunk in _SOFT_SPLIT.split(segment):
            soft = True
            for piece, dotted in _dotted_initials_joined(_pieces(chunk)):
                key = lookup_key(piece)
                if not key:
                    continue
                toks.append(Token(piece, key, hard, soft, dotted, toned))
                hard = soft = False
    return toks


def _pieces(chunk: str) -> list[tuple[str, bool]]:
    """The words of `chunk`, split after dots ("P.Bến" -> "P", "Bến") and between a type
    letter and its number ("Q3"), each with whether a dot followed it."""
    pieces: list[tuple[str, bool]] = []
    for word in chunk.split():
        m = _LETTER_NUMBER.match(word)
        if m:
            pieces += [(m.group(1), True), (m.group(2), False)]
            continue
        parts = [p for p in re.split(r"(?<=\.)", word) if p.strip(".")]
        for part in parts:
            pieces.append((part.rstrip("."), part.endswith(".")))
    return pieces


def _dotted_initials_joined(pieces: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """ "T.P." -> "TP."; "T.X." -> "TX."; "T.T." -> "TT."."""
    merged: list[tuple[str, bool]] = []
    for piece, dotted in pieces:
        if (
            merged
            and dotted
            and merged[-1][1]
            and len(piece) == 1
            and len(merged[-1][0]) == 1
            and merged[-1][0].casefold() == "t"
        ):
            merged[-1] = (merged[-1][0] + piece, True)
        else:
            merged.append((piece, dotted))
    return merged


def segment_start(toks: list[Token], end: int) -> int:
    """Index of the first token of the comma-separated part holding toks[end - 1]."""
    i = end - 1
    while i > 0 and not toks[i].hard:
        i -= 1
    return max(i, 0)


def type_before(toks: list[Token], start: int, lo: int) -> tuple[str, int] | None:
    """The unit type written just before toks[start] ("phường", "TP.", "Q."), and where it starts."""
    if start - 2 >= lo and not toks[start - 1].hard:
        pair = (toks[start - 2].key, toks[start - 1].key)
        if pair in _TWO_WORD_TYPES:
            return _TWO_WORD_TYPES[pair], start - 2
    if start - 1 >= lo:
        tok = toks[start - 1]
        if tok.key in _ONE_WORD_TYPES:
            return _ONE_WORD_TYPES[tok.key], start - 1
        if tok.key in _LETTER_TYPES and (tok.dotted or toks[start].key.isdigit()):
            return _LETTER_TYPES[tok.key], start - 1
    return None
