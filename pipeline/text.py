"""Vietnamese text helpers: NFC at every boundary, diacritic folding for matching only.

Stored values always keep their tone marks; `fold` is for finding labels and for
search, never for what is written out.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NON_SLUG = re.compile(r"[^a-z0-9]+")


def nfc(text: str) -> str:
    """NFC-normalize and collapse whitespace runs to single spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def strip_diacritics(text: str) -> str:
    """'Nguyễn Văn Đức' -> 'Nguyen Van Duc' (đ/Đ are letters, not marks: mapped explicitly)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


def fold(text: str) -> str:
    """Case- and diacritic-insensitive key for matching labels: 'Ngày sinh' -> 'ngay sinh'."""
    return nfc(strip_diacritics(text)).casefold()


def slugify(text: str) -> str:
    """Snake-case field name without diacritics: 'Nơi thường trú' -> 'noi_thuong_tru'."""
    return _NON_SLUG.sub("_", fold(text)).strip("_")


VIETNAMESE_LETTERS = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
ACCENTED_LETTERS = frozenset(c for c in VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper() if c != strip_diacritics(c))


def fold_in_place(text: str) -> str:
    """Like `fold`, but one output character per input character (no space collapsing),
    so that a match's position in the folded text is its position in `text`."""
    return "".join(map(_fold_char, text))


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    # Interpretation folds every line's text many times over: per character, once.
    folded = strip_diacritics(char).casefold()
    return folded[0] if folded else char


_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng (combining)


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
