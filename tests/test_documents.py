"""A reviewer's fixes to the documents of a file, through the API on SQLite with pages read by
the real reader (in-process pool, the workers' own `StoredPageReader`):

- a file holding two forms and a card, where the reader took the two forms for one (the second
  form's heading is cut off): split at a page, the second form's fields appear; merged again; a
  reviewer's correction on the card moves with the card to its new place and is kept;
- the card's kind changed to "other": no card number any more, and the correction made on it as
  a card is dropped (and recorded); a card again: its number is found; the same documents once
  more change no field's version;
- a card scanned sideways, read badly; the reviewer turns it (in two turns, the second before
  the page is read again): the page is read again, its fields are found, its image (and the
  package's searchable PDF) is upright, a confirmation made before the turn is kept, its box
  turned with the page;
- refusals: a page missing or twice, an unknown kind, a page past the end (422 PARTS_INVALID),
  a turn that is not a quarter (422), another reviewer's claim (409 DOSSIER_CLAIMED).

Every page is read once per test session: a dossier submitted again with the same file finishes
from the page-result cache.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image
from sqlalchemy import func, select

from intake.auth import Principal, Role
from intake.claims import take_claim
from intake.clock import VIETNAM, FixedClock
from intake.documents import turned_page_key
from intake.processing.dispatcher import Dispatcher
from intake.processing.jobs import JobState, page_key
from intake.records import find_dossier
from intake.service import IntakeService, open_service
from models.document import DocumentKind, PageText
from models.kinds import RULES_BY_KIND
from pipeline.output.package import searchable_pdf
from pipeline.pages.preflight import FileInfo
from pipeline.reader import turn_box
from storage.tables import AccessLogRow, ComponentRow, JobRow, PageResultRow, PageRow
from tests.intake_support import API, RunningApi, assert_error, in_process_dispatcher, make_settings, start_api

pytestmark = [pytest.mark.ocr]

SECOND_REVIEWER = Principal(Role.REVIEWER, "kt.thuhai")


@dataclass(frozen=True)
class Sample:
    name: str
    data: bytes
    truth: list[dict[str, str]]  # each page's printed field values


def _pdf(pages: list[Image.Image]) -> bytes:
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=300)
    return out.getvalue()


def _truth(doc) -> dict[str, str]:  # noqa: ANN001 - a samples.generate.GeneratedDocument
    return {name: spec["value"] for name, spec in doc.truth["fields"].items()}


@pytest.fixture(scope="module")
def forms_and_card() -> Sample:
    """Three pages of one scan: a đơn, a second person's đơn whose top (national heading and
    title) the scanner cut off, and a chip CCCD's front."""
    from samples.generate import generate_document

    first, second, card = (
        generate_document(kind, "clean", seed) for kind, seed in (("don", 11), ("don", 12), ("cccd_front", 13))
    )
    cut = second.pages[0].crop((0, int(second.pages[0].height * 0.18), second.pages[0].width, second.pages[0].height))
    pages = [first.pages[0], cut, card.pages[0]]
    return Sample("don-don-cccd.pdf", _pdf(pages), [_truth(first), _truth(second), _truth(card)])


@pytest.fixture(scope="module")
def sideways_card() -> Sample:
    """A chip CCCD's front fed to the scanner turned a quarter clockwise."""
    from samples.generate import generate_document

    card = generate_document("cccd_front", "clean", 5, orientation=90)
    return Sample("cccd-sideways.png", card.page_files[0], [_truth(card)])


@dataclass
class Env:
    api: RunningApi
    service: IntakeService
    dispatcher: Dispatcher

    def read(self, sample: Sample) -> str:
        """A dossier with `sample` submitted at the counter and read; its code."""
        dossier = self.api.new_dossier()
        assert self.api.upload(dossier["id"], sample.name, sample.data).status_code == 201
        submitted = self.api.client.post(f"{API}/dossiers/{dossier['id']}/submit", headers=self.api.headers("counter"))
        code = submitted.json()["code"]
        self.wait(code)
        return code

    def wait(self, code: str) -> None:
        assert self.dispatcher.run_until(lambda: self.state(code) not in ("queued", "processing"), timeout=300)
        assert self.state(code) == "needs_review"

    def state(self, code: str) -> str:
        with self.service.db.reading() as s:
            return find_dossier(s, code).state

    def review(self, code: str) -> dict:
        response = self.api.client.get(f"{API}/review/dossiers/{code}", headers=self.api.headers("reviewer"))
        assert response.status_code == 200, response.text
        return response.json()

    def set_parts(self, code: str, component_id: int, parts: list[tuple[str, list[int]]], who: str = "reviewer"):  # noqa: ANN201
        body = {"parts": [{"kind": kind, "pages": pages} for kind, pages in parts]}
        return self.api.client.put(
            f"{API}/review/dossiers/{code}/components/{component_id}/parts", json=body, headers=self.api.headers(who)
        )

    def rotate(self, code: str, component_id: int, index: int, degrees: int, who: str = "reviewer"):  # noqa: ANN201
        return self.api.client.post(
            f"{API}/review/dossiers/{code}/components/{component_id}/pages/{index}/rotate",
            json={"degrees": degrees},
            headers=self.api.headers(who),
        )


