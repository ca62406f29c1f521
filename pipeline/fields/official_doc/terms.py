"""The words of an official document's layout (Decree 30/2020/NĐ-CP): document types,
issuing bodies and their abbreviations, signer titles, the national header.

Lines are *found* diacritic-insensitively (`FIND`, i.e. `fold`); values are *checked* with
their tone marks (`CHECK`, i.e. `tone_key`), so that "ỦY BẠN NHÂN DÂN" read for "ỦY BAN
NHÂN DÂN" is never confirmed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pipeline.text import fold, tone_key

TextKey = Callable[[str], str]
FIND: TextKey = fold
CHECK: TextKey = tone_key

# Document type abbreviations (Decree 30/2020, appendix III). A symbol whose first part
# after the number is one of these names the type; otherwise it is a công văn's.
DOC_TYPE_ABBREVIATIONS: dict[str, str] = {
    "NQ": "NGHỊ QUYẾT",
    "QĐ": "QUYẾT ĐỊNH",
    "CT": "CHỈ THỊ",
    "QC": "QUY CHẾ",
    "QyĐ": "QUY ĐỊNH",
    "TC": "THÔNG CÁO",
    "TB": "THÔNG BÁO",
    "HD": "HƯỚNG DẪN",
    "CTr": "CHƯƠNG TRÌNH",
    "KH": "KẾ HOẠCH",
    "PA": "PHƯƠNG ÁN",
    "ĐA": "ĐỀ ÁN",
    "DA": "DỰ ÁN",
    "BC": "BÁO CÁO",
    "BB": "BIÊN BẢN",
    "TTr": "TỜ TRÌNH",
    "HĐ": "HỢP ĐỒNG",
    "CĐ": "CÔNG ĐIỆN",
    "BGN": "BẢN GHI NHỚ",
    "BTT": "BẢN THỎA THUẬN",
    "GUQ": "GIẤY ỦY QUYỀN",
    "GM": "GIẤY MỜI",
    "GGT": "GIẤY GIỚI THIỆU",
    "GNP": "GIẤY NGHỈ PHÉP",
    "PG": "PHIẾU GỬI",
    "PC": "PHIẾU CHUYỂN",
    "PB": "PHIẾU BÁO",
    "TT": "THÔNG TƯ",
    "NĐ": "NGHỊ ĐỊNH",
}

# Kinds of issuing body and the abbreviations their documents' symbols use; the longest
# matching name wins ("VĂN PHÒNG ỦY BAN NHÂN DÂN" before "VĂN PHÒNG"). An empty tuple marks
# a body type whose abbreviation is the initials of its type words ("SỞ KHOA HỌC VÀ CÔNG
# NGHỆ" -> SKHCN), which is also tried for every body.
BODY_TYPES: dict[str, tuple[str, ...]] = {
    "ỦY BAN NHÂN DÂN": ("UBND",),
    "UBND": ("UBND",),
    "HỘI ĐỒNG NHÂN DÂN": ("HĐND",),
    "HĐND": ("HĐND",),
    "VĂN PHÒNG ỦY BAN NHÂN DÂN": ("VPUBND", "VP"),
    "VĂN PHÒNG UBND": ("VPUBND", "VP"),
    "VĂN PHÒNG HĐND VÀ UBND": ("VP",),
    "VĂN PHÒNG HỘI ĐỒNG NHÂN DÂN VÀ ỦY BAN NHÂN DÂN": ("VP",),
    "VĂN PHÒNG": ("VP",),
    "CHÍNH PHỦ": ("CP",),
    "THỦ TƯỚNG CHÍNH PHỦ": ("TTg",),
    "BỘ CÔNG AN": ("BCA",),
    "BỘ TƯ PHÁP": ("BTP",),
    "BỘ NỘI VỤ": ("BNV",),
    "BỘ TÀI CHÍNH": ("BTC",),
    "BỘ Y TẾ": ("BYT",),
    "SỞ TƯ PHÁP": ("STP",),
    "SỞ NỘI VỤ": ("SNV",),
    "SỞ TÀI CHÍNH": ("STC",),
    "SỞ XÂY DỰNG": ("SXD",),
    "SỞ Y TẾ": ("SYT",),
    "SỞ GIÁO DỤC VÀ ĐÀO TẠO": ("SGDĐT",),
    "CÔNG AN": ("CA",),
    "BẢO HIỂM XÃ HỘI": ("BHXH",),
    "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG": ("TTPVHCC",),
    "THANH TRA": ("TTr",),
    "TÒA ÁN NHÂN DÂN": ("TA",),
    "VIỆN KIỂM SÁT NHÂN DÂN": ("VKS",),
    "PHÒNG TƯ PHÁP": ("PTP", "TP"),
    "PHÒNG VĂN HÓA - XÃ HỘI": ("VHXH", "PVHXH"),
    "PHÒNG KINH TẾ": ("PKT", "KT"),
    "PHÒNG NỘI VỤ": ("PNV", "NV"),
    "PHÒNG": (),
    "SỞ": (),
    "BỘ": (),
    "CỤC": (),
    "CHI CỤC": (),
    "TỔNG CỤC": (),
    "BAN": (),
    "TRUNG TÂM": (),
}
# Bodies that exist at every level of government, so their name always goes on to a place.
PLACED_BODIES = frozenset(("UBND", "HĐND", "CA"))
# Words that start the place part of a body's name ("ỦY BAN NHÂN DÂN / PHƯỜNG KIM LIÊN").
PLACE_WORDS = ("PHƯỜNG", "XÃ", "THỊ TRẤN", "QUẬN", "HUYỆN", "THỊ XÃ", "THÀNH PHỐ", "TỈNH", "ĐẶC KHU", "TP.")

# Signer block: authority prefixes (thay mặt, ký thay, thừa lệnh, thừa ủy quyền, quyền) and titles.
AUTHORITY_PREFIXES = ("TM", "KT", "TL", "TUQ", "Q")
SIGNER_TITLES = (
    "CHỦ TỊCH",
    "PHÓ CHỦ TỊCH",
    "GIÁM ĐỐC",
    "PHÓ GIÁM ĐỐC",
    "TỔNG GIÁM ĐỐC",
    "PHÓ TỔNG GIÁM ĐỐC",
    "TRƯỞNG PHÒNG",
    "PHÓ TRƯỞNG PHÒNG",
    "CHÁNH VĂN PHÒNG",
    "PHÓ CHÁNH VĂN PHÒNG",
    "BỘ TRƯỞNG",
    "THỨ TRƯỞNG",
    "CỤC TRƯỞNG",
    "PHÓ CỤC TRƯỞNG",
    "VỤ TRƯỞNG",
    "PHÓ VỤ TRƯỞNG",
    "TỔNG CỤC TRƯỞNG",
    "CHI CỤC TRƯỞNG",
    "CHÁNH THANH TRA",
    "PHÓ CHÁNH THANH TRA",
    "TRƯỞNG BAN",
    "PHÓ TRƯỞNG BAN",
    "TRƯỞNG CÔNG AN",
    "PHÓ TRƯỞNG CÔNG AN",
    "THỦ TRƯỞNG",
    "HIỆU TRƯỞNG",
    "THỦ TƯỚNG",
    "PHÓ THỦ TƯỚNG",
    "CHÁNH ÁN",
    "VIỆN TRƯỞNG",
    "CHỦ NHIỆM",
    "TRƯỞNG ĐOÀN",
    "TỔ TRƯỞNG",
    "TRƯỞNG BỘ PHẬN",
)
# Titles of documents that carry their subject under a centred title.
DOCUMENT_TITLES = (
    "QUYẾT ĐỊNH",
    "CHỈ THỊ",
    "THÔNG BÁO",
    "KẾ HOẠCH",
    "BÁO CÁO",
    "TỜ TRÌNH",
    "NGHỊ QUYẾT",
    "QUY CHẾ",
    "QUY ĐỊNH",
    "HƯỚNG DẪN",
    "CHƯƠNG TRÌNH",
    "ĐỀ ÁN",
    "PHƯƠNG ÁN",
)

NATIONAL_HEADER = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")

DOC_TITLE_KEYS = tuple(fold(t) for t in DOCUMENT_TITLES)
DOC_TYPE_KEYS = {fold(k).upper(): k for k in DOC_TYPE_ABBREVIATIONS}  # folded abbreviation -> as written
NATIONAL_KEYS = tuple(fold(t) for t in NATIONAL_HEADER)


def _keyed(names: Iterable[str], key: TextKey) -> list[str]:
    """The names' keys, longest first (so that the longest match wins)."""
    return sorted({key(n) for n in names}, key=len, reverse=True)


