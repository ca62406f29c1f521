"""The product's Prometheus metrics (names start with `sohoa_`), recorded where things happen.
Placeholder until observability lands (issue 17): the functions are the contract."""

from __future__ import annotations


def page_finished(result: dict | None, *, ok: bool) -> None:
    """A page job ended in the dispatcher: read (`result`, with its stage timings) or failed."""


def actors_alive(by_node: dict[str, int]) -> None:
    """The OCR pool's live actors per Ray node id, set whenever the pool changes."""
