"""Accepted bytes become pages: upright BGR images, or exact NFC lines from a PDF text layer."""

from __future__ import annotations

import math
import unicodedata

import numpy as np
import pypdfium2 as pdfium
import pytest
from fpdf import FPDF
from PIL import Image

from pipeline.config import InputLimits, ReadingConfig
from pipeline.pages.preflight import preflight
from pipeline.pages.sources import PageSource, iter_pages, render_pdf_page, text_layer_usable
from tests import fixtures_files as ff

CONFIG = ReadingConfig()
A4_300DPI = (math.ceil(595.28 * 300 / 72), math.ceil(841.89 * 300 / 72))  # (2481, 3508)


def pages_of(data: bytes, name: str | None = None) -> list[PageSource]:
    return list(iter_pages(data, preflight(data, name, InputLimits()), CONFIG))


def dark_share(image: np.ndarray, box: tuple[int, int, int, int]) -> float:
    x0, y0, x1, y1 = box
    return float((image[y0:y1, x0:x1].min(axis=2) < 128).mean())


# --- images ----------------------------------------------------------------------------


def test_jpeg_one_page_bgr() -> None:
    im = Image.new("RGB", (120, 80), (255, 0, 0))  # pure red
    (page,) = pages_of(ff.image_bytes(im, "JPEG", quality=95, dpi=(300, 300)))
    assert (page.index, page.width, page.height, page.text_lines) == (0, 120, 80, None)
    assert page.image is not None and page.image.dtype == np.uint8 and page.image.shape == (80, 120, 3)
    b, g, r = page.image[40, 60]
    assert r > 240 and b < 20 and g < 20  # BGR order
    assert page.dpi == pytest.approx(300)


def test_exif_rotated_jpeg_comes_out_upright() -> None:
    # Stored sideways: 200 wide x 100 tall, left half black. Orientation 6 = "rotate 90 CW
    # to display", so the upright page is 100 x 200 with the black half on top.
    im = Image.new("RGB", (200, 100), "white")
    im.paste((0, 0, 0), (0, 0, 100, 100))
    exif = Image.Exif()
    exif[0x0112] = 6
    (page,) = pages_of(ff.image_bytes(im, "JPEG", exif=exif.tobytes(), quality=95))
    assert (page.width, page.height) == (100, 200)
    assert page.image is not None
    assert page.image[:100].mean() < 30 and page.image[100:].mean() > 225


def test_png_without_dpi_has_none() -> None:
    (page,) = pages_of(ff.small_png())
    assert page.dpi is None


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [
        ("L", "PNG"),
        ("1", "PNG"),
        ("P", "PNG"),
        ("RGBA", "PNG"),
        ("LA", "PNG"),
        ("CMYK", "JPEG"),
        ("CMYK", "TIFF"),
        ("I;16", "PNG"),
    ],
)
def test_modes_convert_to_bgr(mode: str, fmt: str) -> None:
    base = ff.page_picture(200, 150)
    im = (
        base.convert(mode) if mode != "I;16" else Image.fromarray(np.asarray(base.convert("L")).astype(np.uint16) * 257)
    )
    (page,) = pages_of(ff.image_bytes(im, fmt))
    assert page.image is not None and page.image.shape == (150, 200, 3) and page.image.dtype == np.uint8
    assert page.image[5, 5].min() > 200  # white paper stays white
    assert page.image[20, 50].max() < 60  # the black bar stays black (not clipped or inverted)


def test_transparent_png_composited_on_white() -> None:
    im = Image.new("RGBA", (100, 100), (0, 0, 0, 0))  # fully transparent black
    im.paste((0, 0, 255, 255), (0, 0, 50, 100))  # opaque blue left half
    (page,) = pages_of(ff.image_bytes(im, "PNG"))
    assert page.image is not None
    assert page.image[50, 75].tolist() == [255, 255, 255]
    assert page.image[50, 25].tolist() == [255, 0, 0]  # blue in BGR


def test_multipage_tiff_every_frame() -> None:
    sizes = [(200, 300), (300, 200), (250, 260)]
    pages = pages_of(ff.multipage_tiff(sizes))
    assert [(p.index, p.width, p.height) for p in pages] == [(i, w, h) for i, (w, h) in enumerate(sizes)]
    assert all(p.image is not None and p.image.shape == (p.height, p.width, 3) for p in pages)


# --- PDF text layer --------------------------------------------------------------------


