"""Masking personal data for logs and terminals (never for stored values)."""

from __future__ import annotations

import re

_PERSONAL_NUMBER_FIELDS = ("so_dinh_danh", "so_cmnd", "so_dien_thoai", "so_can_cuoc")
_PERSONAL_NAME_FIELDS = ("ho_va_ten", "ho_chu_dem_ten", "toi_ten_la")


def mask_number(value: str) -> str:
    """'001099012345' -> '001*******45': the province code and two last digits only."""
    digits = re.sub(r"\D", "", value)
    if len(digits) < 6:
        return "*" * len(value)
    return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]


def mask_name(value: str) -> str:
    """'Nguyễn Văn Hải' -> 'N. V. H.'"""
    return " ".join(word[0] + "." for word in value.split() if word)


def mask_value(field_name: str, value: str) -> str:
    base = re.sub(r"_\d+$", "", field_name)
    if base in _PERSONAL_NUMBER_FIELDS or re.fullmatch(r"[\d .]{9,}", value):
        return mask_number(value)
    if base in _PERSONAL_NAME_FIELDS or base.startswith("ho_") and "ten" in base:
        return mask_name(value)
    return value
