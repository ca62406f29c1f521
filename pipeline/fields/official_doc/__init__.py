"""Fields of a công văn or quyết định (Decree 30/2020/NĐ-CP layout) from read lines.

    extract_official_fields(pages, review_threshold, today=None) -> dict[str, Field]
    official_subtype(pages) -> "quyet_dinh" | "cong_van" | None

The layout: a two-column header (left: superior body (optional) and issuing body in upper
case, "Số: 125/QĐ-UBND", for a công văn the "V/v ..." subject under it; right: the national
header, then "Hà Nội, ngày 05 tháng 3 năm 2026"); a quyết định's centred title "QUYẾT ĐỊNH"
with its subject under it; at the end, "Nơi nhận:" on the left and the signer block on the
right (authority/title lines in upper case, room for signature and seal, the signer's name).

Everything is found by position, not by reading order (OCR may read the header's two
columns in either order), relative to the text's own extent on the page, in an upright,
de-skewed frame (`layout`). The modules: `terms` (the vocabulary), `layout` (placed lines,
what a found value is), `number_date` (the number-and-date line, cited dates), `issuer`
(the issuing body), `subject` (trích yếu), `signer` (the signer block), `extraction` (the
fields and their statuses).
"""

from pipeline.fields.official_doc.extraction import extract_official_fields, official_subtype
from pipeline.fields.official_doc.issuer import body_abbreviations
from pipeline.fields.official_doc.number_date import cited_dates, date_status, normalize_symbol, symbol_parts
from pipeline.fields.official_doc.signer import normalize_title, title_pattern_ok

__all__ = [
    "body_abbreviations",
    "cited_dates",
    "date_status",
    "extract_official_fields",
    "normalize_symbol",
    "normalize_title",
    "official_subtype",
    "symbol_parts",
    "title_pattern_ok",
]
