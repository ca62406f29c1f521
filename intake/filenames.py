"""The name of an uploaded file: the citizen's data, kept as sent, and the safe form of it that
is shown (counter, reviewer) and exported (manifest, PDF title, download headers).

A file name is never part of a storage path: originals are content-addressed
(`storage.objects`), package files are named by position and kind (`intake.packaging`). The name
as sent may hold folders (`../../etc/passwd.png`, `C:\\Users\\…`), control characters (ESC
sequences a terminal obeys) or a right-to-left override that makes `gnp.exe` read as `exe.png`;
it is kept only as data, and everything that shows or exports it uses `display_filename`.
"""

from __future__ import annotations

import re
import unicodedata

from intake.errors import ServiceError
from intake.schemas import BIDI_CONTROLS
from models.errors import ErrorCode
from pipeline.text import nfc

UNNAMED = "tep-khong-ten"
MAX_ORIGINAL = 255  # the column's width; no file system allows a longer name
MAX_DISPLAY = 120
# Not shown: controls, format characters (direction overrides, zero-width), surrogates,
# private-use and unassigned code points, line and paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_RESERVED = re.compile(r'[<>:"|?*]')  # not allowed in a Windows file name; ':' names a drive or stream
_DOTS = re.compile(r"\.{2,}")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}$")
_DEVICES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))})


def original_filename(raw: str | None) -> str:
    """The name as sent, kept as data: NFC, at most 255 characters, otherwise verbatim. A NUL or
    a lone surrogate (no file system has one in a name, no database column can hold one) is
    refused: 422 INVALID_REQUEST, nothing recorded."""
    name = unicodedata.normalize("NFC", raw or "")
    if "\x00" in name or any(unicodedata.category(ch) == "Cs" for ch in name):
        raise ServiceError(ErrorCode.INVALID_REQUEST, "file.filename: ký tự NUL hoặc không hợp lệ")
    name = name[:MAX_ORIGINAL]
    return name if name.strip() else UNNAMED


def display_filename(original: str) -> str:
    """The name to show and export: the last part of any path (POSIX or Windows), without
    control, format or direction characters, without characters Windows reserves, no leading
    dot, no `..`, at most 120 characters with the extension kept; never empty."""
    name = unicodedata.normalize("NFC", original).replace("\\", "/").rsplit("/", 1)[-1]
    name = nfc(name)  # whitespace runs (tabs, line breaks) become one space
    name = "".join(ch for ch in name if ch not in BIDI_CONTROLS and unicodedata.category(ch) not in _HIDDEN_CATEGORIES)
    name = _DOTS.sub(".", _RESERVED.sub("_", name)).strip(". ")
    if not name:
        return UNNAMED
    if name.split(".", 1)[0].upper() in _DEVICES:
        name = "_" + name
    if len(name) > MAX_DISPLAY:
        extension = match.group() if (match := _EXTENSION.search(name)) else ""
        name = name[: MAX_DISPLAY - len(extension)].rstrip(". ") + extension
    return name
