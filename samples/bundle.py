"""One upload holding several documents of ONE person: a PDF of scanned (or photographed) pages.

    generate_bundle(parts, level, seed, *, handwriting=0.0) -> GeneratedDocument
    generate_document("bundle_card_form", level, seed)   # parts drawn from a few usual combinations

At a counter, a citizen's card and the form they filled in are often scanned in one go. Each
part is rendered as its own kind would be, for the same citizen, then degraded at `level`:
a card is scanned lying on the A4 glass (clean, scanned, hard) or photographed alone (photo);
a form fills its page. Every page image goes into one PDF, one image per page, the page size
being the image at 300 dpi (no text layer).

Truth: the usual per-page truth ("pages", merged "fields" with their page), plus
"parts" (the kinds in order) and "components": [{"kind", "pages": [i, ...], "font",
"fields": {name: {"value", "page", "box"}}, and the part's own extras: "qr_payload", "mrz",
"handwritten_fields"}], in page order.
"""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime

import numpy as np
from fpdf import FPDF
from PIL import Image, ImageDraw

from samples.canvas import A4_PX, Canvas
from samples.degrade import LEVELS, map_box
from samples.generate import (
    CARD_KINDS,
    GENERATOR,
    IMAGE_KINDS,
    GeneratedDocument,
    add_field_truth,
    base_truth,
    degrade_page,
    encode_jpeg,
    encode_png,
    page_truth,
    render_kind,
    sub_seed,
)
from samples.identity import CITY_ID_PROVINCES, Person, make_person, with_can_cuoc, with_old_cmnd
from samples.pdfdoc import SPECIMEN_NOTE

BUNDLE_FORMS = ("to_khai_khai_sinh", "don", "ct01", "giay_khai_sinh")
# Combinations a counter sees: chip CCCD + a form, căn cước + a form, a CCCD alone (both sides).
BUNDLE_COMBOS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("cccd_front", "cccd_back", "<form>"), 0.4),
    (("can_cuoc_front", "can_cuoc_back", "<form>"), 0.4),
    (("cccd_front", "cccd_back"), 0.2),
)
PARTABLE = tuple(k for k in IMAGE_KINDS if k not in ("cong_van", "quyet_dinh"))  # documents about a person
BUNDLE_BIRTHS = (1970, 2004)  # a card of either generation has an expiry; old enough to be a parent
_PT_PER_PX = 72 / 300
_FIXED_DATE = datetime(2025, 12, 5, 0, 0, 0, tzinfo=UTC)


def choose_parts(kind: str, seed: int) -> list[str]:
    rng = random.Random(sub_seed(seed, kind, "parts"))
    combos, weights = zip(*BUNDLE_COMBOS, strict=True)
    combo = rng.choices(combos, weights=weights)[0]
    return [rng.choice(BUNDLE_FORMS) if p == "<form>" else p for p in combo]


def _people(parts: list[str], seed: int) -> tuple[Person, Person]:
    """(holder of a chip CCCD, the same citizen after getting a căn cước).

    Cards of each generation show their own issue and expiry dates; forms use the newest card."""
    base = make_person(
        random.Random(sub_seed(seed, "bundle", "person")), birth_range=BUNDLE_BIRTHS, id_provinces=CITY_ID_PROVINCES
    )
    if "cmnd_front" in parts:
        base = with_old_cmnd(base, random.Random(sub_seed(seed, "bundle", "cmnd")))
    return base, with_can_cuoc(base, random.Random(sub_seed(seed, "bundle", "can_cuoc")))


def _card_on_glass(card: Canvas, rng: random.Random) -> Canvas:
    """A card lying on a flatbed scanner: the card at true size (300 dpi) on a white A4 page."""
    page = Canvas(*A4_PX)
    ox, oy = rng.randint(150, 700), rng.randint(150, 900)
    r = 36  # ID-1 corner radius, 3 mm
    mask = Image.new("L", card.image.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, card.width - 1, card.height - 1], radius=r, fill=255)
    ImageDraw.Draw(page.image).rounded_rectangle(
        [ox - 2, oy - 2, ox + card.width + 1, oy + card.height + 1], radius=r + 2, outline=(185, 185, 185), width=2
    )
    page.image.paste(card.image, (ox, oy), mask)

    def shift(b: list[int]) -> list[int]:
        return [b[0] + ox, b[1] + oy, b[2] + ox, b[3] + oy]

    for line in card.lines:
        page.lines.append({**line, "box": shift(line["box"])})
    for name, f in card.fields.items():
        page.fields[name] = {"value": f["value"], "box": shift(f["box"])}
    return page


