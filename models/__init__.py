"""Số Hóa domain data model: plain typed records and catalogues as data.

Pure: imports nothing else of the project and does no I/O. Every other package speaks
in these types (OCRmyPDF/paperless style: plain dataclasses between steps).
"""

from models.document import (
    Box,
    DocumentKind,
    Field,
    FieldStatus,
    FileReading,
    PageText,
    TextLine,
    TextSource,
)
from models.errors import ErrorCode, error_message
from models.fields import FIELD_SPECS, FieldSpec, ValueType, field_spec

__all__ = [
    "Box",
    "DocumentKind",
    "FileReading",
    "ErrorCode",
    "FIELD_SPECS",
    "Field",
    "FieldSpec",
    "FieldStatus",
    "PageText",
    "TextLine",
    "TextSource",
    "ValueType",
    "error_message",
    "field_spec",
]