def test_born_digital_vietnamese_exact_nfc_lines_with_true_boxes() -> None:
    data = ff.text_pdf([[ff.TITLE, ff.NAME_LINE, "Ngày sinh: 01/02/1990"]])
    (page,) = pages_of(data)
    assert page.image is None and page.dpi == 300
    assert (page.width, page.height) == A4_300DPI
    assert page.text_lines is not None
    assert [ln.text for ln in page.text_lines] == [ff.TITLE, ff.NAME_LINE, "Ngày sinh: 01/02/1990"]
    assert all(unicodedata.is_normalized("NFC", ln.text) and ln.confidence == 1.0 for ln in page.text_lines)

    raster = render_pdf_page(data, 0, 300)
    assert raster.shape == (page.height, page.width, 3)
    tops = [ln.box[1] for ln in page.text_lines]
    assert tops == sorted(tops)
    for line in page.text_lines:
        x0, y0, x1, y1 = line.box
        assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height
        assert 30 < y1 - y0 < 80  # 12 pt at 300 dpi is 50 px
        assert dark_share(raster, line.box) > 0.05
        # Blank just after the line's end (inner band: loose boxes of stacked lines overlap).
        band = (y0 + (y1 - y0) // 3, y1 - (y1 - y0) // 3)
        assert dark_share(raster, (x1 + 5, band[0], x1 + 300, band[1])) == 0.0


def test_decomposed_text_comes_out_nfc() -> None:
    nfd = unicodedata.normalize("NFD", ff.NAME_LINE)
    assert nfd != ff.NAME_LINE
    (page,) = pages_of(ff.text_pdf([[nfd, "Đơn đề nghị cấp bản sao"]]))
    assert page.text_lines is not None
    assert page.text_lines[0].text == ff.NAME_LINE


def test_columns_on_one_row_become_two_lines_left_to_right() -> None:
    pdf = FPDF()
    pdf.add_font("vn", "", ff.vietnamese_font())
    pdf.set_font("vn", size=12)
    pdf.add_page()
    pdf.text(150, 30, "Giới tính: Nữ")  # written first, but on the right
    pdf.text(20, 30, "Ngày sinh: 01/02/1990")
    pdf.text(20, 40, "Quốc tịch: Việt Nam")
    (page,) = pages_of(bytes(pdf.output()))
    assert [ln.text for ln in page.text_lines or []] == [
        "Ngày sinh: 01/02/1990",
        "Giới tính: Nữ",
        "Quốc tịch: Việt Nam",
    ]


def test_scanned_pdf_rasterized_at_300_dpi() -> None:
    (page,) = pages_of(ff.scan_pdf())
    assert page.text_lines is None and page.dpi == 300
    assert page.image is not None and page.image.dtype == np.uint8
    assert page.image.shape == (A4_300DPI[1], A4_300DPI[0], 3) == (page.height, page.width, 3)
    # The picture's black bar (at 10% of width/height) is where the picture put it.
    assert page.image[int(page.height * 0.1) + 5, int(page.width * 0.2)].max() < 60


def test_pdf_raster_is_bgr() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.image(Image.new("RGB", (100, 100), (255, 0, 0)), x=0, y=0, w=pdf.w, h=pdf.h)
    (page,) = pages_of(bytes(pdf.output()))
    assert page.image is not None
    assert page.image[page.height // 2, page.width // 2].tolist() == [0, 0, 255]


def test_invisible_ocr_layer_is_treated_as_scan() -> None:
    (page,) = pages_of(ff.scan_pdf(invisible_text="Văn bản nhận dạng sẵn của người khác"))
    assert page.text_lines is None and page.image is not None


def test_text_hidden_under_the_page_picture_is_treated_as_scan() -> None:
    pdf = FPDF()
    pdf.add_font("vn", "", ff.vietnamese_font())
    pdf.set_font("vn", size=12)
    pdf.add_page()
    for _ in range(30):  # plenty of text, but painted first...
        pdf.cell(text=ff.NAME_LINE, new_x="LMARGIN", new_y="NEXT")
    pdf.image(ff.page_picture(), x=0, y=0, w=pdf.w, h=pdf.h)  # ...then covered by the scan
    (page,) = pages_of(bytes(pdf.output()))
    assert page.text_lines is None and page.image is not None


def test_scan_with_a_little_visible_text_is_treated_as_scan() -> None:
    (page,) = pages_of(ff.scan_pdf(visible_text="Scanned with CamScanner - Trang 1/3"))
    assert page.text_lines is None and page.image is not None


def test_typed_page_with_a_logo_reads_text_layer() -> None:
    pdf = FPDF()
    pdf.add_font("vn", "", ff.vietnamese_font())
    pdf.set_font("vn", size=12)
    pdf.add_page()
    pdf.image(ff.page_picture(200, 200), x=10, y=10, w=30, h=30)
    pdf.set_xy(10, 50)
    pdf.cell(text=ff.NAME_LINE)
    (page,) = pages_of(bytes(pdf.output()))
    assert [ln.text for ln in page.text_lines or []] == [ff.NAME_LINE]


def test_mixed_pdf_page_by_page() -> None:
    pages = pages_of(ff.mixed_pdf())
    assert [p.image is None for p in pages] == [True, False, True]
    assert [ln.text for ln in pages[0].text_lines or []] == [ff.TITLE, ff.NAME_LINE]
    assert pages[1].text_lines is None
    assert [ln.text for ln in pages[2].text_lines or []] == ["Trang ba: Độc lập - Tự do - Hạnh phúc"]


def test_rotated_page_text_and_raster_agree() -> None:
    text = "Quyết định số 123/QĐ-UBND"
    data = ff.landscape_rotated_pdf(text)
    (page,) = pages_of(data)
    assert (page.width, page.height) == (A4_300DPI[1], A4_300DPI[0])  # displayed landscape
    (line,) = page.text_lines or []
    assert line.text == text
    x0, y0, x1, y1 = line.box
    assert x1 - x0 > 5 * (y1 - y0)  # reads left to right on the displayed page
    raster = render_pdf_page(data, 0, 300)
    assert raster.shape == (page.height, page.width, 3)
    assert dark_share(raster, line.box) > 0.05


def test_cropbox_offset_moves_boxes_with_the_raster() -> None:
    doc = pdfium.PdfDocument(ff.text_pdf([[ff.TITLE, ff.NAME_LINE]]))
    doc[0].set_cropbox(50, 400, 545, 842)  # cut the left margin and the bottom half
    data = ff.save_pdf(doc)
    (page,) = pages_of(data)
    assert (page.width, page.height) == (math.ceil(495 * 300 / 72), math.ceil(442 * 300 / 72))
    raster = render_pdf_page(data, 0, 300)
    for line in page.text_lines or []:
        assert dark_share(raster, line.box) > 0.05
    assert page.text_lines and page.text_lines[0].box[0] < 200  # moved left with the crop


def test_filled_form_annotation_page_is_rasterized() -> None:
    pdf = FPDF()
    pdf.add_font("vn", "", ff.vietnamese_font())
    pdf.set_font("vn", size=12)
    pdf.add_page()
    pdf.cell(text="Họ và tên người khai: ..............................")
    pdf.free_text_annotation("Trần Văn Bình", x=90, y=10, w=60, h=10)
    (page,) = pages_of(bytes(pdf.output()))
    assert page.text_lines is None and page.image is not None


def test_render_pdf_page_bad_index() -> None:
    with pytest.raises(IndexError):
        render_pdf_page(ff.text_pdf([["a"]]), 3, 72)


# --- text-layer trust ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "usable"),
    [
        (ff.TITLE + " " + ff.NAME_LINE, True),
        ("Ngày 12/3", True),  # 8 real characters: just enough
        ("Trang 1", False),  # 6: too few to be a text page
        ("(cid:12)(cid:34)(cid:56)(cid:78)", False),
        ("Nguy\ufffdn Th\ufffd Ph\ufffd\ufffdng", False),
        ("\ue001\ue002\ue003\ue004\ue005\ue006\ue007 ab", False),
        (" Mục 1: hồ sơ gồm các giấy tờ sau đây, bản sao có chứng thực", True),  # one PUA bullet
        ("Céng hßa x· héi chñ nghÜa ViÖt Nam", False),  # TCVN3 (.VnTime) read as Latin-1
        ("COÄNG HOØA XAÕ HOÄI CHUÛ NGHÓA VIEÄT NAM", False),  # VNI
    ],
)
def test_text_layer_usable(text: str, usable: bool) -> None:
    assert text_layer_usable(text, 0, CONFIG.pdf_min_text_chars) is usable


def test_unmapped_glyphs_make_layer_unusable() -> None:
    assert not text_layer_usable("x" * 100, 10, 8)


def test_legacy_encoded_pdf_page_is_ocred() -> None:
    (page,) = pages_of(ff.text_pdf([["Céng hßa x· héi chñ nghÜa ViÖt Nam", "§éc lËp - Tù do - H¹nh phóc"]]))
    assert page.text_lines is None and page.image is not None


# --- speed -----------------------------------------------------------------------------


def test_many_born_digital_pages_are_read_from_the_text_layer() -> None:
    # Speed is measured in benchmarks/throughput.py, not asserted here.
    body = [f"Dòng {i}: Độc lập - Tự do - Hạnh phúc, số điện thoại 0912 345 678" for i in range(55)]
    data = ff.text_pdf([[ff.TITLE, *body]] * 20)
    info = preflight(data, None, InputLimits())
    pages = list(iter_pages(data, info, CONFIG))
    assert len(pages) == 20
    assert all(p.image is None and len(p.text_lines or []) == 56 for p in pages)