_BODIES = {key: _keyed(BODY_TYPES, key) for key in (FIND, CHECK)}
_BODY_ABBREVIATIONS = {key: {key(n): a for n, a in BODY_TYPES.items()} for key in (FIND, CHECK)}
_PLACES = {key: _keyed(PLACE_WORDS, key) for key in (FIND, CHECK)}
_TITLES = {key: _keyed(SIGNER_TITLES, key) for key in (FIND, CHECK)}


def _starts(text_key: str, keys: list[str]) -> str | None:
    """The longest key that is `text_key` or begins it as whole words."""
    for k in keys:
        if text_key == k or text_key.startswith(k + " "):
            return k
    return None


def body_type(text: str, key: TextKey = FIND) -> str | None:
    """The body type (as keyed by `key`) that `text` begins with, or None."""
    return _starts(key(text), _BODIES[key])


def type_abbreviations(body_type_key: str, key: TextKey = FIND) -> tuple[str, ...]:
    """The symbol abbreviations of a body type returned by `body_type(..., key)`."""
    return _BODY_ABBREVIATIONS[key][body_type_key]


def starts_place(text: str, key: TextKey = FIND) -> bool:
    return _starts(key(text), _PLACES[key]) is not None


def starts_title(text: str, key: TextKey = FIND) -> bool:
    return _starts(key(text), _TITLES[key]) is not None
