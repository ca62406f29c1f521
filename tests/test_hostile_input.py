"""Hostile values at the API's boundary (issue 14, items 9, 12, 13): crafted numbers and cursors,
NUL and control characters, look-alike digits, path-like file names. Nothing here may answer 5xx.
Bodies (size caps while streaming, the one error shape): tests/test_hostile_bodies.py."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import func, update
from sqlalchemy import select as sql_select

from api.boundary import content_disposition
from intake.agency import decode_cursor, encode_cursor
from intake.errors import ServiceError
from intake.filenames import MAX_DISPLAY, display_filename, original_filename
from intake.packaging import build_package
from models.document import PageText, TextSource
from pipeline.output.searchable_pdf import PageImage, build_searchable_pdf
from storage.tables import ComponentRow, DossierRow
from tests.fixtures_files import blank_png
from tests.intake_support import API, BACKENDS, assert_error, make_settings, start_api

pytestmark = [pytest.mark.services, pytest.mark.xdist_group("services")]

HUGE = (2**31, 2**63, 2**64, -1)  # past PostgreSQL's integer (part, index), bigint (ids), SQLite's INTEGER


@pytest.fixture(params=BACKENDS)
def api(request, tmp_path):
    settings = make_settings(request.param, request, tmp_path, intake={"max_upload_bytes": 2_000_000})
    with start_api(settings, process=False) as running:
        yield running


@pytest.fixture
def local_api(request, tmp_path):
    settings = make_settings("local-sqlite", request, tmp_path, intake={"max_upload_bytes": 2_000_000})
    with start_api(settings, process=False) as running:
        yield running


def _submitted(api, name: str = "a.png", png: bytes | None = None) -> tuple[str, dict]:
    dossier = api.new_dossier()
    uploaded = api.upload(dossier["id"], name, png or blank_png())
    assert uploaded.status_code == 201, uploaded.text
    submitted = api.client.post(f"{API}/dossiers/{dossier['id']}/submit", headers=api.headers("counter"))
    assert submitted.status_code == 200, submitted.text
    return submitted.json()["code"], uploaded.json()


def _set_state(api, code: str, state: str) -> None:
    with api.service.db.transaction() as s:
        s.execute(update(DossierRow).where(DossierRow.code == code).values(state=state))


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# --- item 9: crafted numbers and cursors -----------------------------------------------------


def test_crafted_agency_cursors_are_refused_with_a_code(api):
    crafted = [
        json.dumps({"after": 2**63}),
        json.dumps({"after": 2**64 + 1}),
        json.dumps({"after": -1}),
        json.dumps({"after": True}),
        json.dumps({"after": 1.5}),
        json.dumps({"after": "1"}),
        json.dumps([1]),
        "[" * 5000 + "]" * 5000,
        '{"after": ' + "[" * 5000 + "]" * 5000 + "}",
        "not json",
    ]
    cursors = [_cursor(text) for text in crafted] + [
        "%%%",
        "a" * 20_000,
        _cursor("\udc80x".encode("utf-8", "surrogatepass").decode("latin-1")),
    ]
    for cursor in cursors:
        response = api.client.get(f"{API}/agency/dossiers", params={"cursor": cursor}, headers=api.headers("agency"))
        assert_error(response, 400, "INVALID_CURSOR")
    listed = api.client.get(
        f"{API}/agency/dossiers", params={"cursor": encode_cursor(7)}, headers=api.headers("agency")
    )
    assert listed.status_code == 200 and listed.json()["items"] == []


def test_cursor_round_trip_and_bounds():
    assert decode_cursor(encode_cursor(0)) == 0 and decode_cursor(encode_cursor(2**63 - 1)) == 2**63 - 1
    for bad in (encode_cursor(2**63), encode_cursor(-1), _cursor("[" * 100_000), ""):
        with pytest.raises(ServiceError):
            decode_cursor(bad)


def test_out_of_range_ids_in_review_routes_are_refused_not_500(api):
    code, component = _submitted(api)
    _set_state(api, code, "needs_review")
    reviewer = api.headers("reviewer")
    base = f"{API}/review/dossiers/{code}/components"
    for huge in HUGE:
        for response in (
            api.client.get(f"{base}/{huge}/pages/0/image", headers=reviewer),
            api.client.get(f"{base}/{component['id']}/pages/{huge}/image", headers=reviewer),
            api.client.get(f"{base}/{huge}/fields/ho_va_ten/crop", headers=reviewer),
            api.client.get(f"{base}/{component['id']}/fields/ho_va_ten/crop", params={"part": huge}, headers=reviewer),
            api.client.post(f"{base}/{huge}/fields/ho_va_ten/confirm", headers=reviewer),
            api.client.post(
                f"{base}/{component['id']}/fields/ho_va_ten/confirm", params={"part": huge}, headers=reviewer
            ),
            api.client.put(
                f"{base}/{component['id']}/fields/ho_va_ten",
                params={"part": huge},
                json={"value": "Nguyễn Văn A"},
                headers=reviewer,
            ),
        ):
            assert_error(response, (404, 422))
    report = api.client.post(
        f"{API}/agency/dossiers/{code}/status", json={"status": 2**63}, headers=api.headers("agency")
    )
    assert_error(report, (404, 422))


# --- item 9: NUL and control characters ---------------------------------------------------------


def _create(api, applicant: dict):  # noqa: ANN202
    body = {"procedure_code": "2.000200", "service_point_code": "HN-HOANKIEM", "applicant": applicant}
    # As JSON escapes (a lone surrogate has no UTF-8 form, only "\\ud800").
    headers = {**api.headers("counter"), "Content-Type": "application/json"}
    return api.client.post(f"{API}/dossiers", content=json.dumps(body), headers=headers)


def _raw_upload(api, ref: str, filename: bytes, data: bytes):  # noqa: ANN202
    """A multipart upload with the file name's bytes as sent (a client library would escape a NUL)."""
    body = (
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="'
        + filename
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
        + data
        + b"\r\n--b0undary--\r\n"
    )
    headers = {**api.headers("counter"), "Content-Type": "multipart/form-data; boundary=b0undary"}
    return api.client.post(f"{API}/dossiers/{ref}/files", content=body, headers=headers)


