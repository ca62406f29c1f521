"""The service's one error type: a stable code (models.errors) and a detail for its message.

Only `api/` turns a code into an HTTP status; the service says what went wrong, not how
HTTP spells it.
"""

from __future__ import annotations

from models.errors import ErrorCode, error_message


class ServiceError(Exception):
    def __init__(self, code: ErrorCode, detail: str = "", extra: dict | None = None) -> None:
        super().__init__(f"{code}: {detail}")
        # `extra`: more of the answer's body, e.g. FIELD_STALE's {"current": <the field now>}.
        self.code, self.detail, self.extra = code, detail, extra

    def body(self) -> dict[str, str]:
        """The error as every API answer carries it: code, Vietnamese message, English gloss."""
        return {
            "code": str(self.code),
            "message": error_message(self.code, self.detail),
            "message_en": error_message(self.code, self.detail, lang="en"),
        }
