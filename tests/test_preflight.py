"""Preflight refuses every class of bad input with a stable code and a Vietnamese message."""

from __future__ import annotations

import hashlib
import io
import random
import zipfile

import pytest
from PIL import Image

from models.errors import ErrorCode
from pipeline.config import InputLimits, ReadingConfig
from pipeline.errors import InputRefused
from pipeline.pages.preflight import FileInfo, FileType, preflight, sniff_type
from pipeline.pages.sources import iter_pages
from tests import fixtures_files as ff

LIMITS = InputLimits()
VIETNAMESE_MARKS = set("ăâđêôơưàáảãạệếốộớờợửữựỏọ")


def refused(data: bytes, filename: str | None = None, limits: InputLimits = LIMITS) -> InputRefused:
    with pytest.raises(InputRefused) as caught:
        preflight(data, filename, limits)
    err = caught.value
    assert err.message_vi and VIETNAMESE_MARKS & set(err.message_vi.lower()), err.message_vi
    return err


# --- accepted --------------------------------------------------------------------------


def test_accepts_pdf_and_reports_info() -> None:
    data = ff.text_pdf([[ff.TITLE], [ff.NAME_LINE]])
    info = preflight(data, "to_khai.pdf", LIMITS)
    assert info == FileInfo(FileType.PDF, 2, len(data), hashlib.sha256(data).hexdigest())


@pytest.mark.parametrize(
    ("data", "name", "file_type"),
    [
        (ff.small_jpeg(), "anh.JPG", FileType.JPEG),
        (ff.small_jpeg(), "anh.jpe", FileType.JPEG),
        (ff.small_png(), "C:\\Users\\scan.PNG", FileType.PNG),
        (ff.multipage_tiff([(200, 300)]), "a.tif", FileType.TIFF),
        (ff.small_png(), None, FileType.PNG),  # no name: go by content
        (ff.small_png(), "tep_tai_ve", FileType.PNG),  # no extension
        (ff.small_jpeg(), "anh.dat", FileType.JPEG),  # unknown extension: go by content
    ],
)
def test_accepts_images(data: bytes, name: str | None, file_type: FileType) -> None:
    info = preflight(data, name, LIMITS)
    assert info.file_type is file_type and info.page_count == 1


def test_sniff_type() -> None:
    assert sniff_type(ff.small_jpeg()) is FileType.JPEG
    assert sniff_type(ff.small_png()) is FileType.PNG
    assert sniff_type(ff.multipage_tiff([(100, 100)])) is FileType.TIFF
    assert sniff_type(b"junk\n%PDF-1.7\n") is FileType.PDF  # header after a little junk
    assert sniff_type(b"GIF89a....") is None


# --- size and type ---------------------------------------------------------------------


def test_empty() -> None:
    assert refused(b"").code is ErrorCode.FILE_EMPTY


def test_too_large() -> None:
    err = refused(ff.small_jpeg(), limits=InputLimits(max_bytes=1000))
    assert err.code is ErrorCode.FILE_TOO_LARGE
    assert "> 1000 byte" in err.detail


def test_too_large_detail_in_mb() -> None:
    err = refused(b"\0" * (3 * 1024 * 1024), limits=InputLimits(max_bytes=2 * 1024 * 1024))
    assert err.detail == "3.0 MB > 2.0 MB"


def _zip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in names:
            z.writestr(name, "<xml/>")
    return buf.getvalue()


def _pil(fmt: str) -> bytes:
    return ff.image_bytes(Image.new("RGB", (100, 100), "white"), fmt)


@pytest.mark.parametrize(
    ("data", "looks_like"),
    [
        (random.Random(1).randbytes(5000), "không nhận ra"),
        ("<!DOCTYPE html><html><body>Xin chào</body></html>".encode(), "HTML"),
        ("Đơn xin cấp giấy khai sinh\nHọ và tên: Nguyễn Văn A\n".encode(), "văn bản"),
        (_zip(["[Content_Types].xml", "word/document.xml"]), "DOCX"),
        (_zip(["a.txt"]), "ZIP"),
        (_pil("GIF"), "GIF"),
        (_pil("BMP"), "BMP"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(64), "AVIF"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200), "EXE"),
        (b"\x7fELF\x02\x01\x01" + bytes(200), "EXE"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "DOC"),
    ],
)
def test_unsupported_types_named(data: bytes, looks_like: str) -> None:
    err = refused(data, "upload.bin")
    assert err.code is ErrorCode.UNSUPPORTED_TYPE
    assert looks_like in err.detail
    assert "PDF, JPEG, PNG, TIFF, HEIC, WebP" in err.message_vi


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (ff.small_jpeg(), "giay_to.pdf"),
        (ff.small_png(), "scan.JPG"),
        (ff.text_pdf([["x"]]), "scan.tiff"),
        (ff.multipage_tiff([(100, 100)]), "a.png"),
    ],
)
def test_extension_mismatch(data: bytes, name: str) -> None:
    err = refused(data, name)
    assert err.code is ErrorCode.TYPE_MISMATCH
    assert "nhưng nội dung là" in err.detail


# --- PDF -------------------------------------------------------------------------------


