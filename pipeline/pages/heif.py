"""HEIC/HEIF (iPhone and most Android phones' photos) through Pillow, via pillow-heif.

pillow-heif ships libheif and its HEVC decoder inside its wheel: nothing is fetched or
installed at run time. Importing this module registers the opener once per process
(`Image.open(..., formats=["HEIF"])` then works everywhere); `pipeline.pages.preflight`
imports it, so every module that decodes an accepted file has it.

What libheif does for us: a HEIC's rotation and mirroring (its `irot`/`imir` boxes, which
iPhones write instead of an EXIF orientation) are applied on decoding, the size read from
the header is the upright size, and the EXIF orientation is reset to 1 so that nothing
turns the picture a second time.
"""

from __future__ import annotations

import threading

import pillow_heif

PIL_FORMAT = "HEIF"  # the name pillow-heif registers with Pillow
_LOCK = threading.Lock()
_registered = False


def register() -> None:
    """Register the HEIF opener with Pillow (idempotent, thread-safe)."""
    global _registered
    with _LOCK:
        if _registered:
            return
        # Thumbnails, depth maps and auxiliary images are never read: do not keep them.
        pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
        _registered = True


register()
