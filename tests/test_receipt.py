"""The receipt (Giấy tiếp nhận hồ sơ và hẹn trả kết quả): what a citizen takes home and what a
clerk prints. Read back as a user would: the text layer with pdfplumber, the QR code from the
rendered page with zxing-cpp, the page size and the embedded fonts from the file itself."""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pdfplumber
import pypdfium2
import pytest
import zxingcpp
from pdfplumber.page import Page

from pipeline.output.receipt import (
    DEFAULT_FONTS,
    ReceiptData,
    ReceiptDocument,
    render_receipt,
    vietnamese_date,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MM = 72 / 25.4  # PDF points per millimetre
A4 = (210 * MM, 297 * MM)
A5 = (148 * MM, 210 * MM)

DATA = ReceiptData(
    dossier_code="000.00.12.H29-251205-0001",
    center_name="TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG THÀNH PHỐ HÀ NỘI",
    service_point_name="Điểm tiếp nhận phường Hoàn Kiếm",
    applicant_name="Nguyễn Thị Hương",
    applicant_address="Số 12 ngõ 34 phố Hàng Bạc, phường Hoàn Kiếm, thành phố Hà Nội",
    applicant_phone="0912 345 678",
    procedure_code="1.001193",
    procedure_name="Đăng ký khai sinh",
    documents=(
        ReceiptDocument("Tờ khai đăng ký khai sinh", 1, "bản chính"),
        ReceiptDocument("Giấy chứng sinh", 1, "bản chính"),
        ReceiptDocument("Căn cước của người yêu cầu", 2),
    ),
    processing_days=3,
    received_at=datetime(2025, 12, 5, 9, 5, tzinfo=VN),
    appointment=date(2025, 12, 10),
    appointment_time=time(16, 30),
    clerk_name="Trần Văn Minh",
    lookup_url="https://dichvucong.hanoi.gov.vn/tra-cuu/000.00.12.H29-251205-0001?k=7K3M9QX2TB",
    lookup_key="7K3M9QX2TB",
)

LONG = replace(
    DATA,
    applicant_name="Tôn Nữ Hoàng Thị Phương Khánh Huyền Trân Nguyễn Phước",
    applicant_address=(
        "Phòng 1203 tòa nhà Sông Hồng Park View, số 165 đường Thái Hà, tổ dân phố số 7, "
        "phường Đống Đa, thành phố Hà Nội, Việt Nam"
    ),
    procedure_code="1.004873",
    procedure_name=(
        "Đăng ký thường trú, tạm trú, tách hộ, điều chỉnh thông tin về cư trú trong Cơ sở dữ liệu "
        "về cư trú và xác nhận thông tin về cư trú đối với công dân Việt Nam định cư ở nước ngoài"
    ),
    documents=tuple(
        ReceiptDocument(
            f"Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp số {i} kèm văn bản đồng ý của chủ hộ"
            if i % 3 == 0
            else f"Tờ khai thay đổi thông tin cư trú số {i}",
            i % 4 + 1,
            "bản chính" if i % 2 else "bản sao",
        )
        for i in range(1, 41)
    ),
    clerk_name="Công Tằng Tôn Nữ Thị Bích Ngọc Hoàng Phương",
    missing_reason="Công dân cam kết bổ sung giấy xác nhận tình trạng hôn nhân trong 05 ngày làm việc",
)


def _pages_text(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [page.extract_text() or "" for page in doc.pages]


def _flat(pdf: bytes) -> str:
    """All the text, each run of whitespace (line breaks of wrapped paragraphs too) one space."""
    return re.sub(r"\s+", " ", " ".join(_pages_text(pdf)))


def _columns(page: Page, top: float, bottom: float) -> tuple[str, str]:
    """The text of a two-column band (the header, the signatures) column by column, split at
    the widest vertical strip near the middle that no character crosses (none if they touch)."""
    chars = [c for c in page.chars if top <= c["top"] and c["bottom"] <= bottom]
    covered = sorted((c["x0"], c["x1"]) for c in chars)
    best, split, reach = 0.0, page.width / 2, 0.0
    for x0, x1 in covered:
        if 0.3 * page.width < reach and x0 < 0.7 * page.width and x0 - reach > best:
            best, split = x0 - reach, (x0 + reach) / 2
        reach = max(reach, x1)
    assert best > 1.0, "the two columns touch"
    halves = (page.within_bbox((0, top, split, bottom)), page.within_bbox((split, top, page.width, bottom)))
    return tuple(re.sub(r"\s+", " ", h.extract_text() or "") for h in halves)  # type: ignore[return-value]


def _header(pdf: bytes) -> tuple[str, str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        title_top = next(w["top"] for w in page.extract_words() if w["text"] == "GIẤY")
        return _columns(page, 0, title_top)


def _signatures(pdf: bytes) -> tuple[str, str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[-1]
        top = next(w["top"] for w in page.extract_words() if w["text"] == "NGƯỜI")
        return _columns(page, top, page.height - 15 * MM)


def _doc_line(document: ReceiptDocument) -> str:
    return f"{document.name} ({document.copies}, {document.pages} trang)"


@pytest.fixture(scope="module")
def a4() -> bytes:
    return render_receipt(DATA)


def test_every_datum_is_in_the_text_layer_with_its_tone_marks(a4: bytes) -> None:
    text = _flat(a4)
    assert text == unicodedata.normalize("NFC", text)
    unit, motto = _header(a4)
    assert unit == "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG THÀNH PHỐ HÀ NỘI ĐIỂM TIẾP NHẬN PHƯỜNG HOÀN KIẾM"
    assert motto == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc"
    assert _signatures(a4) == (
        "NGƯỜI NỘP HỒ SƠ (Ký và ghi rõ họ tên) Nguyễn Thị Hương",
        "NGƯỜI TIẾP NHẬN HỒ SƠ (Ký và ghi rõ họ tên) Trần Văn Minh",
    )
    expected = [
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        "Mã hồ sơ: 000.00.12.H29-251205-0001",
        "Mã tra cứu: 7K3M9QX2TB",
        "Điểm tiếp nhận phường Hoàn Kiếm tiếp nhận hồ sơ của:",
        "Ông/Bà: Nguyễn Thị Hương",
        "Địa chỉ: Số 12 ngõ 34 phố Hàng Bạc, phường Hoàn Kiếm, thành phố Hà Nội",
        "Số điện thoại: 0912 345 678",
        "Nội dung yêu cầu giải quyết: Đăng ký khai sinh (mã thủ tục: 1.001193)",
        "Thành phần hồ sơ nộp gồm:",
        "1. Tờ khai đăng ký khai sinh (bản chính, 1 trang)",
        "2. Giấy chứng sinh (bản chính, 1 trang)",
        "3. Căn cước của người yêu cầu (bản sao, 2 trang)",
        "Số lượng hồ sơ: 01 (bộ)",
        "Thời gian giải quyết hồ sơ theo quy định là: 3 ngày làm việc",
        "Thời gian nhận hồ sơ: 09 giờ 05 phút, ngày 05 tháng 12 năm 2025",
        "Thời gian trả kết quả giải quyết hồ sơ: 16 giờ 30 phút, ngày 10 tháng 12 năm 2025",
        "Đăng ký nhận kết quả tại: Bộ phận Một cửa",
    ]
    assert [line for line in expected if line not in text] == []
    assert "Ghi chú" not in text  # nothing was missing
    assert "Trang 1/" not in text  # a one-page receipt needs no page numbers


def test_the_qr_code_reads_back_as_the_look_up_link_beside_the_dossier_code(a4: bytes) -> None:
    for pdf in (a4, render_receipt(DATA, paper="A5")):
        page = pypdfium2.PdfDocument(pdf)[0]
        image = page.render(scale=150 / 72).to_pil()
        found = zxingcpp.read_barcodes(image)
        assert [(b.format, b.text) for b in found] == [(zxingcpp.BarcodeFormat.QRCode, DATA.lookup_url)]
        # Beside "Mã hồ sơ", in the upper part of the first page.
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            first = doc.pages[0]
            code_top = next(w["top"] for w in first.extract_words() if w["text"] == DATA.dossier_code)
        qr_top = found[0].position.top_left.y * 72 / 150
        qr_bottom = found[0].position.bottom_left.y * 72 / 150
        assert qr_top - 5 * MM < code_top < qr_bottom + 5 * MM


@pytest.mark.parametrize(("paper", "size"), [("A4", A4), ("A5", A5)])
def test_page_size_and_embedded_vietnamese_fonts(paper: str, size: tuple[float, float]) -> None:
    pdf = render_receipt(DATA, paper=paper)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        assert len(doc.pages) == 1
        assert doc.pages[0].width == pytest.approx(size[0], abs=0.5)
        assert doc.pages[0].height == pytest.approx(size[1], abs=0.5)
        descriptors = []
        for xref in doc.doc.xrefs:
            for objid in xref.get_objids():
                obj = doc.doc.getobj(objid)
                if isinstance(obj, dict) and getattr(obj.get("Type"), "name", None) == "FontDescriptor":
                    descriptors.append(obj)
        fonts = {c["fontname"] for c in doc.pages[0].chars}
    assert descriptors, "no font descriptor: the text uses a non-embedded core font"
    assert all("FontFile2" in d for d in descriptors)  # TrueType program embedded in each
    assert all("LiberationSerif" in name for name in fonts)


def test_paper_other_than_a4_or_a5_is_refused() -> None:
    with pytest.raises(ValueError, match="A4"):
        render_receipt(DATA, paper="Letter")


def test_long_inputs_wrap_inside_the_page_and_flow_to_more_pages_without_overlap() -> None:
    for paper, (width, height) in (("A5", A5), ("A4", A4)):
        pdf = render_receipt(LONG, paper=paper)
        pages = _pages_text(pdf)
        assert len(pages) >= 2
        text = _flat(pdf)
        for datum in (
            f"Ông/Bà: {LONG.applicant_name}",
            f"Địa chỉ: {LONG.applicant_address}",
            f"{LONG.procedure_name} (mã thủ tục: 1.004873)",
            f"Lý do: {LONG.missing_reason}",
        ):
            assert datum in text
        left, right = _signatures(pdf)
        assert left == f"NGƯỜI NỘP HỒ SƠ (Ký và ghi rõ họ tên) {LONG.applicant_name}"
        assert right == f"NGƯỜI TIẾP NHẬN HỒ SƠ (Ký và ghi rõ họ tên) {LONG.clerk_name}"
        # Every document, numbered, in order, with its page count.
        positions = [text.find(f"{i}. {_doc_line(d)}") for i, d in enumerate(LONG.documents, 1)]
        assert -1 not in positions and positions == sorted(positions)
        # Wrapped, not run off the edge: the address starts and ends on different lines.
        lines = pages[0].splitlines()
        start = next(i for i, line in enumerate(lines) if "Phòng 1203" in line)
        assert not lines[start].rstrip().endswith("Việt Nam")
        assert all(f"Trang {n}/{len(pages)}" in page for n, page in enumerate(pages, 1))
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            for page in doc.pages:
                _assert_inside_margins_and_apart(page, width, height)


def _assert_inside_margins_and_apart(page: Page, width: float, height: float) -> None:
    margin = 10 * MM * width / A4[0]  # the margins scale with the paper
    words = page.extract_words()
    for word in words:
        assert word["x0"] >= margin and word["x1"] <= width - margin, word
        assert word["top"] >= margin, word
        # Only the page footer ("Mã hồ sơ … - Trang 1/3") lies in the bottom margin.
        assert word["bottom"] <= height - margin or word["top"] > height - 1.1 * margin, word
        assert word["bottom"] <= height - 4 * MM, word
    boxes = [(w["x0"], w["top"], w["x1"], w["bottom"]) for w in words]
    if page.page_number == 1:  # the QR code: filled squares, none over a word
        squares = page.rects
        assert squares
        boxes.append(
            (
                min(r["x0"] for r in squares),
                min(r["top"] for r in squares),
                max(r["x1"] for r in squares),
                max(r["bottom"] for r in squares),
            )
        )
    overlaps = [
        (a, b)
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if min(a[2], b[2]) - max(a[0], b[0]) > 0.3 and min(a[3], b[3]) - max(a[1], b[1]) > 0.3
    ]
    assert overlaps == []


def test_same_day_procedure_and_missing_address_phone() -> None:
    data = replace(
        DATA,
        processing_days=0,
        appointment=date(2025, 12, 5),
        appointment_time=None,
        applicant_address=None,
        applicant_phone=None,
    )
    text = _flat(render_receipt(data))
    assert "Thời gian giải quyết hồ sơ theo quy định là: trong ngày" in text
    assert "0 ngày" not in text
    assert "Thời gian trả kết quả giải quyết hồ sơ: ngày 05 tháng 12 năm 2025" in text
    assert "None" not in text
    assert re.search(r"Địa chỉ: …+ Số điện thoại: …+", text)


def test_times_are_printed_in_vietnam_time_with_the_decree_30_zero_padding() -> None:
    # 01:07 UTC on 3 February is 08:07 in Vietnam; the day and months 1-2 are zero-padded.
    data = replace(
        DATA, received_at=datetime(2025, 2, 3, 1, 7, tzinfo=UTC), appointment=date(2025, 3, 7), appointment_time=time(8)
    )
    text = _flat(render_receipt(data))
    assert "Thời gian nhận hồ sơ: 08 giờ 07 phút, ngày 03 tháng 02 năm 2025" in text
    assert "Thời gian trả kết quả giải quyết hồ sơ: 08 giờ 00 phút, ngày 07 tháng 3 năm 2025" in text
    assert vietnamese_date(date(2025, 1, 9)) == "ngày 09 tháng 01 năm 2025"
    assert vietnamese_date(date(2025, 11, 20)) == "ngày 20 tháng 11 năm 2025"


def test_missing_document_reason_is_printed_as_a_note() -> None:
    text = _flat(render_receipt(replace(DATA, missing_reason="Công dân sẽ bổ sung  giấy chứng sinh sau")))
    assert "Ghi chú: Hồ sơ được tiếp nhận khi còn thiếu thành phần hồ sơ bắt buộc." in text
    assert "Lý do: Công dân sẽ bổ sung giấy chứng sinh sau" in text


def test_decomposed_input_comes_out_composed() -> None:
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Hương")
    assert nfd != "Nguyễn Thị Hương"
    text = _flat(render_receipt(replace(DATA, applicant_name=nfd)))
    assert "Ông/Bà: Nguyễn Thị Hương" in text


def test_same_data_same_bytes(a4: bytes) -> None:
    assert render_receipt(DATA) == a4
    assert render_receipt(replace(DATA, dossier_code="000.00.12.H29-251205-0002")) != a4


def test_missing_font_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "LiberationSerif-Bold.ttf"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        render_receipt(DATA, fonts={**DEFAULT_FONTS, "B": missing})


def test_naive_time_and_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        render_receipt(replace(DATA, received_at=datetime(2025, 12, 5, 9, 5)))
    with pytest.raises(ValueError, match="processing_days"):
        render_receipt(replace(DATA, processing_days=-1))
    with pytest.raises(ValueError, match="pages"):
        render_receipt(replace(DATA, documents=(ReceiptDocument("Giấy chứng sinh", -2),)))


def test_without_a_look_up_link_the_qr_code_holds_the_dossier_code() -> None:
    pdf = render_receipt(replace(DATA, lookup_url=None, lookup_key=None))
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=150 / 72).to_pil()
    assert [b.text for b in zxingcpp.read_barcodes(image)] == [DATA.dossier_code]
    assert "Mã tra cứu" not in _flat(pdf)


def test_a_long_dossier_code_keeps_its_qr_code_clear_of_the_text() -> None:
    code = "000.00.12.H29-251205-0001-BS-LAN-2-DIEU-CHINH-THONG-TIN"
    link = f"https://dichvucong.hanoi.gov.vn/tra-cuu/{code}?k=7K3M9QX2TB"
    pdf = render_receipt(replace(DATA, dossier_code=code, lookup_url=link), paper="A5")
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=200 / 72).to_pil()
    assert [b.text for b in zxingcpp.read_barcodes(image)] == [link]
    assert f"Mã hồ sơ: {code}" in _flat(pdf)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        _assert_inside_margins_and_apart(doc.pages[0], *A5)
