"""`sohoa process` end to end on the committed specimen samples: the contract other tools rely on."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from api.cli import main
from pipeline.errors import EXIT_BAD_INPUT, EXIT_OK
from pipeline.pages.sources import render_pdf_page

pytestmark = pytest.mark.ocr

EXAMPLES = Path(__file__).resolve().parent.parent / "samples" / "examples"
CARD_FIELDS = ("so_dinh_danh", "ho_va_ten", "ngay_sinh", "gioi_tinh")


def _truth(path: Path) -> dict:
    return json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))


def _run(tmp_path: Path, *paths: Path) -> tuple[int, dict]:
    out = tmp_path / "result.json"
    code = main(["process", *map(str, paths), "--out", str(out), "--quiet"])
    return code, json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def card_run(tmp_path_factory):
    cards = [EXAMPLES / "cccd_front-scanned-000.jpg", EXAMPLES / "cccd_front-photo-000.jpg"]
    return cards, _run(tmp_path_factory.mktemp("cards"), *cards)


def test_card_fields_are_read_exactly(card_run):
    cards, (code, payload) = card_run
    assert code == EXIT_OK
    assert [doc["source"] for doc in payload["files"]] == [str(p) for p in cards]
    for path, doc in zip(cards, payload["files"], strict=False):
        truth = _truth(path)
        assert doc["kind"] == "cccd_front"
        for name in CARD_FIELDS:
            field = doc["fields"][name]
            assert field["value"] == truth["fields"][name]["value"], (path.name, name)
            assert field["status"] == "ok"
            assert field["page"] == 0


def test_output_follows_the_contract(card_run):
    _cards, (_code, payload) = card_run
    for doc in payload["files"]:
        assert set(doc) == {"source", "kind", "pages", "fields", "parts"}
        assert [c["kind"] for c in doc["parts"]] == [doc["kind"]]
        assert doc["parts"][0]["fields"] == doc["fields"]
        for page in doc["pages"]:
            optional = {"tables", "checkboxes", "stamps"}  # only where the layout step found some
            assert set(page) - optional == {"index", "width", "height", "text_source", "lines", "codes", "handwriting"}
            assert [code["format"] for code in page["codes"]] == ["QRCode"]  # the card's QR code
            assert page["text_source"] == "ocr"
            for line in page["lines"]:
                x0, y0, x1, y1 = line["box"]
                assert 0 <= x0 < x1 <= page["width"] and 0 <= y0 < y1 <= page["height"]
                assert 0.0 <= line["confidence"] <= 1.0
                assert unicodedata.is_normalized("NFC", line["text"])
        for field in doc["fields"].values():
            assert set(field) - {"detail"} == {"value", "confidence", "page", "box", "status", "sources", "reason"}
            assert field["status"] in {"ok", "needs_review", "invalid"}
            assert (field["reason"] is None) == (field["status"] == "ok")


def test_pdfs_are_read_page_by_page_and_a_bad_file_loses_nothing(tmp_path):
    born = EXAMPLES / "pdf_born_digital-clean-000.pdf"
    mixed = EXAMPLES / "pdf_mixed-scanned-000.pdf"
    broken = tmp_path / "hỏng.pdf"
    broken.write_bytes(born.read_bytes()[:4000])  # truncated upload
    code, payload = _run(tmp_path, born, broken, mixed)

    assert code == EXIT_BAD_INPUT
    assert [e["source"] for e in payload["errors"]] == [str(broken)]
    assert payload["errors"][0]["code"] == "CORRUPT_FILE"
    assert payload["errors"][0]["message"]  # Vietnamese message for the counter

    by_source = {doc["source"]: doc for doc in payload["files"]}
    born_doc = by_source[str(born)]
    assert [p["text_source"] for p in born_doc["pages"]] == ["pdf_text", "pdf_text"]
    truth = _truth(born)
    for page, truth_page in zip(born_doc["pages"], truth["pages"], strict=False):
        assert sorted(ln["text"] for ln in page["lines"]) == sorted(ln["text"] for ln in truth_page["lines"])
        # Sizes are those of the page rendered at 300 dpi (pdfium rounds A4's 2480.3 px up).
        rendered = render_pdf_page(born.read_bytes(), page["index"], 300)
        assert (page["width"], page["height"]) == (rendered.shape[1], rendered.shape[0])
    assert born_doc["kind"] == "cong_van"

    mixed_doc = by_source[str(mixed)]
    assert [p["text_source"] for p in mixed_doc["pages"]] == ["pdf_text", "ocr"]
    assert mixed_doc["fields"]["so_dinh_danh"]["value"] == _truth(mixed)["fields"]["so_dinh_danh"]["value"]


def test_only_bad_files_still_write_json_and_exit_non_zero(tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    code, payload = _run(tmp_path, empty, tmp_path / "missing.png")
    assert code == EXIT_BAD_INPUT
    assert payload["files"] == []
    assert [e["code"] for e in payload["errors"]] == ["FILE_EMPTY", "FILE_UNREADABLE"]
