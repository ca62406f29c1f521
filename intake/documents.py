"""A reviewer's fixes to the documents of a file (issue 16): a document's kind, a split at a
page, a merge, a page turned; and the page image every reviewer view draws boxes on."""

from __future__ import annotations

from intake.context import IntakeContext
from intake.packaging import file_info
from pipeline.output.package import page_jpeg
from storage.tables import ComponentRow


def page_image_bytes(
    ctx: IntakeContext, component: ComponentRow, index: int, crop: tuple[int, int, int, int] | None = None
) -> bytes:
    """A page of `component` as JPEG, in the pixels its lines' and fields' boxes are in."""
    with ctx.store.open(component.object_key) as stream:
        original = stream.read()
    return page_jpeg(original, file_info(ctx, component, original), index, ctx.settings.reading, crop=crop)