def _dossier_count(api) -> int:
    with api.service.db.transaction() as s:
        return s.scalar(sql_select(func.count()).select_from(DossierRow))


@pytest.mark.parametrize(
    ("applicant", "where"),
    [
        ({"full_name": "Nguyễn\x00Văn A"}, "applicant.full_name"),
        ({"full_name": "Nguyễn Văn A", "phone": "0912\x00345678"}, "applicant.phone"),
        ({"full_name": "Nguyễn\x1b[31m Văn A"}, "applicant.full_name"),
        ({"full_name": "Nguyễn Văn A\x7f"}, "applicant.full_name"),
        ({"full_name": "Nguyễn Văn A\x9b"}, "applicant.full_name"),
        ({"full_name": "Nguy\u202eễn Văn A"}, "applicant.full_name"),
        ({"full_name": "Nguyễn Văn \ud800A"}, "applicant.full_name"),
        ({"full_name": "Nguyễn Văn A", "phone": "0912 abc"}, "applicant.phone"),
    ],
)
def test_nul_and_control_characters_are_refused_at_the_boundary(api, applicant, where):
    before = _dossier_count(api)
    body = assert_error(_create(api, applicant), 422, "INVALID_REQUEST")
    assert where in body["message"], body
    assert _dossier_count(api) == before


