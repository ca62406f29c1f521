"""End to end on both backend sets (local directory + SQLite, real S3 + PostgreSQL): a
generated 10-page dossier goes from the counter through Ray OCR and review to the agency."""

from __future__ import annotations

import hashlib
import json

import httpx
import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from storage.tables import AccessLogRow, ReviewEditRow
from tests.intake_support import API, BACKENDS, make_settings, start_api, ten_page_dossier

pytestmark = [pytest.mark.services, pytest.mark.ocr, pytest.mark.xdist_group("services")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_ten_page_dossier_from_counter_to_agency(backend, request, tmp_path, local_ray):
    settings = make_settings(backend, request, tmp_path)
    files = ten_page_dossier()
    with start_api(settings) as api:
        dossier = api.new_dossier("2.000200")  # căn cước: Công an thành phố (000.00.20.H26)
        assert dossier["state"] == "draft" and dossier["code"] is None
        for f in files:
            response = api.upload(dossier["id"], f.name, f.data)
            assert response.status_code == 201, response.text
            assert response.json()["page_count"] == f.pages

        submitted = api.client.post(f"{API}/dossiers/{dossier['id']}/submit", headers=api.headers("counter")).json()
        code = submitted["code"]
        assert code.startswith("000.00.01.H26-") and code.endswith("-0001")
        assert submitted["due_date"] > submitted["received_at"][:10]  # 7 working days ahead
        assert submitted["progress"]["pages_total"] == 10

        done = api.wait_processed(code)
        assert done["state"] == "needs_review", done["attention_reason"]
        assert done["progress"] == {"pages_total": 10, "pages_done": 10, "pages_failed": 0}

        # The reviewer sees pages, lines and fields with boxes, and the dossier in the queue.
        queue = api.client.get(f"{API}/review/queue", headers=api.headers("reviewer")).json()
        assert [item["code"] for item in queue] == [code]
        review = api.client.get(f"{API}/review/dossiers/{code}", headers=api.headers("reviewer")).json()
        components = review["components"]
        assert [c["filename"] for c in components] == [f.name for f in files]
        for component, f in zip(components, files, strict=True):
            assert len(component["pages"]) == f.pages
            assert all(page["lines"] for page in component["pages"])
            if not f.name.endswith(".pdf"):
                assert component["kind"] == f.kind
        card = next(c for c, f in zip(components, files, strict=True) if f.kind == "cccd_front")
        card_truth = next(f.truth_fields for f in files if f.kind == "cccd_front")
        card_fields = {field["name"]: field for field in card["fields"]}
        for name in ("so_dinh_danh", "ho_va_ten", "ngay_sinh", "gioi_tinh"):
            assert card_fields[name]["value"] == card_truth[name]
            assert card_fields[name]["sources"][0] == "ocr"
            x0, y0, x1, y1 = card_fields[name]["box"]
            assert 0 <= x0 < x1 and 0 <= y0 < y1
        born_digital = components[0]
        assert {p["text_source"] for p in born_digital["pages"]} == {"pdf_text"}

        # A correction is recorded with who, when, old and new.
        corrected = api.client.put(
            f"{API}/review/dossiers/{code}/components/{card['id']}/fields/ho_va_ten",
            json={"value": "NGUYỄN THỊ HIỀN"},
            headers=api.headers("reviewer"),
        )
        assert corrected.status_code == 200, corrected.text
        edit = corrected.json()["edits"][-1]
        assert edit["reviewer"] == "kt.kiemtra" and edit["old_value"] == card_truth["ho_va_ten"]
        assert edit["new_value"] == "NGUYỄN THỊ HIỀN" and corrected.json()["sources"] == ["reviewer"]

        # Approval waits until every doubtful field was confirmed or corrected by a person.
        approve_url = f"{API}/review/dossiers/{code}/approve"
        doubtful = [
            (c["id"], f)
            for c in review["components"]
            for f in c["fields"]
            if f["status"] != "ok" and not (c["id"] == card["id"] and f["name"] == "ho_va_ten")
        ]
        assert doubtful, "a 10-page dossier with forms and cards always leaves something to review"
        refused = api.client.post(approve_url, headers=api.headers("reviewer"))
        assert refused.status_code == 409 and refused.json()["code"] == "FIELDS_UNRESOLVED"
        assert str(len(doubtful)) in refused.json()["message"]
        confirmed = 0
        for component_id, f in doubtful:
            url = f"{API}/review/dossiers/{code}/components/{component_id}/fields/{f['name']}"
            answer = api.client.post(f"{url}/confirm", params={"part": f["part"]}, headers=api.headers("reviewer"))
            if answer.status_code == 422:  # a value that fails its rule cannot be confirmed, only corrected
                assert answer.json()["code"] == "FIELD_VALUE_INVALID"
                answer = api.client.put(
                    url, params={"part": f["part"]}, json={"value": "01/01/2000"}, headers=api.headers("reviewer")
                )
            else:
                confirmed += 1
                assert answer.json()["value"] == f["value"] and answer.json()["edits"][-1]["action"] == "confirm"
            assert answer.status_code == 200 and answer.json()["status"] == "ok", answer.text
        approved = api.client.post(approve_url, headers=api.headers("reviewer"))
        assert approved.status_code == 200 and approved.json()["state"] == "validated"

        # The competent agency lists it, reads the manifest and downloads every file.
        agency = api.headers("agency")
        listing = api.client.get(f"{API}/agency/dossiers", headers=agency).json()
        assert [item["code"] for item in listing["items"]] == [code]
        manifest = api.client.get(f"{API}/agency/dossiers/{code}/manifest", headers=agency).json()
        assert manifest["dossier"]["code"] == code and manifest["dossier"]["agency"]["code"] == "000.00.20.H26"
        assert len(manifest["components"]) == len(files)
        fields = manifest["components"][2]["fields"]
        assert fields["ho_va_ten"]["value"] == "NGUYỄN THỊ HIỀN"
        assert fields["ho_va_ten"]["sources"] == ["reviewer"] and fields["ho_va_ten"]["edits"]
        assert fields["so_dinh_danh"]["sources"][0] == "ocr"
        assert {c["original"]["sha256"] for c in manifest["components"]} == {
            hashlib.sha256(f.data).hexdigest() for f in files
        }
        downloaded = {}
        for entry in manifest["files"]:
            response = api.client.get(
                f"{API}/agency/dossiers/{code}/files/{entry['name']}", headers=agency, follow_redirects=False
            )
            if backend == "s3-postgres":
                assert response.status_code == 307  # a short-lived presigned URL on the S3 server
                content = httpx.get(response.headers["location"]).content
            else:
                assert response.status_code == 200
                content = response.content
            assert hashlib.sha256(content).hexdigest() == entry["sha256"]
            downloaded[entry["name"]] = content

        # fields.json: each value with its status, sources and who confirmed or corrected it.
        delivered = json.loads(downloaded["fields.json"])
        card_key = next(k for k in delivered if k.startswith("03-"))
        assert delivered[card_key]["ho_va_ten"]["value"] == "NGUYỄN THỊ HIỀN"
        assert delivered[card_key]["ho_va_ten"]["reviewed_by"]["reviewer"] == "kt.kiemtra"
        assert delivered[card_key]["ho_va_ten"]["reviewed_by"]["action"] == "correct"
        every = [f for doc in delivered.values() for f in doc.values()]
        assert all(f["status"] == "ok" for f in every)
        assert sum(1 for f in every if f["reviewed_by"] and f["reviewed_by"]["action"] == "confirm") == confirmed

        # Each component PDF is searchable: the card's text layer holds what was read.
        pdf_names = sorted(name for name in downloaded if name.endswith(".pdf"))
        assert len(pdf_names) == len(files)
        card_pdf = pdfium.PdfDocument(downloaded[pdf_names[2]])
        text = card_pdf[0].get_textpage().get_text_range()
        assert card_truth["so_dinh_danh"] in text and card_truth["ho_va_ten"] in text

        # Another agency sees nothing of it.
        other = api.headers("other_agency")
        assert api.client.get(f"{API}/agency/dossiers", headers=other).json()["items"] == []
        for path in (f"/agency/dossiers/{code}/manifest", f"/agency/dossiers/{code}/files/fields.json"):
            response = api.client.get(API + path, headers=other)
            assert response.status_code == 404 and response.json()["code"] == "DOSSIER_NOT_FOUND"
        assert api.client.post(f"{API}/agency/dossiers/{code}/ack", headers=other).status_code == 404

        # Receipt, then a national-catalogue status.
        ack = api.client.post(f"{API}/agency/dossiers/{code}/ack", headers=agency).json()
        assert ack["state"] == "delivered"
        assert api.client.get(f"{API}/agency/dossiers", headers=agency).json()["items"] == []
        status = api.client.post(f"{API}/agency/dossiers/{code}/status", json={"status": 4}, headers=agency)
        assert status.json()["national_status"] == 4 and status.json()["national_status_label"] == "Đang xử lý"
        refused = api.client.post(f"{API}/agency/dossiers/{code}/status", json={"status": 1}, headers=agency)
        assert refused.status_code == 422 and refused.json()["code"] == "STATUS_NOT_ALLOWED"

        with api.service.db.transaction() as s:
            actions = {(row.principal, row.action) for row in s.scalars(select(AccessLogRow))}
            assert len(s.scalars(select(ReviewEditRow)).all()) == 1 + len(doubtful)
        assert {
            ("kt.kiemtra", "view"),
            ("kt.kiemtra", "approve"),
            ("000.00.20.H26", "manifest"),
            ("000.00.20.H26", "export"),
        } <= actions