@pytest.fixture(scope="module")
def env(request, tmp_path_factory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("documents")
    settings = make_settings("local-sqlite", request, tmp)
    clock = FixedClock(datetime(2026, 1, 12, 9, 30, tzinfo=VIETNAM))
    service = open_service(settings, clock=clock)
    pool, dispatcher = in_process_dispatcher(settings, service, clock)
    with start_api(settings, process=False, service=service) as api:
        api.keys["second_reviewer"] = service.keys.create(Role.REVIEWER, SECOND_REVIEWER.subject)
        yield Env(api, service, dispatcher)
    pool.shutdown()


def _fields(component: dict) -> dict[tuple[int, str], dict]:
    return {(f["part"], f["name"]): f for f in component["fields"]}


def _kinds(component: dict) -> list[tuple[str, list[int]]]:
    return [(p["kind"], p["pages"]) for p in component["parts"]]


def _value(component: dict, part: int, name: str) -> str | None:
    field = _fields(component).get((part, name))
    return field["value"] if field else None


def test_split_kind_and_merge_of_a_file_the_reader_split_wrongly(env, forms_and_card):
    code = env.read(forms_and_card)
    component = env.review(code)["components"][0]
    cid = component["id"]
    first, second, card = forms_and_card.truth
    # What the reader made of it: the second đơn, headless, taken for the first one's next page.
    assert _kinds(component) == [("don", [0, 1]), ("cccd_front", [2])]
    assert _value(component, 0, "ho_va_ten") == first["ho_va_ten"]
    assert _value(component, 1, "so_dinh_danh") == card["so_dinh_danh"]

    # A correction on the card (its second document now) is the reviewer's value.
    corrected = env.api.client.put(
        f"{API}/review/dossiers/{code}/components/{cid}/fields/ho_va_ten?part=1",
        json={"value": "NGUYỄN VĂN SỬA"},
        headers=env.api.headers("reviewer"),
    )
    assert corrected.status_code == 200, corrected.text
    version = corrected.json()["version"]

    # Split at the second page: three documents, the second đơn's own fields in the second.
    split = env.set_parts(code, cid, [("don", [0]), ("don", [1]), ("cccd_front", [2])])
    assert split.status_code == 200, split.text
    component = split.json()["components"][0]
    assert _kinds(component) == [("don", [0]), ("don", [1]), ("cccd_front", [2])]
    for name in ("ho_va_ten", "ngay_sinh", "so_dinh_danh"):
        assert _value(component, 0, name) == first[name]
        assert _value(component, 1, name) == second[name]
    assert all(f["page"] == 1 for f in component["fields"] if f["part"] == 1)
    assert not [f for f in component["fields"] if f["part"] == 0 and f["page"] != 0]
    moved = _fields(component)[(2, "ho_va_ten")]  # the card's correction went with the card
    assert moved["value"] == "NGUYỄN VĂN SỬA" and "reviewer" in moved["sources"]
    assert moved["version"] == version + 1
    assert _value(component, 2, "so_dinh_danh") == card["so_dinh_danh"]

    # Merged back as the reader had it: the card's correction moves back to the second document.
    merged = env.set_parts(code, cid, [("don", [0, 1]), ("cccd_front", [2])])
    assert merged.status_code == 200, merged.text
    component = merged.json()["components"][0]
    assert _kinds(component) == [("don", [0, 1]), ("cccd_front", [2])]
    assert _fields(component)[(1, "ho_va_ten")]["value"] == "NGUYỄN VĂN SỬA"
    assert _value(component, 0, "ho_va_ten") == first["ho_va_ten"]
    assert merged.json()["dossier"]["state"] == "needs_review"
    with env.service.db.reading() as s:
        stored = s.get(ComponentRow, cid)
        assert stored is not None and stored.reviewed_parts == [
            {"kind": "don", "pages": [0, 1]},
            {"kind": "cccd_front", "pages": [2]},
        ]
        fixes = s.scalar(
            select(func.count()).where(AccessLogRow.dossier_code == code, AccessLogRow.action == "fix_documents")
        )
    assert fixes == 2


def test_a_kind_changed_reads_the_document_as_that_kind_and_drops_the_old_kinds_reviewer_values(env, forms_and_card):
    code = env.read(forms_and_card)
    card = forms_and_card.truth[2]
    cid = env.review(code)["components"][0]["id"]
    response = env.api.client.put(
        f"{API}/review/dossiers/{code}/components/{cid}/fields/ho_va_ten?part=1",
        json={"value": "NGUYỄN VĂN SỬA"},
        headers=env.api.headers("reviewer"),
    )
    assert response.status_code == 200, response.text

    # Not a card any more: its number is no card number, only a line labelled "Số"; the
    # correction made on the card is no card's value now, and is dropped.
    component = env.set_parts(code, cid, [("don", [0, 1]), ("other", [2])]).json()["components"][0]
    fields = _fields(component)
    assert (1, "so_dinh_danh") not in fields
    assert (
        fields[(1, "ho_va_ten")]["value"] == card["ho_va_ten"] and "reviewer" not in fields[(1, "ho_va_ten")]["sources"]
    )
    with env.service.db.reading() as s:
        detail = s.scalar(
            select(AccessLogRow.detail).where(AccessLogRow.dossier_code == code, AccessLogRow.action == "fix_documents")
        )
    assert detail is not None and f"{cid}/1/ho_va_ten" in detail and "NGUYỄN" not in detail

    # A card again: read as one, its number found by the card's rule.
    component = env.set_parts(code, cid, [("don", [0, 1]), ("cccd_front", [2])]).json()["components"][0]
    assert _kinds(component)[1] == ("cccd_front", [2])
    assert _value(component, 1, "so_dinh_danh") == card["so_dinh_danh"]
    assert (1, "so") not in _fields(component)
    # The same documents again change no field, and no field's version.
    same = env.set_parts(code, cid, [("don", [0, 1]), ("cccd_front", [2])]).json()["components"][0]
    versions = {key: (f["value"], f["status"], f["version"]) for key, f in _fields(component).items()}
    assert {key: (f["value"], f["status"], f["version"]) for key, f in _fields(same).items()} == versions


def test_a_sideways_page_turned_by_the_reviewer_is_read_again_upright(env, sideways_card):
    code = env.read(sideways_card)
    truth = sideways_card.truth[0]
    component = env.review(code)["components"][0]
    cid = component["id"]
    page = component["pages"][0]
    assert page["width"] < page["height"]  # a card standing on its short side
    before = {f["name"]: f["value"] for f in component["fields"]}
    # The premise: read sideways, the card is not read as well as it should be.
    assert any(before.get(name) != value for name, value in truth.items())

    confirmed = env.api.client.post(
        f"{API}/review/dossiers/{code}/components/{cid}/fields/so_dinh_danh/confirm",
        headers=env.api.headers("reviewer"),
    )
    assert confirmed.status_code == 200, confirmed.text
    old_box = confirmed.json()["box"]

    # A quarter back is upright; the reviewer gets there in two turns, the second one before
    # the page is read again.
    turned = env.rotate(code, cid, 0, 90)
    assert turned.status_code == 200, turned.text
    assert turned.json()["state"] == "queued"
    turned = env.rotate(code, cid, 0, 180)
    assert turned.status_code == 200, turned.text
    with env.service.db.reading() as s:
        row = s.scalar(select(PageRow).where(PageRow.component_id == cid))
        stored = s.get(ComponentRow, cid)
        job = s.scalar(select(JobRow).where(JobRow.page_id == row.id))
        assert row.rotation == 270 and stored is not None
        assert row.page_key == turned_page_key(stored.file_sha256, 0, 270) != page_key(stored.file_sha256, 0)
        assert job.state == JobState.QUEUED and job.attempts == 0
    env.wait(code)

    component = env.review(code)["components"][0]
    page = component["pages"][0]
    assert page["width"] > page["height"]  # read lying on its long side, as a card is
    fields = {f["name"]: f for f in component["fields"]}
    for name, value in truth.items():
        if name in RULES_BY_KIND[DocumentKind.CCCD_FRONT].fields and name != "noi_thuong_tru":
            assert fields[name]["value"] == value, name
    kept = fields["so_dinh_danh"]
    assert "reviewer" in kept["sources"] and kept["value"] == truth["so_dinh_danh"]
    assert kept["box"] == list(turn_box(tuple(old_box), page["height"], page["width"], 270))
    assert 0 <= kept["box"][0] < kept["box"][2] <= page["width"] and kept["box"][3] <= page["height"]

    # The page image is drawn turned, in the pixels of the boxes; so is a field's crop.
    image = env.api.client.get(
        f"{API}/review/dossiers/{code}/components/{cid}/pages/0/image", headers=env.api.headers("reviewer")
    )
    assert image.status_code == 200
    with Image.open(io.BytesIO(image.content)) as im:
        assert im.size == (page["width"], page["height"])
        upright = np.asarray(im.convert("L"))
    x0, y0, x1, y1 = fields["ho_va_ten"]["box"]
    assert upright[y0:y1, x0:x1].min() < 128  # ink where the name's box says (dark text)

    # The package's searchable PDF shows the page turned, its text where the reading put it.
    with env.service.db.reading() as s:
        stored = s.get(ComponentRow, cid)
        assert stored is not None
        result = s.get(PageResultRow, (turned_page_key(stored.file_sha256, 0, 270), env.service.ctx.version))
        assert result is not None
        info = FileInfo.from_dict(stored.file_info or {})
    text = PageText.from_dict(result.result)
    pdf = pdfium.PdfDocument(
        searchable_pdf(sideways_card.data, info, [text], env.service.ctx.settings.reading, None, {0: 270})
    )
    try:
        width_pt, height_pt = pdf[0].get_size()
        assert width_pt > height_pt
        assert truth["so_dinh_danh"] in pdf[0].get_textpage().get_text_range()
    finally:
        pdf.close()


def test_turn_box_follows_the_turned_picture():
    page = np.zeros((30, 50), np.uint8)
    page[5:9, 20:35] = 255  # a box (20, 5, 35, 9) on a 50 x 30 page
    for degrees in (90, 180, 270):
        turned = np.rot90(page, k=-degrees // 90)
        x0, y0, x1, y1 = turn_box((20, 5, 35, 9), 50, 30, degrees)
        ys, xs = np.nonzero(turned)
        assert (x0, y0, x1, y1) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1), degrees
    assert turned_page_key("ab" * 32, 3, 0) == turned_page_key("ab" * 32, 3, 360) == page_key("ab" * 32, 3)


def test_a_split_must_hold_every_page_once_and_known_kinds(env, forms_and_card):
    code = env.read(forms_and_card)
    component = env.review(code)["components"][0]
    cid, parts = component["id"], _kinds(component)
    for bad in (
        [("don", [0, 1])],  # page 3 missing
        [("don", [0, 1]), ("cccd_front", [1, 2])],  # page 2 twice
        [("don", [0, 0, 1]), ("cccd_front", [2])],  # page 1 twice in one document
        [("don", [0, 1]), ("cccd_front", [2, 3])],  # no page 4
        [("don", [0, 1]), ("card", [2])],  # not a kind
    ):
        body = assert_error(env.set_parts(code, cid, bad), 422, "PARTS_INVALID")
        assert "trang" in body["message"] or "loại" in body["message"]
    assert_error(env.rotate(code, cid, 0, 45), 422, "INVALID_REQUEST")
    assert_error(env.rotate(code, cid, 7, 90), 404)
    assert _kinds(env.review(code)["components"][0]) == parts
    assert env.state(code) == "needs_review"


def test_a_document_fix_on_a_dossier_another_reviewer_holds_is_refused(env, forms_and_card):
    code = env.read(forms_and_card)
    component = env.review(code)["components"][0]
    cid = component["id"]
    with env.service.db.transaction() as s:
        take_claim(env.service.ctx, find_dossier(s, code, lock=True), SECOND_REVIEWER)
    assert_error(env.set_parts(code, cid, [("don", [0]), ("don", [1]), ("cccd_front", [2])]), 409, "DOSSIER_CLAIMED")
    assert_error(env.rotate(code, cid, 0, 90), 409, "DOSSIER_CLAIMED")
    assert _kinds(env.review(code)["components"][0]) == _kinds(component)
    with env.service.db.reading() as s:
        assert s.scalar(select(PageRow.rotation).where(PageRow.component_id == cid, PageRow.index == 0)) == 0
    assert env.state(code) == "needs_review"
    # The holder may.
    fixed = env.set_parts(code, cid, [("don", [0]), ("don", [1]), ("cccd_front", [2])], who="second_reviewer")
    assert fixed.status_code == 200, fixed.text