def test_nul_in_a_filename_path_or_text_is_refused_and_nothing_is_recorded(api):
    dossier = api.new_dossier()
    assert_error(_raw_upload(api, dossier["id"], "giấy\x00tờ.png".encode(), blank_png()), 422, "INVALID_REQUEST")
    with api.service.db.transaction() as s:
        assert s.scalar(sql_select(func.count()).select_from(ComponentRow)) == 0
    counter = api.headers("counter")
    assert_error(api.client.get(f"{API}/dossiers/a%00b", headers=counter), (404, 422))
    assert_error(api.client.get(f"{API}/dossiers/{'y' * 20_000}", headers=counter), (404, 422))
    assert_error(api.client.get(f"{API}/dossiers/a%1Bb%E2%80%AE", headers=counter), (404, 422))
    assert_error(api.client.post(f"{API}/dossiers/a%00b/submit", headers=counter), (404, 422))
    assert_error(api.client.get(f"{API}/agency/dossiers/a%00b/manifest", headers=api.headers("agency")), (404, 422))
    assert_error(
        api.client.post(
            f"{API}/dossiers", json={"procedure_code": "2.000200"}, headers={**counter, "Idempotency-Key": "a\x01b"}
        ),
        (400, 422),
    )

    code, component = _submitted(api)
    _set_state(api, code, "needs_review")
    field = f"{API}/review/dossiers/{code}/components/{component['id']}/fields/ho_va_ten"
    assert_error(api.client.put(field, json={"value": "Nguyễn\x00Văn A"}, headers=api.headers("reviewer")), 422)
    assert_error(
        api.client.put(field.replace("ho_va_ten", "ho%00ten"), json={"value": "A"}, headers=api.headers("reviewer")),
        (404, 422),
    )
    _set_state(api, code, "delivered")
    status = f"{API}/agency/dossiers/{code}/status"
    assert_error(
        api.client.post(status, json={"status": 4, "note": "đang\x00xử lý"}, headers=api.headers("agency")), 422
    )
    fine = api.client.post(status, json={"status": 4, "note": "Dòng một\nDòng hai"}, headers=api.headers("agency"))
    assert fine.status_code == 200, fine.text


# --- item 13: ID numbers ----------------------------------------------------------------------


def test_id_numbers_are_ascii_digits_after_nfkc(api):
    fullwidth = _create(api, {"full_name": "Nguyễn Văn A", "id_number": "００１１９９０００００１"})
    assert fullwidth.status_code == 201, fullwidth.text
    with api.service.db.transaction() as s:
        stored = s.scalar(
            sql_select(DossierRow.applicant_id_number).where(DossierRow.public_id == fullwidth.json()["id"])
        )
    assert stored == "001199000001"
    for lookalike in ("٠٠١١٩٩٠٠٠٠٠١", "۰۰۱۱۹۹۰۰۰۰۰۱", "००११९९००००००१"[:12], "00119900000l", "0011990000011"):
        body = assert_error(_create(api, {"full_name": "Nguyễn Văn A", "id_number": lookalike}), 422, "INVALID_REQUEST")
        assert "applicant.id_number" in body["message"]


# --- item 12: file names ----------------------------------------------------------------------

HOSTILE_NAMES = [
    "../../../../etc/passwd.png",
    "/etc/shadow.png",
    "C:\\Windows\\System32\\drivers.png",
    "\x1b[2J\x1b]0;pwned\x07scan.png",
    "hoa-don-\u202egnp.exe.png",
    "..",
    " .hidden.png",
    "a" * 250 + ".png",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_display_names_have_no_path_control_or_bidi_characters(name):
    shown = display_filename(name)
    assert shown and len(shown) <= MAX_DISPLAY
    assert not any(ch in shown for ch in '/\\:*?"<>|')
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or 0x202A <= ord(ch) <= 0x202E for ch in shown)
    assert not shown.startswith((".", " ")) and ".." not in shown
    if name.endswith(".png") and name != " .hidden.png":
        assert shown.endswith(".png")


