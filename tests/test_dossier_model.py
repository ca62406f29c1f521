"""The dossier domain model: the national status catalogue and the records around it."""

from models.dossier import CLOCK_PAUSED, NationalStatus


def test_national_catalogue_has_the_ten_dvcqg_codes_with_vietnamese_labels():
    assert [s.value for s in NationalStatus] == list(range(1, 11))
    assert NationalStatus(5).label_vi == "Yêu cầu bổ sung giấy tờ"
    assert NationalStatus.DA_TRA_KET_QUA.label_vi == "Đã trả kết quả"
    assert CLOCK_PAUSED == {NationalStatus.YEU_CAU_BO_SUNG, NationalStatus.YEU_CAU_NGHIA_VU_TAI_CHINH}
