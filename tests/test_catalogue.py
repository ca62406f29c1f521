"""Reference data as data: the procedure catalogue (fees, required documents, search, the checklist),
the organisation file, dossier codes."""

import json
from datetime import date, datetime

import pytest

from intake.procedures import checklist, document_key, missing_documents, search_procedures
from models.calendar import WorkCalendar
from models.catalogue import (
    DEFAULT_DOSSIER_CODE_FORMAT,
    KNOWN_KINDS,
    ReferenceDataError,
    format_dossier_code,
    load_organisation,
    load_procedures,
)
from models.document import DocumentKind

# A plain calendar: weekends off, 2/9 and 3/9/2026 (National Day) off.
CALENDAR = WorkCalendar(holidays=frozenset({date(2026, 9, 2), date(2026, 9, 3)}))


def test_catalogue_holds_the_seeded_hanoi_procedures():
    catalogue = load_procedures()
    assert set(catalogue.procedures) == {
        "1.001193",
        "2.000635",
        "2.000815",
        "2.000908",
        "2.000200",
        "1.001776",
        "1.014137",
    }
    organisation = load_organisation()
    for procedure in catalogue.procedures.values():
        assert procedure.agency in organisation.agencies  # every procedure routes to a known agency
    for point in organisation.service_points.values():
        assert point.receiving_unit in organisation.agencies


def test_same_day_procedure_respects_its_15h_cutoff():
    copy = load_procedures().procedures["2.000635"]
    monday = datetime(2026, 8, 31, 14, 59)
    assert copy.appointment_date(CALENDAR, monday, 0.3) == date(2026, 8, 31)
    # After 15:00 it is tomorrow, and tomorrow's neighbours are the National Day holidays.
    assert copy.appointment_date(CALENDAR, monday.replace(hour=15, minute=0), 0.3) == date(2026, 9, 1)
    assert copy.appointment_date(CALENDAR, datetime(2026, 9, 1, 16, 0), 0.3) == date(2026, 9, 4)


def test_processing_days_and_green_lane():
    catalogue = load_procedures()
    friday = datetime(2026, 8, 28, 9, 0)
    # 7 working days from Friday 28/8, skipping the weekend and 2-3/9.
    assert catalogue.procedures["2.000200"].appointment_date(CALENDAR, friday, 0.3) == date(2026, 9, 10)
    # Green lane: 10 days cut by 30 % = 7 days, the same date.
    assert catalogue.procedures["1.001776"].appointment_date(CALENDAR, friday, 0.3) == date(2026, 9, 10)
    assert catalogue.procedures["1.001776"].appointment_date(CALENDAR, friday, 0.0) == date(2026, 9, 15)


def test_dossier_code_follows_the_configured_format():
    day = date(2025, 12, 5)
    assert format_dossier_code(DEFAULT_DOSSIER_CODE_FORMAT, "000.00.12.H29", day, 1) == "000.00.12.H29-251205-0001"
    assert format_dossier_code("{unit}-{yyyymmdd}-{seq:06d}", "G09.20", day, 42) == "G09.20-20251205-000042"


# --- required documents and fees (issue 15, item 1 and 5) ---------------------------------------------------

IDENTITY = ("cccd_front", "cccd_back", "can_cuoc_front", "can_cuoc_back", "cmnd_front")


def test_every_procedure_states_a_fee_and_its_required_documents():
    catalogue = load_procedures()
    for procedure in catalogue.procedures.values():
        assert procedure.fee, procedure.code
        assert procedure.required_documents, procedure.code
        names = [d.name for d in procedure.required_documents]
        assert len(set(names)) == len(names)
        for document in procedure.required_documents:
            assert set(document.kinds) <= {k.value for k in DocumentKind} - {"other"}, document
    birth = catalogue.procedures["1.001193"]
    assert birth is not None and birth.name == "Đăng ký khai sinh" and birth.fee == "Miễn lệ phí"
    by_name = {d.name: d for d in birth.required_documents}
    assert by_name["Tờ khai đăng ký khai sinh"].kinds == ("to_khai_khai_sinh",)
    assert by_name["Tờ khai đăng ký khai sinh"].required
    chung_sinh = next(d for d in birth.required_documents if d.name.startswith("Giấy chứng sinh"))
    assert chung_sinh.required and chung_sinh.kinds == ()  # no kind the reader knows: the clerk declares it
    assert by_name["Giấy tờ tùy thân của người đi đăng ký"].kinds == IDENTITY
    assert catalogue.procedures["2.000635"].fee == "8.000 đồng/bản sao"


