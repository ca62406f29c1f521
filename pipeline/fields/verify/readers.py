"""What the sources of a value cannot write, as data, and the words of a reading that may hide it.

`models.fields.reader_blind_spots` (derived from each recognizer's own character set) says, per
source, which letters it cannot write and what it writes instead. Two sources agreeing is
evidence only where each could have written otherwise: a letter that stands where the other
could not have written the alternative rests on one source alone.

The first reader (Tesseract's `vie` model) and the third (Tesseract's model for the Vietnamese
script) have 132 of the 134 Vietnamese letter forms: neither can write ỵ or Ỵ (both are missing
from the `lstm-unicharset` of the two traineddata files; `tests/test_verify_readers.py` checks
this list against them). Where the print has one, they write another letter ("THUỴ" -> "THUY"),
and the second reader, missing the small dot under a capital, reads it so too: readings alike
there are no evidence. Only a source that writes the mark (a card's QR code, a PDF's text layer)
or a rule (a closed vocabulary) confirms such a word; the MRZ, without marks, does not.
"""

from __future__ import annotations

import re

from models.fields import reader_blind_spots
from pipeline.text import nfc

# Letters the Tesseract models cannot write -> the bare letter they write in their place.
TESSERACT_CANNOT_WRITE: dict[str, str] = reader_blind_spots()["ocr"]

# Vietnamese syllables written with one of those letters (dictionary words, with the old tone
# placement: "thuỵ" beside "thụy"). A reading with the bare letter in their place ("THUY") may be
# either; other syllables with the bare letter may not ("HUY", "DUY", "NGUYỄN": no word is
# written "huỵ"), so their readings stand as any other.
SYLLABLES_WITH_UNWRITABLE_LETTERS = frozenset(
    {
        "kỵ",
        "lỵ",
        "mỵ",
        "tỵ",
        "quỵ",
        "quỵt",
        "quỵch",
        "luỵ",
        "tuỵ",
        "nguỵ",
        "truỵ",
        "thuỵ",
        "nhuỵ",
        "khuỵ",
        "khuỵu",
        "huỵch",
        "uỵch",
        "phuỵch",
        "thuỵch",
        "suỵt",
        "xuỵt",
    }
)

_UNWRITTEN = str.maketrans(TESSERACT_CANNOT_WRITE)
# The syllable as those readers write it -> as it may be printed.
_MAY_BE = {syllable.translate(_UNWRITTEN): syllable for syllable in SYLLABLES_WITH_UNWRITABLE_LETTERS}


def unwritable_spellings(value: str) -> list[str]:
    """Words of a Tesseract reading that may stand for a syllable it cannot write, each as it
    may be printed, in the reading's case: "PHẠM THỊ THUY" -> ["THUỴ"]."""
    found = []
    for word in re.findall(r"\w+", nfc(value)):
        printed = _MAY_BE.get(word.casefold())
        if printed is not None:
            found.append("".join(p.upper() if w.isupper() else p for w, p in zip(word, printed, strict=True)))
    return found


def blind_letters(value: str, source: str) -> list[str]:
    """Letters of `value` where `source` could not have written otherwise: one it cannot write,
    or one it writes in place of such a letter ("NGUYỄN" from an MRZ: U, Y, Ễ); case aside."""
    blind = set()
    for letter, instead in reader_blind_spots().get(source, {}).items():
        if letter.casefold() != instead.casefold():
            blind |= {letter.casefold(), instead.casefold()}
    return [c for c in nfc(value) if c.casefold() in blind]
