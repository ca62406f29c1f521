"""Typed errors for refused input (OCRmyPDF style: one exception type, a stable code)."""

from __future__ import annotations

from models.errors import ErrorCode, error_message

# Process exit codes of `sohoa process` (stable; documented in the README).
EXIT_OK = 0
EXIT_BAD_INPUT = 2  # at least one file was refused; the others were still processed
EXIT_INTERNAL = 3


class InputRefused(Exception):
    """A file that cannot be read: refused with a stable code and a clerk-readable message."""

    def __init__(self, code: ErrorCode, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {error_message(code, detail, lang='en')}")

    def __reduce__(self) -> tuple[type[InputRefused], tuple[ErrorCode, str]]:  # crosses to Ray workers intact
        return (type(self), (self.code, self.detail))

    @property
    def message_vi(self) -> str:
        return error_message(self.code, self.detail, lang="vi")

    @property
    def message_en(self) -> str:
        return error_message(self.code, self.detail, lang="en")
