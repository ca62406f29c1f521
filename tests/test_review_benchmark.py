"""The review benchmark's own logic, without a server or a browser: the oracle's keystrokes on a
field, the by-hand baseline, the truth of a screen field, the dossiers it submits, the totals."""

from __future__ import annotations

import re

import pytest

from benchmarks.review_keystrokes import (
    FORMS,
    TRUTH_NAMES,
    DossierResult,
    Keys,
    Screen,
    ScreenField,
    by_hand_keys,
    by_hand_telex_keys,
    levels_of,
    make_dossiers,
    markdown,
    plan_field,
    same_value,
    summarise,
    telex_keys,
    truth_value,
    typing_plan,
)
from pipeline.text import slugify
from samples.generate import generate_document

NUMBERING = re.compile(r"^\s*\d{1,2}[.)]\s*")

# --- the oracle's plan on one doubtful field -------------------------------------------------------


def test_a_right_value_is_confirmed_with_one_enter_even_when_written_otherwise():
    # The screen shows the stored form; the truth as printed may be written another way.
    plan = plan_field("ngay_sinh", "19/09/1984", ["19/09/1984", "19/08/1984"], "19-9-1984")
    assert (plan.action, plan.keys, plan.text, plan.keystrokes) == ("confirm", ("Enter",), "", 1)
    assert plan_field("so_dien_thoai", "0932076978", [], "0932 076 978").action == "confirm"


def test_the_right_candidate_is_picked_by_its_number():
    plan = plan_field("ho_va_ten", "BÙI NGOC HUONG", ["BÙI NGOC HUONG", "BÙI NGỌC HƯƠNG"], "BÙI NGỌC HƯƠNG")
    assert (plan.action, plan.keys, plan.keystrokes) == ("pick", ("2",), 1)


def test_the_first_right_candidate_wins_and_only_nine_have_a_key():
    candidates = [f"Sai {n}" for n in range(9)] + ["Đúng"]
    plan = plan_field("noi_sinh", "Sai 0", ["x", "Đúng", "Đúng"], "Đúng")
    assert plan.keys == ("2",)
    # The tenth candidate has no digit: the truth is typed instead.
    assert plan_field("noi_sinh", "Sai 0", candidates, "Đúng").action == "type"


def test_without_a_right_value_the_truth_is_typed_then_saved():
    plan = plan_field("ho_va_ten", "NGUYEN VAN A", [], "NGUYỄN VĂN AN")
    assert (plan.action, plan.keys, plan.text, plan.after) == ("type", (), "NGUYỄN VĂN AN", ("Enter",))
    assert plan.keystrokes == len("NGUYỄN VĂN AN") + 1


def test_a_typed_digit_that_would_pick_a_candidate_is_preceded_by_backspace():
    # "1…" with a candidate 1 on screen: the digit would pick it, so Backspace starts editing.
    plan = plan_field("so_dinh_danh", "079184872690", ["079184872690", "079184872698"], "179184872695")
    assert plan.keys == ("Backspace",) and plan.keystrokes == 1 + 12 + 1
    # "0…" never picks; nor does "3…" with two candidates; nor any digit without candidates.
    assert typing_plan("079184872695", ["a", "b"]).keys == ()
    assert typing_plan("31/12/1990", ["a", "b"]).keys == ()
    assert typing_plan("19/09/1984", []).keys == ()
    assert typing_plan("2/1/1990", ["a", "b"]).keys == ("Backspace",)


def test_a_field_the_generator_did_not_write_is_confirmed_as_read():
    assert plan_field("lam_tai", "phường Việt Hưng", ["a", "b"], None).action == "confirm"


def test_values_compare_in_nfc():
    decomposed = "Bu\u0300i Ngo\u0323c"
    assert same_value("ho_va_ten", decomposed, "Bùi Ngọc")
    assert not same_value("ho_va_ten", "Bui Ngoc", "Bùi Ngọc")


# --- the by-hand baseline ---------------------------------------------------------------------------


def test_by_hand_is_every_character_and_one_key_per_field():
    assert by_hand_keys(["079184872695", "Nữ", ""]) == 13 + 3 + 1
    assert by_hand_keys([]) == 0


def test_telex_counts_the_keys_of_vietnamese_marks():
    assert telex_keys("Nam") == 3
    assert telex_keys("Nguyễn") == 8  # N g u y e e x n
    assert telex_keys("Đà") == 4  # d d a f
    assert telex_keys("HƯƠNG") == 7  # H U W O W N G
    assert telex_keys("19/09/1984") == 10
    assert by_hand_telex_keys(["Đà", "Nam"]) == 5 + 4


# --- the truth of a screen field -------------------------------------------------------------------