def test_truncated_pdf() -> None:
    data = ff.text_pdf([[ff.TITLE]] * 3)
    for cut in (len(data) // 2, len(data) - 20, 200):
        assert refused(data[:cut]).code is ErrorCode.CORRUPT_FILE


def test_pdf_garbage_after_header() -> None:
    data = b"%PDF-1.4\n" + random.Random(2).randbytes(4000) + b"\n%%EOF\n"
    assert refused(data).code is ErrorCode.CORRUPT_FILE


def test_encrypted_pdf_with_user_password_refused() -> None:
    err = refused(ff.encrypted_pdf(user_password="1234"))
    assert err.code is ErrorCode.ENCRYPTED_PDF
    assert "mật khẩu" in err.message_vi


def test_owner_password_only_pdf_accepted_and_readable() -> None:
    data = ff.encrypted_pdf(user_password=None)
    info = preflight(data, "a.pdf", LIMITS)
    pages = list(iter_pages(data, info, ReadingConfig()))
    assert [line.text for line in pages[0].text_lines or []] == [ff.TITLE, ff.NAME_LINE]


def test_zero_page_pdf() -> None:
    assert refused(ff.zero_page_pdf()).code is ErrorCode.NO_PAGES


def test_too_many_pdf_pages() -> None:
    err = refused(ff.text_pdf([["a"]] * 5), limits=InputLimits(max_pages=3))
    assert err.code is ErrorCode.TOO_MANY_PAGES
    assert "5" in err.detail


@pytest.mark.parametrize("size", [(6000.0, 800.0), (3000.0, 3000.0)])
def test_pdf_page_too_large(size: tuple[float, float]) -> None:
    # 6000 pt side > 5000 pt; 3000 pt square is 12500^2 = 156 MP at 300 dpi > 60 MP.
    assert refused(ff.pdf_with_page_size(*size)).code is ErrorCode.IMAGE_TOO_LARGE


# --- images ----------------------------------------------------------------------------


def test_truncated_images_are_never_silently_padded() -> None:
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_truncated_jpeg() -> None:
    data = ff.image_bytes(ff.page_picture(600, 800), "JPEG", quality=90)
    for cut in (len(data) // 2, len(data) - 100):
        assert refused(data[:cut]).code is ErrorCode.CORRUPT_FILE


def test_truncated_png() -> None:
    data = ff.small_png()
    for cut in (len(data) // 2, len(data) - 5):
        assert refused(data[:cut]).code is ErrorCode.CORRUPT_FILE


def test_truncated_tiff() -> None:
    data = ff.multipage_tiff([(300, 300), (300, 300)])
    assert refused(data[: len(data) * 2 // 3]).code is ErrorCode.CORRUPT_FILE


@pytest.mark.parametrize("side", [30000, 12000])
def test_decompression_bomb_png_refused_from_header(side: int) -> None:
    # 30000^2 also trips PIL's own bomb guard; 12000^2 = 144 MP is caught by our limit.
    data = ff.png_header_only(side, side)
    assert len(data) < 200
    err = refused(data)
    assert err.code is ErrorCode.IMAGE_TOO_LARGE


def test_real_bomb_png_refused_without_decoding() -> None:
    # A real, valid 9000 x 9000 1-bit PNG (81 MP > 60 MP) is only ~10 KB.
    data = ff.image_bytes(Image.new("1", (9000, 9000), 0), "PNG")
    assert len(data) < 100_000
    assert refused(data).code is ErrorCode.IMAGE_TOO_LARGE


def test_image_too_small() -> None:
    err = refused(ff.image_bytes(Image.new("RGB", (40, 300), "white"), "PNG"))
    assert err.code is ErrorCode.IMAGE_TOO_SMALL
    assert "40 x 300" in err.detail


def test_multipage_tiff_counted_and_limited() -> None:
    data = ff.multipage_tiff([(200, 300), (300, 200), (250, 250)])
    assert preflight(data, "ho_so.tiff", LIMITS).page_count == 3
    assert refused(data, limits=InputLimits(max_pages=2)).code is ErrorCode.TOO_MANY_PAGES


def test_tiff_frame_sizes_each_checked() -> None:
    data = ff.multipage_tiff([(200, 300), (30, 300)])
    assert refused(data).code is ErrorCode.IMAGE_TOO_SMALL


# --- fuzz ------------------------------------------------------------------------------


def _mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    kind = rng.randrange(4)
    if kind == 0:  # flip bytes
        for _ in range(rng.randint(1, 20)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    elif kind == 1:  # truncate
        del buf[rng.randrange(1, len(buf)) :]
    elif kind == 2:  # insert junk
        pos = rng.randrange(len(buf))
        buf[pos:pos] = rng.randbytes(rng.randint(1, 64))
    else:  # overwrite a run (hits headers, IHDR, xref)
        pos = rng.randrange(min(len(buf), 256))
        buf[pos : pos + 8] = rng.randbytes(8)
    return bytes(buf)


@pytest.mark.parametrize("source", ["jpeg", "png", "pdf", "tiff"])
def test_fuzz_only_refusal_or_success(source: str) -> None:
    valid = {
        "jpeg": ff.small_jpeg,
        "png": ff.small_png,
        "pdf": lambda: ff.text_pdf([[ff.TITLE, ff.NAME_LINE], ["Trang 2"]]),
        "tiff": lambda: ff.multipage_tiff([(100, 120), (120, 100)]),
    }[source]()
    rng = random.Random(f"fuzz-{source}")
    config = ReadingConfig()
    outcomes = {"ok": 0, "refused": 0}
    for _ in range(200):
        data = _mutate(valid, rng)
        try:
            info = preflight(data, None, LIMITS)
            for page in iter_pages(data, info, config):
                assert page.image is not None or page.text_lines is not None
            outcomes["ok"] += 1
        except InputRefused as err:
            assert err.message_vi
            outcomes["refused"] += 1
    assert outcomes["refused"] > 0


def test_random_bytes_with_magic_prefixes() -> None:
    rng = random.Random(7)
    prefixes = [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*", b"%PDF-1.4\n"]
    for i in range(100):
        data = prefixes[i % len(prefixes)] + rng.randbytes(rng.randint(0, 3000))
        with pytest.raises(InputRefused):
            preflight(data, None, LIMITS)
