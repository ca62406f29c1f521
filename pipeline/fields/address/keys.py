"""Lookup keys of unit names: one that folds every mark, one that keeps them."""

from __future__ import annotations

import re
import unicodedata

from pipeline.text import strip_diacritics, tone_key

_ETH = str.maketrans({"Ð": "Đ", "ð": "đ"})  # OCR reads Đ as the look-alike Icelandic eth
_ASCII_D = str.maketrans({"Ð": "D", "ð": "d", "Đ": "D", "đ": "d"})
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")
_NON_KEY = re.compile(r"[^0-9a-z]+")
_APOSTROPHES = re.compile(r"['’‘`´]")
_WORD_SEPARATORS = re.compile(r"[\s\-–—,.]+")


def lookup_key(text: str) -> str:
    """Lookup key: no marks, no case, letters and digits only, no leading zeros ("Phường 05"
    -> "phuong5")."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_ASCII_D)).encode("ascii", "ignore").decode()
    return _LEADING_ZEROS.sub("", _NON_KEY.sub("", ascii_text.lower()))


def tone_lookup_key(text: str) -> str:
    """Mark-aware key that ignores where the tone mark sits ("Thuỷ" == "Thủy"), as
    `pipeline.text.tone_key`, and also apostrophes ("Ea H'leo"), dashes and dots between
    words, and leading zeros ("Phường 05" == "Phường 5")."""
    words = _WORD_SEPARATORS.sub(" ", _APOSTROPHES.sub("", text.translate(_ETH)))
    # the tone marks follow each word's letters, so no digit run is split by one
    return _LEADING_ZEROS.sub("", tone_key(words))


def has_marks(text: str) -> bool:
    """The text carries diacritics (so a name written without them means none)."""
    return strip_diacritics(text.translate(_ETH)) != text.translate(_ETH)