def _pdf(pages: list[tuple[bytes, tuple[int, int]]], title: str) -> bytes:
    pdf = FPDF(unit="pt", format=(A4_PX[0] * _PT_PER_PX, A4_PX[1] * _PT_PER_PX))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title(title)
    pdf.set_subject(SPECIMEN_NOTE)
    pdf.set_keywords("specimen synthetic sohoa")
    pdf.set_author(GENERATOR)
    pdf.set_creator(GENERATOR)
    pdf.set_producer(f"{GENERATOR} (fpdf2)")
    pdf.set_creation_date(_FIXED_DATE)
    for data, (w, h) in pages:
        pdf.add_page(format=(w * _PT_PER_PX, h * _PT_PER_PX))
        pdf.image(io.BytesIO(data), x=0, y=0, w=pdf.w, h=pdf.h)
    return bytes(pdf.output())


def generate_bundle(
    parts: list[str], level: str, seed: int, *, handwriting: float = 0.0, kind: str = "bundle"
) -> GeneratedDocument:
    """Render `parts` (image kinds about one person) at `level` into one PDF of page images."""
    if not parts:
        raise ValueError("a bundle needs at least one part")
    bad = [p for p in parts if p not in PARTABLE]
    if bad:
        raise ValueError(f"not a document about a person: {bad}")
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    cccd_holder, can_cuoc_holder = _people(parts, seed)
    newest = can_cuoc_holder if any(p.startswith("can_cuoc") for p in parts) else cccd_holder
    place_rng = random.Random(sub_seed(seed, kind, "placement"))

    truth = base_truth(kind, level, seed, 0, "", {})
    truth["parts"] = list(parts)
    truth["components"] = []
    images: list[Image.Image] = []
    pdf_pages: list[tuple[bytes, tuple[int, int]]] = []
    for i, part in enumerate(parts):
        person = can_cuoc_holder if part.startswith("can_cuoc") else cccd_holder if part.startswith("cccd") else newest
        layout_rng = random.Random(sub_seed(seed, kind, i, part, "layout"))
        hand_rng = random.Random(sub_seed(seed, kind, i, part, "handwriting")) if handwriting else None
        rendered = render_kind(part, person, layout_rng, handwriting=handwriting, hand_rng=hand_rng)
        noise_rng = np.random.default_rng(sub_seed(seed, kind, i, part, level, "degrade"))
        card = part in CARD_KINDS
        component = {"kind": part, "pages": [], "font": rendered.font, "fields": {}, **rendered.extra}
        for canvas in rendered.pages:
            if card and level != "photo":
                canvas = _card_on_glass(canvas, place_rng)
            d, h = degrade_page(canvas, level, noise_rng, 0, card and level == "photo")
            w, hh = d.image.size
            mapper = lambda b, h=h, w=w, hh=hh: map_box(b, h, w, hh)  # noqa: E731 - bind per page
            data = encode_png(d.image) if d.jpeg_quality is None else encode_jpeg(d.image, d.jpeg_quality)
            index = len(images)
            images.append(Image.open(io.BytesIO(data)).convert("RGB"))
            pdf_pages.append((data, (w, hh)))
            truth["pages"].append(page_truth(canvas, index, mapper, (w, hh), False))
            add_field_truth(truth, canvas, index, mapper)
            component["pages"].append(index)
            for name, f in canvas.fields.items():
                component["fields"].setdefault(name, {"value": f["value"], "page": index, "box": mapper(f["box"])})
        truth["components"].append(component)
        for key in ("qr_payload", "mrz"):  # as a single card's truth has them (first card wins)
            if key in rendered.extra:
                truth.setdefault(key, rendered.extra[key])
    truth["font"] = truth["components"][0]["font"]
    pdf = _pdf(pdf_pages, "Hồ sơ scan (mẫu tổng hợp)")
    return GeneratedDocument(kind, level, seed, images, pdf, truth)


def generate_bundle_kind(kind: str, level: str, seed: int, *, handwriting: float = 0.0) -> GeneratedDocument:
    """The CLI / write_set kind `bundle_card_form`: parts chosen by a seeded rng."""
    return generate_bundle(choose_parts(kind, seed), level, seed, handwriting=handwriting, kind=kind)
