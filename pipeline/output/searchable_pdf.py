"""Searchable PDFs: each page shows the scan, and the OCR'd lines lie over it as invisible text.

This is what OCRmyPDF does: text render mode 3 (neither filled nor stroked) leaves the
page looking exactly like the scan, while viewers can still search, select and copy
the text. Each line is sized and stretched so that its selection highlight covers the
line's box on the image.

Pure: bytes in, bytes out; the only file read is the TrueType font.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from io import BytesIO
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import OutputIntentSubType, TextMode
from fpdf.fonts import TTFFont
from fpdf.output import PDFICCProfile
from fpdf.util import builtin_srgb2014_bytes
from PIL import Image, ImageOps

from models.document import PageText, TextLine
from pipeline.text import nfc

DEFAULT_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
PRODUCER = "Số Hóa"
# fpdf2 stamps the current time by default, and derives the file /ID from the content and
# that date: a fixed date keeps the bytes (and so the hashes in manifests) stable.
FIXED_CREATION_DATE = datetime(2000, 1, 1, tzinfo=UTC)

PDFAID_NS = "http://www.aiim.org/pdfa/ns/id/"

_FONT_NAME = "ocr-layer"
_EXIF_ORIENTATION = 0x0112
# Below this (degrees) the tilt moves the end of a 2000 px line by under 2 px: not worth
# a rotated text matrix.
_MIN_SKEW = 0.05
# Only ever changed to make the layer visible when checking its placement by eye.
_TEXT_MODE = TextMode.INVISIBLE


@dataclass(frozen=True, slots=True)
class PageImage:
    image: bytes  # encoded PNG or JPEG of the page as read (pixel size == text.width x text.height)
    text: PageText  # lines with pixel boxes on that image
    dpi: float = 300.0  # sizes the PDF page: width_pt = width_px * 72 / dpi


def build_searchable_pdf(
    pages: Sequence[PageImage],
    *,
    title: str | None = None,
    font_path: Path | None = None,
    created: datetime = FIXED_CREATION_DATE,
    pdfa: bool = True,
) -> bytes:
    """One PDF page per `PageImage`: the image filling the page, the lines as invisible text;
    with `pdfa`, a PDF/A-2b (sRGB output intent, XMP identification; pipeline/output/pdfa.py).

    The same input gives the same bytes: `created` (timezone-aware) is the only date
    written, fixed unless given. Raises ValueError for no pages, a non-positive dpi or an
    image whose size is not the page's; FileNotFoundError if the font is missing.
    """
    if not pages:
        raise ValueError("a searchable PDF needs at least one page")
    font = Path(font_path) if font_path is not None else DEFAULT_FONT
    if not font.is_file():
        raise FileNotFoundError(
            f"TrueType font for the PDF text layer not found: {font} "
            "(install the Debian package fonts-dejavu-core, or pass font_path)"
        )
    pdf = FPDF(unit="pt")
    pdf.set_creation_date(created)
    pdf.set_producer(PRODUCER)
    pdf.set_creator(PRODUCER)
    if title:
        pdf.set_title(nfc(title))
    pdf.set_lang("vi")
    if pdfa:
        _make_pdfa(pdf, nfc(title) if title else None, created)
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    # A Unicode TrueType font (embedded as a subset): the core PDF fonts are Latin-1 and
    # cannot encode ư, ơ, đ or the stacked tone marks.
    pdf.add_font(_FONT_NAME, fname=str(font))
    pdf.set_font(_FONT_NAME)
    ttf = pdf.current_font
    assert isinstance(ttf, TTFFont)  # the TrueType file just added, never a core font
    desc = ttf.desc
    # Viewers draw a selection (and PDFium's loose char boxes run) from the font's descent
    # to its ascent: sizing the font so that this span equals the box height makes the
    # highlight cover the box. For DejaVuSans, size = 0.86 x box height.
    em_height = (desc.ascent - desc.descent) / 1000
    descent = desc.descent / 1000  # negative: below the baseline
    for page in pages:
        _add_page(pdf, page, em_height, descent)
    return bytes(pdf.output())


def _make_pdfa(pdf: FPDF, title: str | None, created: datetime) -> None:
    """PDF/A-2b by hand rather than fpdf2's `enforce_compliance`, which drops the document
    information dictionary (viewers show its title) and dates its XMP with the current time
    (the bytes would change on every build). The XMP repeats the information dictionary, as
    PDF/A requires; the output intent carries the ICC's own sRGB profile, shipped with fpdf2."""
    pdf.add_output_intent(
        OutputIntentSubType.PDFA,
        output_condition_identifier="sRGB",
        output_condition="IEC 61966-2-1:1999",
        registry_name="http://www.color.org",
        dest_output_profile=PDFICCProfile(contents=builtin_srgb2014_bytes(), n=3, alternate="DeviceRGB"),
        info="sRGB2014 (v2)",
    )
    pdf.set_xmp_metadata(pdfa_xmp(title, created))