def test_a_field_named_after_the_forms_label_finds_the_generators_truth():
    truth = {"ho_ten_nguoi_yeu_cau": "Bùi Ngọc Hương", "ho_va_ten": "LÊ KHÁNH HUYỀN"}
    assert truth_value("to_khai_khai_sinh", "ho_chu_dem_ten_nguoi_yeu_cau", truth) == "Bùi Ngọc Hương"
    assert truth_value("to_khai_khai_sinh", "ho_va_ten", truth) == "LÊ KHÁNH HUYỀN"
    assert truth_value("to_khai_khai_sinh", "dan_toc_2", truth) is None
    assert truth_value("cccd_front", "ho_chu_dem_ten_nguoi_yeu_cau", truth) is None  # the kind matters


@pytest.mark.parametrize("kind", sorted({kind for kind, _ in TRUTH_NAMES}))
def test_each_renamed_field_is_a_label_the_form_prints_and_a_name_the_truth_has(kind):
    doc = generate_document(kind, "clean", 7)
    labels = [line["text"].split(":", 1)[0] for page in doc.truth["pages"] for line in page["lines"]]
    printed = {slugify(NUMBERING.sub("", label)) for label in labels}  # "7. Họ, chữ đệm và tên chủ hộ"
    for (of_kind, on_screen), in_truth in TRUTH_NAMES.items():
        if of_kind == kind:
            assert on_screen in printed, on_screen
            assert in_truth in doc.truth["fields"], in_truth


# --- when the screen has taken a key --------------------------------------------------------------


def _screen(selected: str, version: str = "1", value: str = "", check: str = "", error: str = "") -> Screen:
    fields = [
        ScreenField(7, 0, name, "needs_review", version if name == "a" else "1", name == selected) for name in "ab"
    ]
    return Screen(fields, value, [], check, error)


def test_the_screen_has_taken_a_key_when_it_moved_saved_or_refused():
    before = _screen("a", value="cũ")
    assert _screen("b").took(before)  # moved on to the next doubtful field
    assert _screen("a", version="2").took(before)  # the last field: saved in place
    assert _screen("a", error="Giá trị chưa đúng").took(before)  # refused, with the reason


def test_typing_or_an_inline_check_is_not_the_screen_taking_the_key():
    # A typed value is saved once its check answers: pressing on before that would abandon it.
    before = _screen("a", value="cũ", check="Ngày không hợp lệ", error="Lỗi trước")
    assert not _screen("a", value="mới", check="", error="Lỗi trước").took(before)


# --- the dossiers and the totals -----------------------------------------------------------------


def test_dossiers_hold_one_citizens_card_and_form_at_mixed_levels():
    plans = make_dossiers(7301, 2, 1)
    assert [p.mode for p in plans] == ["review", "review", "retype"]
    assert [p.papers[1].kind for p in plans] == ["to_khai_khai_sinh", "don", "ct01"]
    assert len({p.papers[0].level for p in plans}) == 3
    for plan in plans:
        card, form = plan.papers
        assert card.kind == "cccd_front" and card.truth["so_dinh_danh"] == plan.applicant["id_number"]
        assert form.truth and card.data and form.data
    assert make_dossiers(7301, 1, 0)[0].papers[0].data == plans[0].papers[0].data  # same seed, same papers


def test_every_form_meets_every_level_on_card_and_form():
    forms = [kind for kind, _ in FORMS]
    met: dict[str, set[tuple[str, str]]] = {kind: set() for kind in forms}
    for i in range(3 * len(forms)):
        card, form = levels_of(i)
        assert card != form
        met[forms[i % len(forms)]].add((card, form))
    assert all(len(pairs) == 3 for pairs in met.values()), met


def _result(mode: str, fields: int, touched: int, keys: int, by_hand: int, ok_wrong: int = 0) -> DossierResult:
    result = DossierResult(0, mode, "X", "don", ["clean", "photo"], fields=fields, touched=touched)
    result.keys = Keys(open=1, confirm=keys - 2, approve=1)
    result.by_hand_keys, result.ok_wrong, result.seconds, result.approved = by_hand, ok_wrong, 2.0, True
    return result


def test_totals_count_reviewed_dossiers_and_keep_retyped_ones_apart():
    results = [
        _result("review", 10, 2, 4, 200, ok_wrong=1),
        _result("review", 20, 0, 2, 300),
        _result("retype", 9, 9, 150, 140),
    ]
    summary = summarise(results, keys_per_s=2.5)
    assert summary["dossiers"] == 2 and summary["fields"] == 30 and summary["touched"] == 2
    assert summary["touched_share"] == pytest.approx(2 / 30)
    assert summary["keystrokes"] == 6 and summary["by_hand_keystrokes"] == 500
    assert summary["keystroke_ratio"] == pytest.approx(6 / 500)
    assert summary["by_hand_seconds_estimate"] == pytest.approx(200.0)
    assert summary["ok_wrong"] == 1
    assert summary["retype"] == {
        "dossiers": 1,
        "fields": 9,
        "keystrokes": 150,
        "seconds_wall": 2.0,
        "by_hand_keystrokes": 140,
    }
    table = markdown(results, summary, 2.5)
    assert table.count("\n") == 2 + 2 + 1 - 1  # header, rule, two dossiers, the total
    assert "| **all** |" in table
