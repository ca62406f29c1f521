"""Searchable PDFs: the scan as it is, the OCR'd lines findable and selectable where they are.

Pages are drawn here with PIL and the DejaVuSans font at known places, so every box is
known exactly; the PDFs are read back with PDFium (what the pipeline itself reads and
renders with) and pdfplumber (a second, independent parser).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO

import numpy as np
import pdfplumber
import pypdfium2 as pdfium
import pytest
from fpdf.enums import TextMode
from PIL import Image, ImageDraw, ImageFont

from models.document import Box, PageText, TextLine, TextSource
from pipeline.output import searchable_pdf
from pipeline.output.searchable_pdf import DEFAULT_FONT, PageImage, build_searchable_pdf

pytestmark = pytest.mark.skipif(not DEFAULT_FONT.is_file(), reason="needs the fonts-dejavu-core package")

DPI = 300.0
PX_PER_PT = DPI / 72
FONT_PX = 40
NAME = "Họ và tên: NGUYỄN THỊ HƯỜNG"
ADDRESS = "Nơi thường trú: Phường Hoàn Kiếm, Hà Nội"
BIRTH = "Ngày sinh: 05/09/1987"
# Text-layer lines over blank paper: nothing on the image, so anything drawn there shows.
GHOST = TextLine("Ghi chú: chữ ẩn ở đây", (150, 470, 950, 530), 0.5)
GHOST_2 = TextLine("Số định danh: 001187012345", (150, 650, 1000, 710), 0.5)


@dataclass
class Drawn:
    page: PageImage
    image: Image.Image  # the pixels as a reader decodes them
    words: list[tuple[str, Box]]  # every drawn word with its own pixel box


def _font(size: int = FONT_PX) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(DEFAULT_FONT), size)


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buf = BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def _draw_page(
    index: int,
    size: tuple[int, int],
    texts: list[tuple[tuple[int, int], str]],
    extra_lines: tuple[TextLine, ...] = (),
    fmt: str = "PNG",
) -> Drawn:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = _font()
    lines, words = [], []
    for (x, y), text in texts:
        draw.text((x, y), text, font=font, fill="black")
        box = draw.textbbox((x, y), text, font=font)
        lines.append(TextLine(text, box, 0.95))
        # A word spans the advance of its prefix to the advance of prefix + word.
        prefix = ""
        for word in text.split(" "):
            x0, x1 = x + draw.textlength(prefix, font=font), x + draw.textlength(prefix + word, font=font)
            words.append((word, (round(x0), box[1], round(x1), box[3])))
            prefix += word + " "
    data = _encode(image, fmt, quality=85) if fmt == "JPEG" else _encode(image, fmt)
    text = PageText(index, size[0], size[1], TextSource.OCR, lines + list(extra_lines))
    return Drawn(PageImage(data, text, DPI), Image.open(BytesIO(data)).convert("RGB"), words)


@pytest.fixture(scope="module")
def two_pages() -> list[Drawn]:
    return [
        _draw_page(0, (1654, 600), [((100, 100), NAME), ((100, 200), ADDRESS)], extra_lines=(GHOST,)),
        _draw_page(1, (1240, 900), [((80, 300), BIRTH), ((80, 420), ADDRESS)], extra_lines=(GHOST_2,)),
    ]


@pytest.fixture(scope="module")
def two_page_pdf(two_pages) -> bytes:
    return build_searchable_pdf([d.page for d in two_pages], title="Tờ khai đăng ký thường trú")


def _render(pdf: bytes, index: int = 0) -> np.ndarray:
    """The page rendered at DPI, as grey pixels (same grid as the page image)."""
    doc = pdfium.PdfDocument(pdf)
    try:
        return np.asarray(doc[index].render(scale=DPI / 72).to_pil().convert("L"), dtype=np.int16)
    finally:
        doc.close()


def _same_grid(rendered: np.ndarray, original: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PDFium rounds the bitmap size up: 120 pt at 300 dpi can come out 501 px wide."""
    assert all(0 <= r - o <= 1 for r, o in zip(rendered.shape, original.shape, strict=True))
    h, w = original.shape
    return rendered[:h, :w], original


def _grey(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.int16)


def _chars(pdf: bytes, index: int = 0) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Each character with PDFium's loose box (the selection rectangle) in image pixels."""
    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[index]
        height_pt = page.get_size()[1]
        textpage = page.get_textpage()
        out = []
        for i in range(textpage.count_chars()):
            char = textpage.get_text_range(i, 1)
            if char.isspace():
                continue
            left, bottom, right, top = textpage.get_charbox(i, loose=True)
            px = (left * PX_PER_PT, (height_pt - top) * PX_PER_PT, right * PX_PER_PT, (height_pt - bottom) * PX_PER_PT)
            out.append((char, px))
        return out
    finally:
        doc.close()


def _page_text(pdf: bytes, index: int) -> str:
    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[index].get_textpage().get_text_range()
    finally:
        doc.close()


