"""Public API and CLI of the synthetic sample generator.

    generate_document(kind, level, seed, orientation=0, handwriting=0.0, style="default") -> GeneratedDocument
    write_set(out_dir, kinds, levels, count_per_kind, seed, handwriting=0.0, style="default") -> manifest dict
    python -m samples.generate --out DIR --seed N --count K [--kinds a,b] [--levels clean,scanned]
        [--handwriting P] [--style alt]

`handwriting=P` (forms only: to_khai_khai_sinh, don, ct01, giay_khai_sinh) writes each filled-in
value by hand with probability P; 0 leaves every page exactly as without it. The kind
`bundle_card_form` is one PDF of scans holding several documents of one person (samples.bundle).

`style="alt"` draws the image kinds another way, for judging on documents the reader was not
tuned on: other type (samples.fonts.ALT_*_FAMILIES), other card backgrounds (colour bands,
rosettes, a line screen, a watermark: graphics.rosette), other print quality (ink spread,
halftone, low contrast: degrade.print_quality) and, on the chip CCCD front, the real 2021 card's
placement (values after their labels, expiry under the photo: cards.render_cccd_front_alt). Its
held-out seed ALT_HELD_OUT_SEED is never looked at while tuning. "default" is unchanged.

Same arguments -> byte-identical files: every random draw comes from generators seeded by a
hash of (seed, purpose); nothing reads global random state or the clock.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from samples.canvas import Canvas, Rendered
from samples.cards import render_cccd_back, render_cccd_front, render_cccd_front_alt, render_cmnd_front
from samples.congvan import render_cong_van
from samples.degrade import LEVELS, PRINTS, Degraded, degrade, map_box, orient, print_quality
from samples.fonts import STYLES
from samples.fonts import style as font_style
from samples.forms import render_ct01, render_don, render_giay_khai_sinh, render_to_khai_khai_sinh
from samples.idcards2024 import render_can_cuoc_back, render_can_cuoc_front
from samples.identity import CITY_ID_PROVINCES, Person, make_person, with_can_cuoc, with_old_cmnd
from samples.pdfdoc import SPECIMEN_NOTE, replay_raster, write_pdf

GENERATOR = "sohoa-samples/1"
IMAGE_KINDS = (
    "cccd_front",
    "cccd_back",
    "to_khai_khai_sinh",
    "don",
    "ct01",
    "cong_van",
    "can_cuoc_front",
    "can_cuoc_back",
    "cmnd_front",
    "giay_khai_sinh",
    "quyet_dinh",
)
PDF_KINDS = ("pdf_born_digital", "pdf_mixed")
BUNDLE_KINDS = ("bundle_card_form",)
KINDS = IMAGE_KINDS + PDF_KINDS + BUNDLE_KINDS
CARD_KINDS = ("cccd_front", "cccd_back", "can_cuoc_front", "can_cuoc_back", "cmnd_front")
HANDWRITING_KINDS = ("to_khai_khai_sinh", "don", "ct01", "giay_khai_sinh")  # citizen-filled values
PDF_FAMILY = "Liberation Serif"  # Times metrics, embedded as TrueType
# The "alt" style's seed for reported figures: never looked at while tuning (as HELD_OUT_SEED).
ALT_HELD_OUT_SEED = 52021
# Căn cước holders: born so that the card has an expiry (issued 2024-2026 before age 58).
CAN_CUOC_BIRTHS = (1970, 2008)
CMND_BIRTHS = (1960, 2000)

_RENDERERS: dict[str, Callable[[Person, random.Random], Rendered]] = {
    "cccd_front": render_cccd_front,
    "cccd_back": render_cccd_back,
    "to_khai_khai_sinh": render_to_khai_khai_sinh,
    "don": render_don,
    "ct01": render_ct01,
    "cong_van": lambda _person, rng: render_cong_van(rng, doc_type="cong_van"),
    "can_cuoc_front": render_can_cuoc_front,
    "can_cuoc_back": render_can_cuoc_back,
    "cmnd_front": render_cmnd_front,
    "giay_khai_sinh": render_giay_khai_sinh,
    "quyet_dinh": lambda _person, rng: render_cong_van(rng, doc_type="quyet_dinh"),
}


_ALT_RENDERERS: dict[str, Callable[[Person, random.Random], Rendered]] = {"cccd_front": render_cccd_front_alt}


@dataclass(slots=True)
class GeneratedDocument:
    kind: str
    level: str
    seed: int
    pages: list[Image.Image]  # what the files show (decoded), one per page
    pdf_bytes: bytes | None  # PDF kinds only
    truth: dict
    page_files: list[bytes] = field(default_factory=list)  # encoded PNG/JPEG per page (image kinds)

    @property
    def extension(self) -> str:
        if self.pdf_bytes is not None:
            return "pdf"
        return "png" if self.level == "clean" else "jpg"


def sub_seed(seed: int, *parts: object) -> int:
    """Independent 64-bit seed per purpose, stable across Python runs (no hash randomisation)."""
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def supported(kind: str, level: str) -> bool:
    if kind not in KINDS or level not in LEVELS:
        return False
    return level == "clean" if kind == "pdf_born_digital" else True


def encode_png(img: Image.Image) -> bytes:
    info = PngInfo()
    info.add_text("Comment", SPECIMEN_NOTE)
    info.add_text("Software", GENERATOR)
    buf = io.BytesIO()
    img.save(buf, format="PNG", pnginfo=info, compress_level=6)
    return buf.getvalue()


def encode_jpeg(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality, comment=SPECIMEN_NOTE.encode(), optimize=True)
    return buf.getvalue()


def _line_truth(line: dict, mapper: Callable[[list[int]], list[int]]) -> dict:
    out = {"text": line["text"], "box": mapper(line["box"])}
    if line.get("handwritten"):
        out["handwritten"] = True
    return out


def page_truth(
    canvas: Canvas, index: int, mapper: Callable[[list[int]], list[int]], size: tuple[int, int], text_layer: bool
) -> dict:
    return {
        "index": index,
        "image": None,
        "width": size[0],
        "height": size[1],
        "text_layer": text_layer,
        "lines": [_line_truth(ln, mapper) for ln in canvas.lines],
    }


def add_field_truth(truth: dict, canvas: Canvas, page: int, mapper: Callable[[list[int]], list[int]]) -> None:
    for name, f in canvas.fields.items():
        truth["fields"].setdefault(name, {"value": f["value"], "page": page, "box": mapper(f["box"])})


def base_truth(kind: str, level: str, seed: int, orientation: int, font: str, extra: dict) -> dict:
    return {
        "specimen": True,
        "generator": GENERATOR,
        "seed": seed,
        "kind": kind,
        "level": level,
        "orientation": orientation,
        "font": font,
        "pages": [],
        "fields": {},
        **extra,
    }


def degrade_page(
    canvas: Canvas, level: str, rng: np.random.Generator, orientation: int, card: bool
) -> tuple[Degraded, np.ndarray]:
    img, h0 = orient(canvas.image, orientation)
    d = degrade(img, level, rng, card=card)
    return d, d.homography @ h0


def person_for(kind: str, seed: int) -> Person:
    """The citizen a document of `kind` is about. Same seed -> same person for the kinds that share
    a generation rule (cccd_front/back and the forms; can_cuoc_front/back)."""
    prng = random.Random(sub_seed(seed, "person"))
    if kind in ("can_cuoc_front", "can_cuoc_back"):
        p = make_person(prng, birth_range=CAN_CUOC_BIRTHS, id_provinces=CITY_ID_PROVINCES)
        return with_can_cuoc(p, random.Random(sub_seed(seed, "can_cuoc")))
    if kind == "cmnd_front":
        return with_old_cmnd(make_person(prng, birth_range=CMND_BIRTHS), random.Random(sub_seed(seed, "cmnd")))
    return make_person(prng)


def render_kind(
    kind: str,
    person: Person,
    layout_rng: random.Random,
    *,
    handwriting: float = 0.0,
    hand_rng: random.Random | None = None,
    style: str = "default",
) -> Rendered:
    """Draw one image kind; `handwriting` applies to the citizen-filled forms only."""
    if style != "default":
        with font_style(style):
            renderer = _ALT_RENDERERS.get(kind) if style == "alt" else None
            if renderer is not None and not handwriting:
                return renderer(person, layout_rng)
            return render_kind(kind, person, layout_rng, handwriting=handwriting, hand_rng=hand_rng)
    if handwriting and kind in HANDWRITING_KINDS:
        return _RENDERERS[kind](
            person,
            layout_rng,
            handwriting=handwriting,  # type: ignore[call-arg]
            hand_rng=hand_rng,
        )
    return _RENDERERS[kind](person, layout_rng)


def generate_document(
    kind: str, level: str, seed: int, *, orientation: int = 0, handwriting: float = 0.0, style: str = "default"
) -> GeneratedDocument:
    if not supported(kind, level):
        raise ValueError(f"unsupported kind/level {kind!r}/{level!r}")
    if not 0.0 <= handwriting <= 1.0:
        raise ValueError("handwriting must be a probability in [0, 1]")
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}")
    if style != "default":
        return _styled_document(kind, level, seed, orientation, handwriting, style)
    if kind in BUNDLE_KINDS:
        if orientation:
            raise ValueError("orientation applies to image kinds only")
        from samples.bundle import generate_bundle_kind  # late: bundle builds on this module

        return generate_bundle_kind(kind, level, seed, handwriting=handwriting)
    person = person_for(kind, seed)
    layout_rng = random.Random(sub_seed(seed, kind, "layout"))
    noise_rng = np.random.default_rng(sub_seed(seed, kind, level, orientation, "degrade"))
    if kind in IMAGE_KINDS:
        hand_rng = random.Random(sub_seed(seed, kind, "handwriting")) if handwriting else None
        rendered = render_kind(kind, person, layout_rng, handwriting=handwriting, hand_rng=hand_rng)
        return _image_document(kind, level, seed, orientation, rendered, noise_rng)
    if orientation:
        raise ValueError("orientation applies to image kinds only")
    if kind == "pdf_born_digital":
        return _born_digital(seed, layout_rng)
    return _mixed(level, seed, person, layout_rng, noise_rng)


def _styled_document(
    kind: str, level: str, seed: int, orientation: int, handwriting: float, style: str
) -> GeneratedDocument:
    """An image kind drawn and printed in `style`, from random streams of its own (no draw is shared
    with the default style's documents of the same seed)."""
    if kind not in IMAGE_KINDS:
        raise ValueError(f"style {style!r} applies to the image kinds only")
    person = person_for(kind, seed)
    layout_rng = random.Random(sub_seed(seed, kind, style, "layout"))
    noise_rng = np.random.default_rng(sub_seed(seed, kind, level, orientation, style, "degrade"))
    print_rng = np.random.default_rng(sub_seed(seed, kind, style, "print"))
    hand_rng = random.Random(sub_seed(seed, kind, style, "handwriting")) if handwriting else None
    rendered = render_kind(kind, person, layout_rng, handwriting=handwriting, hand_rng=hand_rng, style=style)
    # One to two print effects per document, the same at every level (the print is the card's).
    effects = [p for p in PRINTS if print_rng.random() < 0.5] or [PRINTS[int(print_rng.integers(len(PRINTS)))]]
    for canvas in rendered.pages:
        canvas.image = print_quality(canvas.image, print_rng, effects)
    rendered.extra["style"] = style
    rendered.extra["print"] = effects
    return _image_document(kind, level, seed, orientation, rendered, noise_rng)


def _image_document(
    kind: str, level: str, seed: int, orientation: int, rendered: Rendered, noise_rng: np.random.Generator
) -> GeneratedDocument:
    truth = base_truth(kind, level, seed, orientation, rendered.font, rendered.extra)
    pages, files = [], []
    for i, canvas in enumerate(rendered.pages):
        d, h = degrade_page(canvas, level, noise_rng, orientation, kind in CARD_KINDS)
        w, hh = d.image.size
        mapper = lambda b, h=h, w=w, hh=hh: map_box(b, h, w, hh)  # noqa: E731 - bind per page
        data = encode_png(d.image) if d.jpeg_quality is None else encode_jpeg(d.image, d.jpeg_quality)
        files.append(data)
        pages.append(Image.open(io.BytesIO(data)).convert("RGB"))
        truth["pages"].append(page_truth(canvas, i, mapper, (w, hh), False))
        add_field_truth(truth, canvas, i, mapper)
    return GeneratedDocument(kind, level, seed, pages, None, truth, files)


def _same_place(box: list[int]) -> list[int]:
    """The box mapper of a page drawn into the PDF as text: it sits exactly where the canvas drew it."""
    return list(box)


def _born_digital(seed: int, rng: random.Random) -> GeneratedDocument:
    rendered = render_cong_van(rng, pages=rng.choice((2, 3)), family=PDF_FAMILY)
    pdf = write_pdf(rendered.pages, "Công văn (mẫu tổng hợp)")
    truth = base_truth("pdf_born_digital", "clean", seed, 0, PDF_FAMILY, rendered.extra)
    for i, canvas in enumerate(rendered.pages):
        truth["pages"].append(page_truth(canvas, i, _same_place, (canvas.width, canvas.height), True))
        add_field_truth(truth, canvas, i, _same_place)
    return GeneratedDocument("pdf_born_digital", "clean", seed, [replay_raster(c) for c in rendered.pages], pdf, truth)


def _mixed(
    level: str, seed: int, person: Person, rng: random.Random, noise_rng: np.random.Generator
) -> GeneratedDocument:
    """Page 1: a typed đơn with a text layer; page 2: a scanned form, image only."""
    letter = render_don(person, rng, family=PDF_FAMILY)
    form = (render_ct01 if rng.random() < 0.5 else render_to_khai_khai_sinh)(person, rng)
    scan_level = "scanned" if level == "clean" else level  # page 2 is a scan whatever the level
    d, h = degrade_page(form.pages[0], scan_level, noise_rng, 0, False)
    # The image fills the A4 page, so its pixels scale onto the 300-dpi page grid.
    canvas = form.pages[0]
    h = np.diag([canvas.width / d.image.width, canvas.height / d.image.height, 1.0]) @ h
    jpeg = encode_jpeg(d.image, d.jpeg_quality or 90)
    pdf = write_pdf([letter.pages[0], jpeg], "Hồ sơ (mẫu tổng hợp)")
    truth = base_truth("pdf_mixed", level, seed, 0, PDF_FAMILY, {})
    truth["scan_font"] = form.font

    def scanned_place(box: list[int]) -> list[int]:
        return map_box(box, h, canvas.width, canvas.height)

    truth["pages"].append(page_truth(letter.pages[0], 0, _same_place, (canvas.width, canvas.height), True))
    truth["pages"].append(page_truth(canvas, 1, scanned_place, (canvas.width, canvas.height), False))
    add_field_truth(truth, letter.pages[0], 0, _same_place)
    add_field_truth(truth, canvas, 1, scanned_place)
    page2 = Image.open(io.BytesIO(jpeg)).convert("RGB").resize((canvas.width, canvas.height), Image.Resampling.BILINEAR)
    return GeneratedDocument("pdf_mixed", level, seed, [replay_raster(letter.pages[0]), page2], pdf, truth)


def encode_tiff(pages: list[Image.Image]) -> bytes:
    """All pages in one multi-page TIFF (LZW), each tagged as a specimen."""
    buf = io.BytesIO()
    tags = {270: SPECIMEN_NOTE, 305: GENERATOR}  # ImageDescription, Software
    pages[0].save(buf, format="TIFF", save_all=True, append_images=pages[1:], compression="tiff_lzw", tiffinfo=tags)
    return buf.getvalue()


def write_document(doc: GeneratedDocument, out_dir: Path, stem: str, *, tiff: bool = False) -> list[str]:
    """Write the file(s) and `{stem}.json`; returns [main file name, truth name].

    tiff=True writes the page images (as decoded from their PNG/JPEG) into one multi-page TIFF."""
    out_dir.mkdir(parents=True, exist_ok=True)
    ext = doc.extension
    name = f"{stem}.{ext}"
    if tiff and doc.pdf_bytes is None:
        name = f"{stem}.tif"
        (out_dir / name).write_bytes(encode_tiff(doc.pages))
        for p in doc.truth["pages"]:
            p["image"] = f"{name}#page={p['index'] + 1}"
    elif doc.pdf_bytes is not None:
        (out_dir / name).write_bytes(doc.pdf_bytes)
        for p in doc.truth["pages"]:
            p["image"] = f"{name}#page={p['index'] + 1}"
    else:
        names = [name] if len(doc.page_files) == 1 else [f"{stem}-p{i + 1}.{ext}" for i in range(len(doc.page_files))]
        for n, data, p in zip(names, doc.page_files, doc.truth["pages"], strict=True):
            (out_dir / n).write_bytes(data)
            p["image"] = n
    (out_dir / f"{stem}.json").write_text(json.dumps(doc.truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return [name, f"{stem}.json"]


def write_set(
    out_dir: str | Path,
    kinds: Iterable[str] = KINDS,
    levels: Iterable[str] = LEVELS,
    count_per_kind: int = 1,
    seed: int = 0,
    *,
    tiff: bool = False,
    handwriting: float = 0.0,
    style: str = "default",
) -> dict:
    """Write `{kind}-{level}-{n:03d}.{png|jpg|pdf}` + `.json` for every supported pair, and manifest.json.

    Document n of a kind has the same content at every level (only the degradation differs).
    `handwriting`: probability that a filled-in form value is handwritten (0: as before)."""
    out = Path(out_dir)
    levels = list(levels)
    docs = []
    for kind in kinds:
        for level in levels:
            if not supported(kind, level):
                continue
            for n in range(count_per_kind):
                doc_seed = sub_seed(seed, kind, n) % 2**63
                doc = generate_document(kind, level, doc_seed, handwriting=handwriting, style=style)
                stem = f"{kind}-{level}-{n:03d}"
                file_name, truth_name = write_document(doc, out, stem, tiff=tiff)
                docs.append(
                    {
                        "kind": kind,
                        "level": level,
                        "index": n,
                        "seed": doc_seed,
                        "file": file_name,
                        "truth": truth_name,
                        "pages": len(doc.truth["pages"]),
                    }
                )
    manifest = {"specimen": True, "generator": GENERATOR, "seed": seed, "documents": docs}
    if handwriting:
        manifest["handwriting"] = handwriting
    if style != "default":
        manifest["style"] = style
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m samples.generate", description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--count", type=int, default=1, help="documents per kind and level")
    ap.add_argument("--kinds", default=",".join(KINDS), help=f"comma list from {','.join(KINDS)}")
    ap.add_argument("--levels", default=",".join(LEVELS), help=f"comma list from {','.join(LEVELS)}")
    ap.add_argument("--tiff", action="store_true", help="write page images as (multi-page) TIFF")
    ap.add_argument(
        "--handwriting",
        type=float,
        default=0.0,
        metavar="P",
        help="probability that each filled-in form value is handwritten (default 0)",
    )
    ap.add_argument(
        "--style",
        choices=STYLES,
        default="default",
        help="alt: other type, card backgrounds, print quality and card placement (image kinds only)",
    )
    args = ap.parse_args(argv)
    if not 0.0 <= args.handwriting <= 1.0:
        ap.error("--handwriting must be between 0 and 1")
    kinds = [k for k in args.kinds.split(",") if k]
    levels = [lv for lv in args.levels.split(",") if lv]
    bad = [k for k in kinds if k not in KINDS] + [lv for lv in levels if lv not in LEVELS]
    if bad:
        ap.error(f"unknown kind/level: {', '.join(bad)}")
    t0 = time.perf_counter()
    manifest = write_set(
        args.out, kinds, levels, args.count, args.seed, tiff=args.tiff, handwriting=args.handwriting, style=args.style
    )
    print(
        f"wrote {len(manifest['documents'])} documents to {args.out} in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
