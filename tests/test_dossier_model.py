"""The dossier domain model: the national status catalogue and the records around it."""

from datetime import datetime

from models.document import DocumentKind, FieldStatus
from models.dossier import (
    CLOCK_PAUSED,
    Agency,
    Applicant,
    Component,
    ComponentSource,
    Dossier,
    DossierField,
    NationalStatus,
    ProcessingState,
    Provenance,
    ReviewEdit,
    ServicePoint,
)


def test_national_catalogue_has_the_ten_dvcqg_codes_with_vietnamese_labels():
    assert [s.value for s in NationalStatus] == list(range(1, 11))
    assert NationalStatus(5).label_vi == "Yêu cầu bổ sung giấy tờ"
    assert NationalStatus.DA_TRA_KET_QUA.label_vi == "Đã trả kết quả"
    assert CLOCK_PAUSED == {NationalStatus.YEU_CAU_BO_SUNG, NationalStatus.YEU_CAU_NGHIA_VU_TAI_CHINH}


def test_receiving_point_and_competent_agency_are_separate():
    dossier = Dossier(
        code="000.00.12.H29-251205-0001",
        procedure_code="2.000635",
        service_point=ServicePoint("HN-CG", "Điểm phục vụ phường Cầu Giấy", "00166"),
        agency=Agency("000.00.12.H29", "UBND phường Ba Đình"),
        applicant=Applicant("Nguyễn Thị Phượng", "001190012345"),
        received_at=datetime(2025, 12, 5, 9, 30),
        due_at=None,
    )
    assert dossier.service_point.name != dossier.agency.name
    assert dossier.status == NationalStatus.DUOC_TIEP_NHAN
    assert dossier.state == ProcessingState.DRAFT


def test_a_reviewed_field_keeps_its_history_and_is_final():
    field = DossierField("ho_va_ten", "NGUYÊN VĂN HẢI", 0.81, 0, (10, 10, 200, 40), FieldStatus.NEEDS_REVIEW,
                         Provenance.OCR)
    assert not field.reviewed
    edit = ReviewEdit("ho_va_ten", "reviewer-07", datetime(2025, 12, 5, 10), field.value, "NGUYỄN VĂN HẢI")
    field.edits.append(edit)
    field.value, field.provenance, field.status = edit.new_value, Provenance.REVIEWER, FieldStatus.OK
    assert field.reviewed and field.edits[0].old_value == "NGUYÊN VĂN HẢI"
    component = Component(DocumentKind.CCCD_FRONT, ComponentSource.SCAN, "ab" * 32, fields={"ho_va_ten": field})
    assert component.fields["ho_va_ten"].value == "NGUYỄN VĂN HẢI"