def test_every_line_is_in_the_text_layer_exactly(two_pages, two_page_pdf):
    doc = pdfium.PdfDocument(two_page_pdf)
    assert len(doc) == 2
    for index, drawn in enumerate(two_pages):
        width_pt, height_pt = doc[index].get_size()
        assert width_pt == pytest.approx(drawn.page.text.width * 72 / DPI, abs=0.01)
        assert height_pt == pytest.approx(drawn.page.text.height * 72 / DPI, abs=0.01)
        extracted = _page_text(two_page_pdf, index).split("\r\n")
        assert extracted == [line.text for line in drawn.page.text.lines]  # tone marks and all
        assert all(unicodedata.is_normalized("NFC", line) for line in extracted)
    doc.close()


def test_decomposed_text_is_written_as_nfc():
    decomposed = unicodedata.normalize("NFD", NAME)
    assert decomposed != NAME
    drawn = _draw_page(0, (1000, 300), [])
    text = PageText(0, 1000, 300, TextSource.OCR, [TextLine(decomposed, (100, 100, 743, 150), 0.9)])
    pdf = build_searchable_pdf([PageImage(drawn.page.image, text, DPI)])
    assert _page_text(pdf, 0) == NAME


@pytest.mark.parametrize("index", [0, 1])
def test_words_lie_on_their_boxes(two_pages, two_page_pdf, index):
    drawn = two_pages[index]
    tol = 3.0  # pixels: rounding, and the side bearings at the ends of a line's ink box
    with pdfplumber.open(BytesIO(two_page_pdf)) as pdf:
        found = [
            (w["text"], tuple(w[k] * PX_PER_PT for k in ("x0", "top", "x1", "bottom")))
            for w in pdf.pages[index].extract_words()
        ]
    ghost = drawn.page.text.lines[-1]
    drawn_words = drawn.words + [(word, ghost.box) for word in ghost.text.split(" ")]
    assert [w for w, _ in found] == [w for w, _ in drawn_words]
    for (word, got), (_, want) in zip(found, drawn_words, strict=True):
        if want is ghost.box:  # not drawn: the word need only lie inside its line's box
            assert want[0] - tol <= got[0] < got[2] <= want[2] + tol, word
        else:
            assert got[0] == pytest.approx(want[0], abs=tol), word
            assert got[2] == pytest.approx(want[2], abs=tol), word
        assert want[1] - tol <= got[1] < got[3] <= want[3] + tol, word


def test_selection_covers_the_line_box(two_pages, two_page_pdf):
    # Loose boxes run from the font's descent to its ascent, as a viewer's highlight does.
    chars = _chars(two_page_pdf, 0)
    for line in two_pages[0].page.text.lines[:2]:  # the drawn ones
        x0, y0, x1, y1 = line.box
        line_chars, chars = chars[: len(line.text.replace(" ", ""))], chars[len(line.text.replace(" ", "")) :]
        assert "".join(c for c, _ in line_chars) == line.text.replace(" ", "")
        boxes = np.array([b for _, b in line_chars])
        # Ascent to descent is the box; only capitals with stacked marks (Ễ) reach above.
        assert np.median(boxes[:, 1]) == pytest.approx(y0, abs=1.0)
        assert boxes[:, 1].min() >= y0 - 0.2 * FONT_PX
        assert boxes[:, 3] == pytest.approx(y1, abs=1.0)
        assert (boxes[:, 0] >= x0 - 1).all() and (boxes[:, 2] <= x1 + 1).all()
        assert line_chars[0][1][0] == pytest.approx(x0, abs=1.0)
        assert line_chars[-1][1][2] == pytest.approx(x1, abs=1.0)


@pytest.mark.parametrize("index", [0, 1])
def test_text_layer_is_invisible(two_pages, two_page_pdf, index):
    drawn = two_pages[index]
    rendered, original = _same_grid(_render(two_page_pdf, index), _grey(drawn.image))
    assert np.abs(rendered - original).mean() < 1.0
    x0, y0, x1, y1 = drawn.page.text.lines[-1].box  # the ghost line over blank paper
    assert rendered[y0:y1, x0:x1].min() >= 250


def test_the_blank_region_check_would_see_visible_text(two_pages, monkeypatch):
    # The control for the test above: the same layer drawn visibly darkens the ghost's box.
    monkeypatch.setattr(searchable_pdf, "_TEXT_MODE", TextMode.FILL)
    pdf = build_searchable_pdf([two_pages[0].page])
    x0, y0, x1, y1 = GHOST.box
    assert (_render(pdf)[y0:y1, x0:x1] < 128).sum() > 500


def test_jpeg_is_embedded_without_recompression():
    drawn = _draw_page(0, (1240, 500), [((100, 100), NAME)], fmt="JPEG")
    pdf = build_searchable_pdf([drawn.page])
    assert drawn.page.image[:2] == b"\xff\xd8"
    assert drawn.page.image in pdf
    assert b"/DCTDecode" in pdf
    rendered, original = _same_grid(_render(pdf), _grey(drawn.image))
    assert np.abs(rendered - original).mean() < 2.0
    assert _page_text(pdf, 0) == NAME


