"""Preflight: decide from the bytes alone whether a file can be read, before any real work.

Pure (bytes in, `FileInfo` or `InputRefused` out; no file system). Every check is cheap:
headers, page tables and sizes, never a full-resolution decode. This is the trust
boundary for uploaded files, so *any* decoder exception is turned into
`InputRefused(CORRUPT_FILE)`: a counter clerk must get a message, never a traceback.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import NoReturn

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageFile, ImageOps

from models.errors import ErrorCode
from pipeline.config import InputLimits
from pipeline.errors import InputRefused
from pipeline.pages import heif
from pipeline.pages.spread import find_spread

# PDFium is not thread-safe, not even across documents: every pypdfium2 call in the
# pipeline (here and in `pipeline.pages.sources`) takes this lock. Re-entrant so helpers nest.
PDFIUM_LOCK = threading.RLock()

# Truncated images must fail loudly, never decode to a half-grey page. The default is
# False; make sure nothing imported before us flipped it.
ImageFile.LOAD_TRUNCATED_IMAGES = False

DEFAULT_PDF_DPI = 300
# A download cut short loses the trailer; PDFium silently rebuilds what it can, so we
# require the end-of-file marker near the end (a little trailing junk is tolerated).
_PDF_EOF_WINDOW = 4096
_PDF_HEADER_WINDOW = 1024  # the header may follow some junk, as Acrobat allows


class FileType(StrEnum):
    PDF = "pdf"
    JPEG = "jpeg"
    PNG = "png"
    TIFF = "tiff"
    HEIC = "heic"  # HEIC/HEIF: iPhones and many Android phones
    WEBP = "webp"


@dataclass(frozen=True, slots=True)
class FileInfo:
    file_type: FileType
    page_count: int
    size_bytes: int
    sha256: str

    def to_dict(self) -> dict[str, str | int]:
        """JSON-safe form, as stored with the file (`components.file_info`) and passed in page jobs."""
        return {
            "file_type": str(self.file_type),
            "page_count": self.page_count,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FileInfo:
        """The inverse of `to_dict`; raises ValueError (or KeyError) on anything else."""
        file_type, page_count, size_bytes = data["file_type"], data["page_count"], data["size_bytes"]
        sha256 = data["sha256"]
        if not (
            isinstance(file_type, str)
            and isinstance(page_count, int)
            and isinstance(size_bytes, int)
            and isinstance(sha256, str)
        ):
            raise ValueError(f"not a stored FileInfo: {dict(data)!r}")
        return cls(FileType(file_type), page_count, size_bytes, sha256)


_EXTENSIONS: dict[str, FileType] = {
    "jpg": FileType.JPEG,
    "jpeg": FileType.JPEG,
    "jpe": FileType.JPEG,
    "png": FileType.PNG,
    "tif": FileType.TIFF,
    "tiff": FileType.TIFF,
    "pdf": FileType.PDF,
    "heic": FileType.HEIC,
    "heif": FileType.HEIC,
    "webp": FileType.WEBP,
}

_TYPE_NAMES: dict[FileType, str] = {
    FileType.PDF: "PDF",
    FileType.JPEG: "JPEG",
    FileType.PNG: "PNG",
    FileType.TIFF: "TIFF",
    FileType.HEIC: "HEIC",
    FileType.WEBP: "WebP",
}

# Pillow's name of each image type's decoder (`Image.open(..., formats=[...])`).
_PIL_FORMATS: dict[FileType, str] = {
    FileType.JPEG: "JPEG",
    FileType.PNG: "PNG",
    FileType.TIFF: "TIFF",
    FileType.HEIC: heif.PIL_FORMAT,
    FileType.WEBP: "WEBP",
}
# The ISO base media brands of a HEIF still image coded in HEVC (AVIF shares the container
# but not the codec, and stays refused). `mif1`/`msf1` are generic: the compatible brands decide.
_HEIC_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx")
_GENERIC_HEIF_BRANDS = (b"mif1", b"msf1")


def pil_format(file_type: FileType) -> str:
    """Pillow's decoder name for an image type (never PDF)."""
    return _PIL_FORMATS[file_type]


def type_name(file_type: FileType) -> str:
    """The type as a clerk knows it: "JPEG", "HEIC", ..."""
    return _TYPE_NAMES[file_type]


# --- type sniffing ---------------------------------------------------------------------