def _xml(text: str) -> str:
    return escape(text, quote=True)


def pdfa_xmp(title: str | None, created: datetime) -> str:
    """The XMP packet body of a PDF/A-2b made here: pdfaid part 2 conformance B, and the same
    title, producer, creator and dates as the information dictionary."""
    when = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    described = (
        f'  <rdf:Description rdf:about="" xmlns:pdfaid="{PDFAID_NS}">\n'
        "   <pdfaid:part>2</pdfaid:part>\n   <pdfaid:conformance>B</pdfaid:conformance>\n"
        "  </rdf:Description>\n"
        '  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/"'
        f' pdf:Producer="{_xml(PRODUCER)}"/>\n'
        '  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
        f' xmp:CreatorTool="{_xml(PRODUCER)}" xmp:CreateDate="{when}" xmp:ModifyDate="{when}"'
        f' xmp:MetadataDate="{when}"/>\n'
    )
    if title:
        described += (
            '  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
            f'   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{_xml(title)}</rdf:li></rdf:Alt></dc:title>\n'
            "  </rdf:Description>\n"
        )
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f"{described} </rdf:RDF>\n</x:xmpmeta>"
    )


def _add_page(pdf: FPDF, page: PageImage, em_height: float, descent: float) -> None:
    if not page.dpi > 0:
        raise ValueError(f"page {page.text.index}: dpi must be positive, got {page.dpi}")
    width, height = page.text.width, page.text.height
    image = _embeddable(page.image, (width, height), page.text.index)
    pt_per_px = 72.0 / page.dpi
    pdf.add_page(format=(width * pt_per_px, height * pt_per_px))
    pdf.image(image, x=0, y=0, w=pdf.w, h=pdf.h)
    pdf.text_mode = _TEXT_MODE
    for line in page.text.lines:
        _add_line(pdf, line, page.text, pt_per_px, em_height, descent)


def _embeddable(data: bytes, size: tuple[int, int], index: int) -> bytes | Image.Image:
    """The bytes themselves where possible: fpdf2 copies a JPEG's bytes as they are (DCTDecode)."""
    image: Image.Image = Image.open(BytesIO(data))  # reads the header only
    if image.getexif().get(_EXIF_ORIENTATION, 1) != 1:
        # The pipeline reads such a photo turned upright (pipeline.pages.sources), so the boxes are
        # on the turned picture; PDF viewers ignore EXIF. Embed the turned pixels (losslessly
        # re-encoded: the one case where a JPEG's own bytes are not kept).
        image = ImageOps.exif_transpose(image)
        embedded: bytes | Image.Image = image
    else:
        embedded = data
    if image.size != size:
        got, want = "x".join(map(str, image.size)), "x".join(map(str, size))
        raise ValueError(f"page {index}: the image is {got} px but the text boxes are on {want} px")
    return embedded


def _add_line(pdf: FPDF, line: TextLine, page: PageText, pt_per_px: float, em_height: float, descent: float) -> None:
    text = nfc(line.text)  # NFC, so that searching for "Hường" as typed finds it
    x0, y0, x1, y1 = line.box
    x0, x1 = min(max(x0, 0), page.width), min(max(x1, 0), page.width)
    y0, y1 = min(max(y0, 0), page.height), min(max(y1, 0), page.height)
    if not text or x1 <= x0 or y1 <= y0:
        return
    # Boxes are axis-aligned round a line sloping by the page's skew: a line of length L
    # and height h gives W = L cos + h |sin| and H = L |sin| + h cos. Solve for h (at least
    # a third of the box, where a line's own slope disagrees with the page's), then L.
    box_w, box_h, skew = x1 - x0, y1 - y0, page.skew_degrees
    sin, cos = abs(math.sin(math.radians(skew))), math.cos(math.radians(skew))
    text_h = max((box_h * cos - box_w * sin) / (cos * cos - sin * sin), box_h / 3)
    text_w = max((box_w - text_h * sin) / cos, 1.0)
    size = text_h * pt_per_px / em_height
    cx, cy = (x0 + x1) / 2 * pt_per_px, (y0 + y1) / 2 * pt_per_px
    left = cx - text_w * pt_per_px / 2
    baseline = cy + text_h * pt_per_px / 2 + descent * size  # y grows downwards in fpdf2
    # A local graphics state per line: its font size, stretching (Tz) and any rotation end
    # with it. fpdf2's rotation is counter-clockwise; the skew is clockwise.
    context = pdf.rotation(-skew, cx, cy) if abs(skew) >= _MIN_SKEW else pdf.local_context()
    with context:
        pdf.set_font(_FONT_NAME, size=size)
        natural = pdf.get_string_width(text)  # stretching is back at 100 % between lines
        if natural <= 0:
            return
        # Horizontal scaling (Tz) rather than char spacing: it scales every glyph and gap
        # alike, so each word lands where it is on the image, not just the line's ends.
        pdf.set_stretching(100 * text_w * pt_per_px / natural)
        pdf.text(left, baseline, text)