def test_exif_rotated_jpeg_is_embedded_upright():
    # The pipeline reads photos turned by their EXIF orientation, and puts boxes on that.
    upright = _draw_page(0, (500, 800), [((40, 100), BIRTH)])
    stored = upright.image.transpose(Image.Transpose.ROTATE_90)  # orientation 6 turns it back
    exif = Image.Exif()
    exif[0x0112] = 6
    data = _encode(stored, "JPEG", quality=95, exif=exif)
    pdf = build_searchable_pdf([PageImage(data, upright.page.text, DPI)])
    rendered, original = _same_grid(_render(pdf), _grey(upright.image))
    assert np.abs(rendered - original).mean() < 2.0  # embedded as stored, it would be smeared sideways
    assert _page_text(pdf, 0) == BIRTH


def test_output_is_byte_identical_and_dated_fixed(two_pages, two_page_pdf):
    again = build_searchable_pdf([d.page for d in two_pages], title="Tờ khai đăng ký thường trú")
    assert again == two_page_pdf
    doc = pdfium.PdfDocument(two_page_pdf)
    meta = doc.get_metadata_dict()
    doc.close()
    assert meta["Title"] == "Tờ khai đăng ký thường trú"
    assert meta["Producer"] == meta["Creator"] == "Số Hóa"
    assert meta["CreationDate"] == "D:20000101000000Z"
    dated = build_searchable_pdf([two_pages[0].page], created=datetime(2025, 3, 14, 9, 30, tzinfo=UTC))
    assert b"D:20250314093000Z" in dated


def test_lines_are_clamped_to_the_page_and_empty_ones_skipped():
    drawn = _draw_page(0, (800, 300), [])
    lines = [
        TextLine("Quận Ba Đình", (600, -20, 1000, 60), 0.9),  # runs off the top and the right
        TextLine("   ", (100, 100, 400, 150), 0.9),
        TextLine("", (100, 160, 400, 210), 0.9),
        TextLine("ngoài trang", (900, 100, 1200, 150), 0.9),  # wholly off the page
    ]
    text = PageText(0, 800, 300, TextSource.OCR, lines)
    pdf = build_searchable_pdf([PageImage(drawn.page.image, text, DPI)])
    assert _page_text(pdf, 0) == "Quận Ba Đình"
    for _, (left, top, right, bottom) in _chars(pdf, 0):
        assert 600 - 1 <= left < right <= 800 + 1
        assert -1 <= top < bottom <= 60 + 1


def test_skewed_line_follows_its_slope():
    skew = 3.0
    size = (1654, 700)
    layer = Image.new("L", size, 0)
    ImageDraw.Draw(layer).text((200, 300), ADDRESS, font=_font(), fill=255)
    layer = layer.rotate(-skew, resample=Image.Resampling.BICUBIC, center=(200, 300))  # clockwise
    image = Image.composite(Image.new("RGB", size, "black"), Image.new("RGB", size, "white"), layer)
    box = layer.getbbox()
    assert box is not None
    text = PageText(0, *size, TextSource.OCR, [TextLine(ADDRESS, box, 0.9)], skew_degrees=skew)
    pdf = build_searchable_pdf([PageImage(_encode(image, "PNG"), text, DPI)])
    assert _page_text(pdf, 0) == ADDRESS
    chars = _chars(pdf, 0)
    tol = 0.2 * FONT_PX
    centres = np.array([((a + c) / 2, (b + d) / 2) for _, (a, b, c, d) in chars])
    for x, y in centres:
        assert box[0] - tol <= x <= box[2] + tol and box[1] - tol <= y <= box[3] + tol
    slope = np.polyfit(centres[:, 0], centres[:, 1], 1)[0]
    assert slope == pytest.approx(np.tan(np.radians(skew)), abs=0.01)  # descends to the right
    rendered, original = _same_grid(_render(pdf), _grey(image))
    assert np.abs(rendered - original).mean() < 1.0


def test_refuses_bad_input(tmp_path):
    drawn = _draw_page(0, (400, 200), [((10, 10), "Hà Nội")])
    with pytest.raises(ValueError):
        build_searchable_pdf([])
    wrong_size = PageText(0, 401, 200, TextSource.OCR, list(drawn.page.text.lines))
    with pytest.raises(ValueError, match="401x200"):
        build_searchable_pdf([PageImage(drawn.page.image, wrong_size, DPI)])
    with pytest.raises(ValueError, match="dpi"):
        build_searchable_pdf([PageImage(drawn.page.image, drawn.page.text, 0.0)])
    with pytest.raises(FileNotFoundError, match="fonts-dejavu-core"):
        build_searchable_pdf([drawn.page], font_path=tmp_path / "missing.ttf")
