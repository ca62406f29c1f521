"""Phone photos through the intake: HEIC/WebP accepted, EXIF orientation honoured wherever
pixels are read, and a photo of two pages side by side refused (a single page never is)."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from models.document import PageText, TextSource
from models.errors import ErrorCode
from pipeline.config import InputLimits, ReadingConfig
from pipeline.errors import InputRefused
from pipeline.output.package import page_jpeg, searchable_pdf
from pipeline.pages import heif
from pipeline.pages.preflight import FileType, preflight, sniff_type
from pipeline.pages.quality.load import load_pages
from pipeline.pages.sources import page_source
from pipeline.pages.thumbnail import page_thumbnail
from samples.generate import generate_document
from samples.photos import (
    encode_photo,
    landscape_certificate,
    photograph,
    photographed_page,
    sideways_page,
    two_page_spread,
)

LIMITS = InputLimits()
CONFIG = ReadingConfig()


@pytest.fixture(scope="module")
def upright() -> Image.Image:
    """A đơn photographed on a desk, upright, at half the phone's size (keeps HEIC encoding quick)."""
    doc = generate_document("don", "clean", 11)
    photo = photograph(doc.pages[0], 11, "test")
    return photo.resize((photo.width // 2, photo.height // 2), Image.Resampling.LANCZOS)


def _grey(image: np.ndarray | Image.Image, size: tuple[int, int] = (96, 128)) -> np.ndarray:
    arr = np.asarray(image.convert("RGB"))[..., ::-1] if isinstance(image, Image.Image) else image
    return cv2.resize(cv2.cvtColor(np.ascontiguousarray(arr), cv2.COLOR_BGR2GRAY), size, interpolation=cv2.INTER_AREA)


def _difference(a: np.ndarray | Image.Image, b: np.ndarray | Image.Image) -> float:
    return float(np.abs(_grey(a).astype(np.float32) - _grey(b).astype(np.float32)).mean())


def _assert_upright(got: np.ndarray | Image.Image | None, upright: Image.Image) -> None:
    """`got` is the upright picture (a lossy copy of it), not a turned or mirrored one."""
    assert got is not None
    h, w = got.shape[:2] if isinstance(got, np.ndarray) else got.size[::-1]
    assert (w > h) == (upright.width > upright.height), (w, h, upright.size)
    same = _difference(got, upright)
    turned = _difference(got, upright.transpose(Image.Transpose.ROTATE_180))
    assert same < 8 and turned > 3 * same, (same, turned)


# --- accepted types --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "file_type", "filename"),
    [("heic", FileType.HEIC, "IMG_0042.HEIC"), ("heic", FileType.HEIC, "anh.heif"), ("webp", FileType.WEBP, "a.webp")],
)
def test_heic_and_webp_are_accepted_with_their_type_and_size(upright, fmt, file_type, filename) -> None:
    data = encode_photo(upright, fmt)
    assert sniff_type(data) is file_type
    info = preflight(data, filename, LIMITS)
    assert (info.file_type, info.page_count, info.size_bytes) == (file_type, 1, len(data))
    page = page_source(data, info, CONFIG, 0)
    assert (page.width, page.height) == upright.size
    _assert_upright(page.image, upright)


def test_a_heic_named_jpg_is_a_type_mismatch(upright) -> None:
    with pytest.raises(InputRefused) as caught:
        preflight(encode_photo(upright, "heic"), "anh.jpg", LIMITS)
    assert caught.value.code is ErrorCode.TYPE_MISMATCH
    assert "HEIC" in caught.value.detail


def test_heic_and_webp_keep_the_pixel_limits(upright) -> None:
    small = InputLimits(max_page_pixels=upright.width * upright.height - 1)
    for fmt in ("heic", "webp"):
        with pytest.raises(InputRefused) as caught:
            preflight(encode_photo(upright, fmt), None, small)
        assert caught.value.code is ErrorCode.IMAGE_TOO_LARGE


@pytest.mark.parametrize("fmt", ["heic", "webp"])
def test_damaged_heic_and_webp_are_corrupt_files(upright, fmt) -> None:
    data = encode_photo(upright, fmt)
    for damaged in (data[: len(data) // 2], data[:40], data[: len(data) - 200]):
        with pytest.raises(InputRefused) as caught:
            preflight(damaged, None, LIMITS)
        assert caught.value.code is ErrorCode.CORRUPT_FILE, len(damaged)


def test_avif_is_still_refused_by_name() -> None:
    stub = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(64)
    with pytest.raises(InputRefused) as caught:
        preflight(stub, None, LIMITS)
    assert caught.value.code is ErrorCode.UNSUPPORTED_TYPE
    assert "AVIF" in caught.value.detail


def test_a_heic_holding_several_pictures_is_one_page_its_primary_picture(upright) -> None:
    """A burst or bracketed HEIC is one photo: the picture every viewer shows, not extra pages."""
    import pillow_heif

    other = upright.transpose(Image.Transpose.ROTATE_180)
    container = pillow_heif.HeifFile()
    container.add_from_pillow(upright)
    container.add_from_pillow(other)
    buf = io.BytesIO()
    container.save(buf, quality=85)
    data = buf.getvalue()
    heif.register()
    assert Image.open(io.BytesIO(data)).n_frames == 2  # type: ignore[attr-defined]
    info = preflight(data, "burst.heic", LIMITS)
    assert info.page_count == 1
    _assert_upright(page_source(data, info, CONFIG, 0).image, upright)


# --- EXIF orientation ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jpeg", "webp", "heic"])
@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_turned_photos_come_out_upright_everywhere(upright, fmt, orientation) -> None:
    data = encode_photo(upright, fmt, orientation)
    stored = Image.open(io.BytesIO(data))
    if fmt != "heic":  # libheif applies the turn itself; JPEG/WebP store the pixels turned
        assert (stored.width > stored.height) != (upright.width > upright.height) or orientation == 3
    info = preflight(data, None, LIMITS)
    page = page_source(data, info, CONFIG, 0)
    assert (page.width, page.height) == upright.size
    _assert_upright(page.image, upright)
    thumbnail = cv2.imdecode(np.frombuffer(page_thumbnail(data, info, 0), np.uint8), cv2.IMREAD_COLOR)
    _assert_upright(thumbnail, upright)
    (work,) = load_pages(data, info)  # the quality check's picture
    _assert_upright(work.image, upright)
    shown = cv2.imdecode(np.frombuffer(page_jpeg(data, info, 0, CONFIG), np.uint8), cv2.IMREAD_COLOR)
    _assert_upright(shown, upright)


@pytest.mark.parametrize("fmt", ["webp", "heic"])
def test_the_package_pdf_of_a_photo_holds_the_upright_page(upright, fmt) -> None:
    import pypdfium2 as pdfium

    data = encode_photo(upright, fmt, 6)
    info = preflight(data, None, LIMITS)
    text = PageText(0, upright.width, upright.height, TextSource.OCR)
    pdf = pdfium.PdfDocument(searchable_pdf(data, info, [text], CONFIG))
    try:
        bitmap = pdf[0].render(scale=1.0)
        rendered = bitmap.to_numpy()[..., :3].copy()
    finally:
        pdf.close()
    _assert_upright(rendered, upright)


# --- two pages side by side ------------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "fmt", "orientation"),
    [("booklet", "jpeg", 1), ("booklet", "heic", 6), ("sheets", "webp", 8), ("sheets", "jpeg", 6)],
)
def test_two_pages_side_by_side_are_refused(style, fmt, orientation) -> None:
    spec = two_page_spread(7, style=style, fmt=fmt, orientation=orientation)
    with pytest.raises(InputRefused) as caught:
        preflight(spec.data, spec.name, LIMITS)
    err = caught.value
    assert err.code is ErrorCode.TWO_PAGES_IN_PHOTO
    assert "hai trang" in err.message_vi and "khe tối" in err.detail


def _on_dark_table(page: Image.Image) -> bytes:
    """One portrait page in the middle of a landscape photo of a near-black table."""
    table = np.random.default_rng(3).normal(28, 6, (1200, 1600, 3)).clip(0, 255).astype(np.uint8)
    small = np.asarray(page.convert("RGB").resize((760, 1075), Image.Resampling.LANCZOS))
    table[60:1135, 420:1180] = small
    buf = io.BytesIO()
    Image.fromarray(table).save(buf, format="JPEG", quality=88)
    return buf.getvalue()


@pytest.mark.parametrize(
    "subject",
    ["portrait_photo", "sideways_page", "landscape_certificate", "id_card_photo", "plain_scan", "dark_table"],
)
def test_a_single_page_is_never_refused_as_two(upright, subject) -> None:
    if subject == "portrait_photo":
        data = encode_photo(upright, "jpeg", 6)
    elif subject == "sideways_page":
        data = sideways_page("ct01", 5).data
    elif subject == "landscape_certificate":
        data = landscape_certificate(5, orientation=8).data
    elif subject == "id_card_photo":
        data = generate_document("cccd_front", "photo", 5).page_files[0]
    elif subject == "plain_scan":
        data = generate_document("quyet_dinh", "scanned", 5).page_files[0]
    else:
        data = _on_dark_table(generate_document("don", "clean", 5).pages[0])
    info = preflight(data, None, LIMITS)
    assert info.page_count == 1


# --- reading a photo -------------------------------------------------------------------


@pytest.mark.ocr
def test_a_photographed_heic_page_is_read(page_reader) -> None:
    """The real reading engines on an iPhone-style HEIC (turned by its EXIF): the printed words come back."""
    spec = photographed_page("don", 21, fmt="heic", orientation=6)
    info = preflight(spec.data, spec.name, LIMITS)
    page = page_source(spec.data, info, CONFIG, 0)
    result = page_reader.read(page.image)
    text = " ".join(line.text for line in result.lines)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    words = spec.words[:30]
    found = [w for w in words if w in text]
    assert len(found) >= 0.6 * len(words), sorted(set(words) - set(found))