def test_known_kinds_are_the_classifiers_kinds():
    from models.kinds import KIND_RULES

    assert KNOWN_KINDS == {rule.kind.value for rule in KIND_RULES}
    assert "other" not in KNOWN_KINDS


def _write(tmp_path, procedures):
    path = tmp_path / "thu-tuc.json"
    path.write_text(json.dumps({"locality": "X", "version": "t", "procedures": procedures}), encoding="utf-8")
    return path


BASE = {"code": "1.000001", "name": "Thủ tục thử", "agency": "A", "processing_days": 1, "cutoff": None}


def test_an_old_data_file_without_fees_or_documents_still_loads(tmp_path):
    procedure = load_procedures(_write(tmp_path, [BASE])).procedures["1.000001"]
    assert procedure.fee == "" and procedure.required_documents == ()


def test_an_unknown_kind_is_refused_naming_the_file_the_procedure_and_the_kind(tmp_path):
    path = _write(
        tmp_path, [{**BASE, "required_documents": [{"name": "Hộ chiếu", "required": True, "kinds": ["ho_chieu"]}]}]
    )
    with pytest.raises(ReferenceDataError) as refused:
        load_procedures(path)
    message = str(refused.value)
    assert str(path) in message and "1.000001" in message and "'ho_chieu'" in message and "Hộ chiếu" in message
    assert "cccd_front" in message  # the known kinds are listed


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ({"name": "X", "required": True, "kinds": ["other"]}, "'other'"),
        ({"name": "", "required": True, "kinds": []}, "name"),
        ({"name": "X", "required": "có", "kinds": []}, "required"),
        ({"name": "X", "required": True, "kinds": "cccd_front"}, "kinds"),
    ],
)
def test_a_malformed_required_document_is_refused(tmp_path, document, says):
    with pytest.raises(ReferenceDataError, match=says):
        load_procedures(_write(tmp_path, [{**BASE, "required_documents": [document]}]))


def test_a_document_listed_twice_is_refused(tmp_path):
    twice = [{"name": "Tờ khai", "required": True, "kinds": []}, {"name": "TỜ KHAI", "required": False, "kinds": []}]
    with pytest.raises(ReferenceDataError, match="twice"):
        load_procedures(_write(tmp_path, [{**BASE, "required_documents": twice}]))


# --- search ---------------------------------------------------------------------------------------------------


def _codes(q, limit=50):
    return [p.code for p in search_procedures(load_procedures(), q, limit)]


@pytest.mark.parametrize(
    "q",
    [
        "khai sinh",
        "KHAI SINH",
        "Khai Sinh",
        "khai sinh",
        "đăng ký khai sinh",
        "dang ky khai sinh",
        "ĐĂNG KÝ KHAI SINH",
        "sinh khai",
        "  khai   sinh  ",
        "khai si",
        "dang ky",
    ],
)
def test_search_finds_birth_registration_with_or_without_tone_marks(q):
    assert _codes(q)[0] == "1.001193"


def test_search_by_code_prefix_and_exact_code_first():
    assert _codes("2.000635") == ["2.000635"]
    assert _codes("2000635") == ["2.000635"]
    assert set(_codes("2.000")) == {"2.000635", "2.000815", "2.000908", "2.000200"}
    assert _codes("1.0011") == ["1.001193"]
    assert _codes("3.") == []


def test_search_ranks_name_starts_before_words_anywhere():
    # "cấp" starts four names and sits inside one more ("Thực hiện, … trợ cấp …"), which comes last.
    found = _codes("cap")
    assert set(found[:4]) == {"2.000635", "2.000908", "2.000200", "1.014137"} and found[4:] == ["1.001776"]
    assert _codes("chung thuc") == ["2.000815"]
    copies = _codes("ban sao")
    assert set(copies) == {"2.000635", "2.000815", "2.000908"}
    assert copies[0] != "2.000815"  # "Chứng thực bản sao…" holds the phrase but does not start with it
    assert _codes("bao hiem y te") == ["1.014137"]
    assert _codes("y te bao hiem") == ["1.014137"]  # any word order
    assert _codes("khai sinh ket hon") == []  # every word must be there
    assert _codes("tro cap hang thang") == ["1.001776"]  # "hằng" folds to "hang"


def test_search_without_query_lists_all_and_respects_the_limit():
    catalogue = load_procedures()
    assert _codes(None) == list(catalogue.procedures) == _codes("   ")
    assert len(_codes(None, limit=2)) == 2 and _codes("cap", limit=1) == _codes("cap")[:1]