def sniff_type(data: bytes) -> FileType | None:
    """The accepted type named by the magic bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return FileType.JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileType.PNG
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):  # classic and BigTIFF
        return FileType.TIFF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return FileType.WEBP
    if _is_heic(data):
        return FileType.HEIC
    if b"%PDF-" in data[:_PDF_HEADER_WINDOW]:
        return FileType.PDF
    return None


def _is_heic(data: bytes) -> bool:
    """An ISO `ftyp` box naming a HEVC-coded HEIF brand, as major or compatible brand."""
    if data[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(data[0:4], "big")
    major = data[8:12]
    if major in _HEIC_BRANDS:
        return True
    if major not in _GENERIC_HEIF_BRANDS or not 16 <= box_size <= 256:
        return False
    compatible = data[16:box_size]
    return any(compatible[i : i + 4] in _HEIC_BRANDS for i in range(0, len(compatible) - 3, 4))


# (test, what the clerk is told the file looks like); first match wins.
_LOOKALIKES: list[tuple[Callable[[bytes], bool], str]] = [
    (lambda d: d.startswith(b"PK\x03\x04") and b"word/" in d[:4096], "tài liệu Word (DOCX)"),
    (lambda d: d.startswith(b"PK\x03\x04") and b"xl/" in d[:4096], "bảng tính Excel (XLSX)"),
    (lambda d: d.startswith((b"PK\x03\x04", b"PK\x05\x06")), "tệp nén ZIP"),
    (lambda d: d.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), "tài liệu Word/Excel cũ (DOC/XLS)"),
    (lambda d: d.startswith((b"Rar!", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b")), "tệp nén (RAR/7z/GZIP)"),
    (lambda d: d.startswith((b"GIF87a", b"GIF89a")), "ảnh GIF"),
    (lambda d: d.startswith(b"BM"), "ảnh BMP"),
    (lambda d: d[4:8] == b"ftyp" and (d[8:12] in (b"avif", b"avis") or b"avif" in d[16:64]), "ảnh AVIF"),
    (lambda d: d[4:8] == b"ftyp" and d[8:12] in _GENERIC_HEIF_BRANDS, "ảnh HEIF không phải HEVC"),
    (lambda d: d[4:8] == b"ftyp", "tệp video/âm thanh"),
    (lambda d: d.startswith((b"\x00\x00\x00\x0cjP  ", b"\xff\x4f\xff\x51")), "ảnh JPEG 2000"),
    (lambda d: d.startswith(b"8BPS"), "tệp Photoshop (PSD)"),
    (lambda d: d.startswith((b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")), "tệp chương trình (EXE)"),
    (lambda d: d.startswith(b"{\\rtf"), "tài liệu RTF"),
    (lambda d: _looks_like_markup(d), "trang web HTML/XML"),
    (lambda d: _looks_like_text(d), "tệp văn bản thuần (TXT)"),
]


def _looks_like_markup(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype", b"<html", b"<?xml", b"<svg", b"<head", b"<body"))


def _looks_like_text(data: bytes) -> bool:
    head = data[:4096]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the window's edge
            return False
        text = head[: exc.start].decode("utf-8")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return bool(text) and printable / len(text) > 0.95


def _describe_unknown(data: bytes) -> str:
    for test, name in _LOOKALIKES:
        if test(data):
            return name
    return "không nhận ra định dạng"


# --- helpers ---------------------------------------------------------------------------


def _format_size(n: int) -> str:
    mb = 1024 * 1024
    if n >= mb:
        return f"{n / mb:.0f} MB" if n >= 10 * mb else f"{n / mb:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} byte"


def _extension_type(filename: str | None) -> FileType | None:
    if not filename:
        return None
    base = re.split(r"[\\/]", filename)[-1]
    if "." not in base:
        return None
    return _EXTENSIONS.get(base.rsplit(".", 1)[1].strip().lower())


def _refuse(code: ErrorCode, detail: str = "") -> NoReturn:
    raise InputRefused(code, detail)


@contextmanager
def decoder_errors(what: str) -> Iterator[None]:
    """Any exception from a decoder means the file is damaged: refuse it as CORRUPT_FILE."""
    try:
        yield
    except InputRefused:
        raise
    except Image.DecompressionBombError:
        _refuse(ErrorCode.IMAGE_TOO_LARGE, f"{what}: kích thước ảnh vượt giới hạn")
    except MemoryError:
        _refuse(ErrorCode.IMAGE_TOO_LARGE, f"{what}: không đủ bộ nhớ để mở")
    except Exception as exc:  # noqa: BLE001 - trust boundary: decoders raise anything
        _refuse(ErrorCode.CORRUPT_FILE, f"{what} không đọc được: {type(exc).__name__}")


def pdf_pixels(points: float, dpi: int) -> int:
    """Pixels along a side of `points` at `dpi`, exactly as pypdfium2's render sizes it."""
    return math.ceil(points * dpi / 72)


