"""Whole reading on real OCR: one scanned PDF holding a card's two sides and a form becomes
documents by kind, each field checked against the others; nothing wrong is marked ok."""

from datetime import date

import pytest

from models.document import FieldStatus
from pipeline.fields.values import normalize_value
from pipeline.reader import interpret_files, read_pages
from samples.bundle import generate_bundle

TODAY = date(2026, 11, 21)  # a fixed day: tests never read the machine's date

pytestmark = pytest.mark.ocr


@pytest.mark.parametrize("parts", [["cccd_front", "cccd_back", "ct01"], ["can_cuoc_front", "can_cuoc_back", "don"]])
def test_a_scanned_bundle_is_split_by_kind_and_cross_checked(engines, reading_config, parts):
    doc = generate_bundle(parts, "scanned", 5150)
    pages = read_pages(doc.pdf_bytes, "bundle.pdf", reading_config, engines)
    (reading,) = interpret_files([("bundle.pdf", pages)], reading_config, TODAY)
    truth = doc.truth["components"]
    assert [str(c.kind) for c in reading.parts] == [t["kind"] for t in truth] == parts
    assert [list(c.pages) for c in reading.parts] == [t["pages"] for t in truth]
    for component, want in zip(reading.parts, truth, strict=True):
        for name, spec in want["fields"].items():
            field = component.fields.get(name)
            if field is not None and field.status == FieldStatus.OK:
                assert field.value == normalize_value(name, spec["value"]), (component.kind, name)
    front, _back, form = reading.parts
    # The card's number is confirmed by its own codes (QR, or the back's MRZ for a căn cước) ...
    assert front.fields["so_dinh_danh"].status == FieldStatus.OK
    assert {"qr", "mrz"} & set(front.fields["so_dinh_danh"].sources)
    # ... and the form's holder by the card beside it.
    holder = form.fields.get("so_dinh_danh")
    assert holder is not None and holder.status == FieldStatus.OK and {"qr", "mrz"} & set(holder.sources)


@pytest.mark.parametrize("kind", ["ct01", "to_khai_khai_sinh"])
def test_a_typed_form_alone_is_confirmed_by_two_independent_recognizers(engines, reading_config, kind):
    from samples.generate import generate_document

    doc = generate_document(kind, "scanned", 5151)
    pages = read_pages(doc.pdf_bytes or doc.page_files[0], f"form.{doc.extension}", reading_config, engines)
    (reading,) = interpret_files([(f"form.{doc.extension}", pages)], reading_config, TODAY)
    assert any(line.second is not None for page in pages for line in page.lines)
    fields, truth = reading.fields, doc.truth["fields"]
    # No card in the dossier: the name is confirmed by the second recognizer, letter for letter.
    assert fields["ho_va_ten"].status == FieldStatus.OK and fields["ho_va_ten"].sources == ("ocr", "ocr2")
    for name, spec in truth.items():
        if name in fields and fields[name].status == FieldStatus.OK:
            assert fields[name].value == normalize_value(name, spec["value"]), name
    assert sum(f.status == FieldStatus.OK for f in fields.values()) >= 0.6 * len(truth)
