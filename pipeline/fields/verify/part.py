"""One document's fields decided: each value read against its other sources, then the
document's own checks (its fields against each other, handwriting), in canonical form."""

from __future__ import annotations

from datetime import date

from models.document import DocumentKind, Field
from models.idcards import CAN_CUOC, CHIP_CCCD, CMND, CardGeneration
from models.kinds import RULES_BY_KIND
from pipeline.fields.verify.canonical import canonical, shaped_date
from pipeline.fields.verify.codes import (
    CardCodes,
    Identity,
    code_only_fields,
    codes_of,
    dossier_identities,
    holder_of,
    holder_values,
    qr_is_canonical,
)
from pipeline.fields.verify.common import text_source
from pipeline.fields.verify.decide import decide_read, same
from pipeline.fields.verify.document import (
    cross_field_rules,
    date_in_words,
    filled_by_hand,
    not_ok_by_hand,
    note_qr_oddities,
)
from pipeline.fields.verify.inputs import PartInput, PlaceCatalogue, Thresholds
from pipeline.fields.verify.rules import PartContext, finished

GENERATIONS: dict[DocumentKind, CardGeneration] = {
    DocumentKind.CCCD_FRONT: CHIP_CCCD,
    DocumentKind.CCCD_BACK: CHIP_CCCD,
    DocumentKind.CAN_CUOC_FRONT: CAN_CUOC,
    DocumentKind.CAN_CUOC_BACK: CAN_CUOC,
    DocumentKind.CMND_FRONT: CMND,
}


def verify_parts(
    parts: list[PartInput],
    *,
    review_threshold: float,
    ok_threshold: float,
    today: date,
    places: PlaceCatalogue | None = None,
    second_threshold: float = 0.5,
    qr_over_print: bool = True,
) -> list[dict[str, Field]]:
    """Final fields of every document of a dossier, in the order given."""
    cfg = Thresholds(review_threshold, ok_threshold, today, second_threshold, qr_over_print)
    codes = [codes_of(part) for part in parts]
    identities = dossier_identities(codes)
    return [verify_part(part, c, identities, cfg, places) for part, c in zip(parts, codes, strict=True)]


def _reading_order(fields: dict[str, Field]) -> list[str]:
    """The number and the birth date first, the expiry last: the milestone rule uses the birth date."""
    return sorted(fields, key=lambda n: (n != "so_dinh_danh", n != "ngay_sinh", n == "co_gia_tri_den"))


def _issue_date(part: PartInput, holder: Identity | None) -> str | None:
    """The card's issue date from its QR code (exact), else as its own side prints it."""
    from_qr = [v for src, v in (holder.values.get("ngay_cap", []) if holder else []) if src == "qr"]
    printed = part.fields.get("ngay_cap")
    return from_qr[0] if from_qr else (printed.value if printed is not None else None)


def verify_part(
    part: PartInput, codes: CardCodes, identities: dict[str, Identity], cfg: Thresholds, places: PlaceCatalogue | None
) -> dict[str, Field]:
    """The final fields of one document, in the order read (fields only its codes carry after)."""
    pages = {p.index: p for p in part.pages}
    kind_rule = RULES_BY_KIND.get(part.kind)
    ctx = PartContext(part, cfg, places, kind_rule, GENERATIONS.get(part.kind))
    holder = holder_of(part, codes, identities)
    if part.kind in GENERATIONS:
        ctx.qr_canonical = cfg.qr_over_print and qr_is_canonical(part, holder, same)
        ctx.issued = _issue_date(part, holder)
    out = ctx.decided
    read = {name: shaped_date(name, f) for name, f in part.fields.items()}
    for name in _reading_order(read):
        f = read[name]
        refs = holder_values(holder, name, on_card=part.kind in GENERATIONS)
        out[name] = decide_read(name, f, refs, text_source(f, pages), ctx, part.second.get(name), part.third.get(name))
    if kind_rule is not None:
        out.update(code_only_fields(kind_rule.fields, part, codes, out))
    for name in out:
        out[name] = canonical(name, out[name], part.kind)
    date_in_words(out, cfg)
    cross_field_rules(out, ctx.generation, cfg)
    for name in out:
        out[name] = not_ok_by_hand(finished(name, out[name], ctx), pages, card=part.kind in GENERATIONS)
    filled_by_hand(out, pages, kind_rule)
    note_qr_oddities(out, codes.qr)
    read_first = [*(n for n in part.fields if n in out), *(n for n in out if n not in part.fields)]
    return {name: out[name] for name in read_first}