# --- the check -------------------------------------------------------------------------


def preflight(data: bytes, filename: str | None, limits: InputLimits, *, pdf_dpi: int = DEFAULT_PDF_DPI) -> FileInfo:
    """Check `data` against `limits`; raise `InputRefused` with a stable code if unreadable.

    `filename` (optional) is only used to catch a mislabelled extension.
    """
    if not data:
        _refuse(ErrorCode.FILE_EMPTY)
    if len(data) > limits.max_bytes:
        _refuse(ErrorCode.FILE_TOO_LARGE, f"{_format_size(len(data))} > {_format_size(limits.max_bytes)}")
    file_type = sniff_type(data)
    if file_type is None:
        _refuse(ErrorCode.UNSUPPORTED_TYPE, _describe_unknown(data))
    named = _extension_type(filename)
    if named is not None and named != file_type:
        _refuse(
            ErrorCode.TYPE_MISMATCH,
            f"tên tệp là {_TYPE_NAMES[named]} nhưng nội dung là {_TYPE_NAMES[file_type]}",
        )
    if file_type is FileType.PDF:
        pages = _check_pdf(data, limits, pdf_dpi)
    else:
        pages = _check_image(data, file_type, limits)
    return FileInfo(file_type, pages, len(data), hashlib.sha256(data).hexdigest())


# --- PDF -------------------------------------------------------------------------------


def open_pdf(data: bytes) -> pdfium.PdfDocument:
    """Open with PDFium, mapping load failures to refusal codes. Caller holds PDFIUM_LOCK.

    Loads through the raw API: pypdfium2's constructor refuses a zero-page document
    with a stale error code (PDFium's last error is not reset on success).
    """
    try:
        raw = pdfium_c.FPDF_LoadMemDocument64(data, len(data), None)
    except Exception as exc:  # noqa: BLE001 - trust boundary
        _refuse(ErrorCode.CORRUPT_FILE, f"PDF không đọc được: {type(exc).__name__}")
    if not raw:
        if pdfium_c.FPDF_GetLastError() in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            _refuse(ErrorCode.ENCRYPTED_PDF)
        _refuse(ErrorCode.CORRUPT_FILE, "cấu trúc PDF không hợp lệ")
    doc = pdfium.PdfDocument(raw)
    doc._data_holder.append(data)  # PDFium reads `data` lazily: keep it alive with the document
    if len(doc) < 1:
        doc.close()
        _refuse(ErrorCode.NO_PAGES)
    return doc


def _check_pdf(data: bytes, limits: InputLimits, dpi: int) -> int:
    if b"%%EOF" not in data[-_PDF_EOF_WINDOW:]:
        _refuse(ErrorCode.CORRUPT_FILE, "tệp PDF bị cắt cụt, thiếu phần cuối")
    with PDFIUM_LOCK:
        doc = open_pdf(data)
        try:
            with decoder_errors("PDF"):
                count = len(doc)
                if count > limits.max_pages:
                    _refuse(ErrorCode.TOO_MANY_PAGES, f"{count} trang > {limits.max_pages} trang")
                for index in range(count):
                    # Page sizes come from the page tree; no content stream is parsed.
                    width, height = doc.get_page_size(index)
                    _check_pdf_page_size(index, width, height, limits, dpi)
        finally:
            doc.close()
    return count


def _check_pdf_page_size(index: int, width: float, height: float, limits: InputLimits, dpi: int) -> None:
    if not (width > 0 and height > 0):
        _refuse(ErrorCode.CORRUPT_FILE, f"trang {index + 1} có kích thước không hợp lệ")
    if max(width, height) > limits.max_pdf_page_points:
        _refuse(
            ErrorCode.IMAGE_TOO_LARGE,
            f"trang {index + 1}: {width / 72 * 2.54:.0f} x {height / 72 * 2.54:.0f} cm",
        )
    pixels = pdf_pixels(width, dpi) * pdf_pixels(height, dpi)
    if pixels > limits.max_page_pixels:
        _refuse(ErrorCode.IMAGE_TOO_LARGE, f"trang {index + 1}: {pixels / 1e6:.0f} triệu điểm ảnh ở {dpi} dpi")


# --- images ----------------------------------------------------------------------------