def test_original_names_are_data_bounded_and_nul_free():
    assert original_filename("  ../a b.png ") == "  ../a b.png "  # verbatim
    assert original_filename("") == original_filename(None) == "tep-khong-ten"
    assert len(original_filename("x" * 5000)) == 255
    for bad in ("a\x00b.png", "a\udc80.png"):
        with pytest.raises(ServiceError):
            original_filename(bad)


def test_filenames_are_kept_as_data_shown_and_exported_sanitised(local_api, monkeypatch):
    import intake.packaging

    api = local_api
    titles = []

    def searchable_pdf(*args, title: str, **kwargs) -> bytes:  # noqa: ANN002, ANN003
        titles.append(title)  # no OCR here: only the names matter (a real PDF: it is signed)
        page = blank_png(400, 300)
        return build_searchable_pdf([PageImage(page, PageText(0, 400, 300, TextSource.OCR), 300.0)], title=title)

    monkeypatch.setattr(intake.packaging, "searchable_pdf", searchable_pdf)
    dossier = api.new_dossier()
    uploaded = []
    for i, name in enumerate(HOSTILE_NAMES[:5]):
        response = _raw_upload(api, dossier["id"], name.encode(), blank_png(400 + i))
        assert response.status_code == 201, response.text
        body = response.json()
        received = name.rsplit("\\", 1)[-1]  # the multipart parser keeps only the last part of a Windows path
        assert body["original_filename"] == received and body["filename"] == display_filename(name)
        uploaded.append(body)
    shown = api.client.get(f"{API}/dossiers/{dossier['id']}", headers=api.headers("counter")).json()
    assert [c["filename"] for c in shown["components"]] == [display_filename(n) for n in HOSTILE_NAMES[:5]]
    submitted = api.client.post(f"{API}/dossiers/{dossier['id']}/submit", headers=api.headers("counter")).json()
    code = submitted["code"]
    _set_state(api, code, "needs_review")
    review = api.client.get(f"{API}/review/dossiers/{code}", headers=api.headers("reviewer")).json()
    assert [c["filename"] for c in review["components"]] == [display_filename(n) for n in HOSTILE_NAMES[:5]]

    prefix = build_package(api.service.ctx, code).prefix
    with api.service.store.open(prefix + "manifest.json") as stream:
        manifest = json.loads(stream.read())
    shown_names = [display_filename(n) for n in HOSTILE_NAMES[:5]]
    assert [c["original"]["filename"] for c in manifest["components"]] == shown_names
    assert [t.split(" — ", 1)[1] for t in titles] == shown_names
    # Never a path: only content addresses and package names in the store.
    for key in api.service.store.keys():
        assert "passwd" not in key and "etc" not in key.split("/") and "\x1b" not in key and "\u202e" not in key

    with api.service.db.transaction() as s:
        s.execute(update(DossierRow).where(DossierRow.code == code).values(state="validated", package_prefix=prefix))
    pdf = manifest["files"][0]["name"]
    download = api.client.get(f"{API}/agency/dossiers/{code}/files/{pdf}", headers=api.headers("agency"))
    assert download.status_code == 200
    disposition = download.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="') and "filename*=UTF-8''" in disposition


@pytest.mark.parametrize(
    "name",
    ['a"b.pdf', "a\r\nSet-Cookie: x=1.pdf", "hồ sơ.pdf", "../../x.pdf", "a;b=c.pdf", "\u202efdp.exe", "%41.pdf"],
)
def test_content_disposition_is_rfc6266_safe(name):
    header = content_disposition(name)
    header.encode("latin-1")  # a header value is bytes; never anything outside latin-1
    assert header.isascii() and "\r" not in header and "\n" not in header
    plain, extended = header.removeprefix('attachment; filename="').split("\"; filename*=UTF-8''")
    assert '"' not in plain and "\\" not in plain and "/" not in plain
    assert all(ch.isalnum() or ch in "!#$&+-.^_`|~%" for ch in extended), extended
