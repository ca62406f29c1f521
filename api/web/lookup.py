"""The citizen's public look-up page /tra-cuu/{code} (issue 16)."""

from __future__ import annotations

from fastapi import FastAPI


def install_lookup(app: FastAPI) -> None:
    """Mount the public look-up page on `app`."""
