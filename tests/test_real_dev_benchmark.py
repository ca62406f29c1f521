"""The real-dev CER benchmark: the issue's normalisation, order-free scoring, one real item read."""

from __future__ import annotations

import importlib.util
import json
import unicodedata
from pathlib import Path

import pytest

from benchmarks.real_dev import DEFAULT_SET, matched_errors, normalize, rotated_box, word_bag_f1


def test_normalisation_is_the_issues() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Thuỵ")
    assert normalize(decomposed) == "Nguyễn Thị Thuỵ"  # NFC
    assert normalize("Họ và tên:……………… ngày …/…/…") == "Họ và tên: ngày //"  # … is three dots: dropped
    assert normalize("Số: ..........  /QĐ-UBND") == "Số: /QĐ-UBND"  # runs of >= 3 dots dropped
    assert normalize("v.v.. 1.2.3") == "v.v.. 1.2.3"  # one or two dots are text
    assert normalize("  a\t b\n\n c  ") == "a b c"  # whitespace, newlines too, collapsed; ends stripped


def test_normalisation_matches_the_sets_own_scorer() -> None:
    score = DEFAULT_SET / "score.py"
    if not score.exists():
        pytest.skip("real-dev set not present")
    spec = importlib.util.spec_from_file_location("real_dev_score", score)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for text in ("Điều 1. …………", "a....b\n  c", unicodedata.normalize("NFD", "Quyết định ..."), ". .. ...", ""):
        assert normalize(text) == module.normalize(text)


def test_reading_order_is_not_counted_but_misreads_are() -> None:
    truth = [("CỘNG HÒA XÃ HỘI", [900, 100, 1500, 140]), ("ỦY BAN NHÂN DÂN", [100, 100, 600, 140])]
    truth += [("Điều 1. Ban hành", [100, 300, 900, 340])]
    swapped = [truth[0], truth[2], truth[1]]  # the right column read first, a row out of order
    row = "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI"  # lines side by side make one row, left to right
    assert matched_errors(truth, swapped) == (0, len(row) + len("Điều 1. Ban hành"))
    misread = [("CỘNG HOA XÃ HỘI", truth[0][1]), truth[1], ("Điều 1. Ban hành ......", truth[2][1])]
    assert matched_errors(truth, misread)[0] == 1  # one wrong letter; a dotted leader costs nothing
    assert matched_errors(truth, truth[:2])[0] == len("Điều 1. Ban hành")  # a line not read counts whole
    assert word_bag_f1("b a", "a b") == 1.0 and word_bag_f1("a", "a b") == pytest.approx(2 / 3)


def test_rotated_box_follows_the_scan_copy() -> None:
    assert rotated_box([10, 20, 30, 40], 0.0, 100, 100) == pytest.approx([10, 20, 30, 40])
    # PIL's rotate(+90) is counter-clockwise: a box at the right edge moves to the top.
    x0, y0, x1, y1 = rotated_box([90, 45, 100, 55], 90.0, 100, 100)
    assert (x0, y0, x1, y1) == pytest.approx([45, 0, 55, 10])


def test_benchmark_reads_one_real_item(tmp_path: Path) -> None:
    if not (DEFAULT_SET / "manifest.jsonl").exists():
        pytest.skip("real-dev set not present")
    from benchmarks.real_dev import main

    out = tmp_path / "r.json"
    assert main(["--category", "signature_stamp", "--limit", "1", "--variant", "page", "--json", str(out)]) == 0
    payload = json.loads(out.read_text(encoding="utf-8"))
    (item,) = payload["items"]
    assert item["category"] == "signature_stamp" and item["variant"] == "page" and item["ref_chars"] > 100
    assert item["edits"] <= 0.2 * item["ref_chars"]  # the stamp's text is read (today: about 3 % CER)
    assert set(payload["summary"]) == {"signature_stamp/page"}