def _check_image(data: bytes, file_type: FileType, limits: InputLimits) -> int:
    what = _TYPE_NAMES[file_type]
    with decoder_errors(what):
        # Image.open reads the header only; pixels are decoded later (or never). A HEIC or
        # WebP holding several pictures (a burst, an animation) is one page: its first
        # (HEIC: primary) picture, the one every photo viewer shows.
        with Image.open(io.BytesIO(data), formats=[pil_format(file_type)]) as im:
            frames = getattr(im, "n_frames", 1) if file_type is FileType.TIFF else 1
            if frames < 1:
                _refuse(ErrorCode.NO_PAGES)
            if frames > limits.max_pages:
                _refuse(ErrorCode.TOO_MANY_PAGES, f"{frames} trang > {limits.max_pages} trang")
            for index in range(frames):
                if index:
                    im.seek(index)
                _check_image_size(im.size, index, frames, limits)
        preview = _verify_image(data, file_type, frames)
    if preview is not None:
        spread = find_spread(preview)
        if spread is not None:
            _refuse(ErrorCode.TWO_PAGES_IN_PHOTO, spread.describe())
    return frames


def _check_image_size(size: tuple[int, int], index: int, frames: int, limits: InputLimits) -> None:
    width, height = size
    where = f"trang {index + 1}: " if frames > 1 else ""
    if width * height > limits.max_page_pixels:
        _refuse(
            ErrorCode.IMAGE_TOO_LARGE,
            f"{where}{width} x {height} điểm ảnh, tối đa {limits.max_page_pixels / 1e6:.0f} triệu",
        )
    if min(width, height) < limits.min_page_side:
        _refuse(ErrorCode.IMAGE_TOO_SMALL, f"{where}{width} x {height} điểm ảnh")


_PREVIEW_LONG_SIDE = 400  # a photo's preview is at least this long (JPEG: else 1/8 scale)


def _verify_image(data: bytes, file_type: FileType, frames: int) -> np.ndarray | None:
    """Prove the pixel data is complete without paying for a full-resolution decode where
    the format allows it. Photo types (JPEG, HEIC, WebP) give back the decoded picture,
    small, grey and upright (EXIF applied), for the photo checks; scans give None."""
    if file_type is FileType.JPEG:
        # DCT-domain 1/8 scale decode: reads every entropy-coded byte, so truncation
        # raises, at a fraction of the cost and memory of a full decode.
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as im:
            scale = max(1 / 8, min(1.0, _PREVIEW_LONG_SIDE / max(im.size)))
            im.draft("L", (max(1, int(im.width * scale)), max(1, int(im.height * scale))))
            im.load()
            return _upright_grey(im)
    if file_type in (FileType.HEIC, FileType.WEBP):
        # Neither has a reduced decode: the whole picture is decoded once (a 12 Mpx HEIC
        # in a few hundred ms), which also proves it complete.
        with Image.open(io.BytesIO(data), formats=[pil_format(file_type)]) as im:
            im.load()
            return _upright_grey(im)
    if file_type is FileType.PNG:
        # verify() walks every chunk to IEND checking CRCs (needs a fresh image).
        with Image.open(io.BytesIO(data), formats=["PNG"]) as im:
            im.verify()
    else:
        _verify_tiff_extents(data, frames)
    return None


def _upright_grey(im: Image.Image) -> np.ndarray:
    """The picture as the camera meant it (EXIF orientation applied), grey, long side <= 1024."""
    upright = ImageOps.exif_transpose(im) if im.getexif().get(0x0112, 1) != 1 else im
    grey = upright.convert("L")
    if max(grey.size) > 1024:
        grey.thumbnail((1024, 1024), Image.Resampling.BILINEAR)
    return np.asarray(grey)


_TIFF_DATA_TAGS = ((273, 279), (324, 325))  # (StripOffsets, StripByteCounts), tiles


def _verify_tiff_extents(data: bytes, frames: int) -> None:
    """Every strip/tile of every frame must lie inside the file (catches truncation)."""
    with Image.open(io.BytesIO(data), formats=["TIFF"]) as im:
        for index in range(frames):
            im.seek(index)
            tags = im.tag_v2  # type: ignore[attr-defined]
            found = False
            for offsets_tag, counts_tag in _TIFF_DATA_TAGS:
                offsets, counts = tags.get(offsets_tag), tags.get(counts_tag)
                if offsets is None or counts is None:
                    continue
                found = True
                offsets = offsets if isinstance(offsets, tuple) else (offsets,)
                counts = counts if isinstance(counts, tuple) else (counts,)
                if len(offsets) != len(counts) or any(o + c > len(data) for o, c in zip(offsets, counts, strict=True)):
                    _refuse(ErrorCode.CORRUPT_FILE, f"TIFF trang {index + 1} bị cắt cụt")
            if not found:
                _refuse(ErrorCode.CORRUPT_FILE, f"TIFF trang {index + 1} không có dữ liệu ảnh")