def test_search_prefers_the_tone_marks_typed(tmp_path):
    names = ["Cấp bản đồ", "Cấp bàn ghế"]
    path = _write(tmp_path, [{**BASE, "code": f"1.00000{i}", "name": n} for i, n in enumerate(names)])
    catalogue = load_procedures(path)
    assert [p.name for p in search_procedures(catalogue, "cấp bàn")] == ["Cấp bàn ghế", "Cấp bản đồ"]
    assert [p.name for p in search_procedures(catalogue, "cấp bản")] == ["Cấp bản đồ", "Cấp bàn ghế"]


# --- checklist --------------------------------------------------------------------------------------------------


def _items(code, pages):
    procedure = load_procedures().procedures[code]
    return {item.document.name: item for item in checklist(procedure, pages)}, procedure


def test_checklist_of_a_complete_birth_registration():
    procedure = load_procedures().procedures["1.001193"]
    chung_sinh = next(d for d in procedure.required_documents if d.name.startswith("Giấy chứng sinh"))
    pages = [
        (1, "to_khai_khai_sinh"),
        (2, "to_khai_khai_sinh"),
        (3, "cccd_front"),
        (4, "cccd_back"),
        (5, document_key(chung_sinh)),
    ]
    items = checklist(procedure, pages)
    by_name = {i.document.name: i for i in items}
    assert [i.document for i in items] == list(procedure.required_documents)  # the catalogue's order
    assert by_name["Tờ khai đăng ký khai sinh"].pages == (1, 2)  # a form's second page stays with it
    assert by_name["Giấy tờ tùy thân của người đi đăng ký"].pages == (3, 4)  # the card's back joins its front
    assert by_name[chung_sinh.name].present and by_name[chung_sinh.name].pages == (5,)
    assert missing_documents(items) == []
    assert not by_name["Văn bản ủy quyền (nếu nộp thay)"].present


def test_checklist_names_what_is_missing_and_ignores_unknown_pages():
    items, procedure = _items("1.001193", [(1, "cccd_front"), (2, None), (3, "other"), (4, "quyet_dinh")])
    missing = missing_documents(list(items.values()))
    assert missing == [
        "Tờ khai đăng ký khai sinh",
        "Giấy chứng sinh (hoặc văn bản người làm chứng, giấy cam đoan về việc sinh)",
    ]
    assert items["Giấy tờ tùy thân của người đi đăng ký"].pages == (1,)
    assert sum(len(i.pages) for i in items.values()) == 1  # pages of no listed kind count for nothing
    # Optional documents are never missing.
    assert "Giấy chứng nhận kết hôn của cha, mẹ (nếu có)" not in missing
    assert missing_documents(checklist(procedure, [])) == [d.name for d in procedure.required_documents if d.required]


def test_a_page_counts_for_one_document_even_when_kinds_overlap(tmp_path):
    documents = [
        {"name": "Giấy tờ tùy thân của người yêu cầu", "required": True, "kinds": list(IDENTITY)},
        {"name": "Giấy tờ tùy thân của người được ủy quyền", "required": True, "kinds": list(IDENTITY)},
        {"name": "Giấy tờ bất kỳ", "required": False, "kinds": ["cccd_front", "don"]},
    ]
    procedure = load_procedures(_write(tmp_path, [{**BASE, "required_documents": documents}])).procedures["1.000001"]
    one_card = checklist(procedure, [(7, "cccd_front")])
    assert [i.present for i in one_card] == [True, False, False]
    assert missing_documents(one_card) == ["Giấy tờ tùy thân của người được ủy quyền"]
    # Two cards: both identity papers are present; the optional one takes the letter, not a card.
    two = checklist(procedure, [(1, "cccd_front"), (2, "don"), (3, "can_cuoc_front")])
    assert [(i.present, i.pages) for i in two] == [(True, (1,)), (True, (3,)), (True, (2,))]
    # A required document is never left out for an optional one that could take the same page.
    optional_first = [documents[2], documents[0]]
    procedure = load_procedures(_write(tmp_path, [{**BASE, "required_documents": optional_first}])).procedures[
        "1.000001"
    ]
    assert [i.present for i in checklist(procedure, [(1, "cccd_front")])] == [False, True]


def test_copy_certification_accepts_any_recognised_original():
    items, _ = _items("2.000815", [(1, "giay_khai_sinh"), (2, "giay_khai_sinh")])
    assert items["Bản chính giấy tờ, văn bản cần chứng thực"].pages == (1, 2)
    assert missing_documents(list(items.values())) == []
    items, _ = _items("2.000815", [(1, "other")])
    assert missing_documents(list(items.values())) == ["Bản chính giấy tờ, văn bản cần chứng thực"]
