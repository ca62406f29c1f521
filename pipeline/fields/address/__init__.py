"""Vietnamese addresses normalised to the administrative units in force since 1/7/2025.

Since 1/7/2025 Vietnam has 34 province-level units and 3,321 commune-level units and no
district level. Documents printed before that use the old three levels (ward or commune,
district, province; 63 provinces). The text is kept exactly as read (NFC) and the 2025 unit
is added beside it:

- an old ward merged whole into one new ward gives status "exact";
- an old ward split between several new wards ("nhập một phần") gives "ambiguous" with the
  candidate new wards: a reviewer decides, nothing is guessed;
- a unit that cannot be found gives "unknown" (the province may still be known).

Lookups are case- and diacritic-insensitive; returned names come from the data, with their
tone marks, in NFC. Where folding makes two names collide (Cẩm Giang / Cẩm Giàng), the tone
marks of the input decide. An OCR slip is forgiven only when exactly one name is within one
edit (two for names of 8+ letters), and `detail` says so; a tolerant match never turns an
ambiguous case exact. Province names are given in full ("Tỉnh Nghệ An", "Thành phố Hà Nội").

Data: `models/data/admin_units_2025.json`, built at development time by
`scripts/build_admin_units.py` from vietnam-provinces==2025.10.1 (the 34 provinces and 3,321
wards with their official codes; upstream declares GPL-3.0-or-later, the 2025.10.1 wheel
carries no licence; only official names and codes are copied) and vietnamadminunits==1.0.4
(MIT, Tran Ngoc Minh Hieu: the pre-2025 units and the old-to-new ward mapping). Its header
key `_source` records versions, file digests and licences. Nothing is downloaded at run time.

Modules: `keys` (the lookup keys of names), `tokens` (an address split into words, unit-type
words), `catalogue` (the units, read once), `matching` (a name of one scope at the end of a
run of words), `resolve` (an address to its 2025 unit). Callers use the names exported here.
"""

from pipeline.fields.address.catalogue import (
    DATA_FILE,
    AdminUnit,
    Catalogue,
    catalogue,
    data_source,
    provinces,
    wards,
)
from pipeline.fields.address.keys import lookup_key, tone_lookup_key
from pipeline.fields.address.resolve import (
    AMBIGUOUS,
    EXACT,
    UNKNOWN,
    AddressResolution,
    ends_with_province,
    misspelled_units,
    resolve_address,
    resolve_place,
    spelled_as_catalogued,
)
from pipeline.fields.address.tokens import (
    DAC_KHU,
    DISTRICT_KINDS,
    HUYEN,
    PHUONG,
    PROVINCE_KINDS,
    QUAN,
    THANH_PHO,
    THI_TRAN,
    THI_XA,
    TINH,
    WARD_KINDS,
    XA,
    split_unit_type,
)

__all__ = [
    "AMBIGUOUS", "DAC_KHU", "DATA_FILE", "DISTRICT_KINDS", "EXACT", "HUYEN", "PHUONG", "PROVINCE_KINDS", "QUAN",
    "THANH_PHO", "THI_TRAN", "THI_XA", "TINH", "UNKNOWN", "WARD_KINDS", "XA",
    "AddressResolution", "AdminUnit", "Catalogue", "catalogue", "data_source", "ends_with_province", "lookup_key",
    "misspelled_units", "provinces", "resolve_address", "resolve_place", "spelled_as_catalogued", "split_unit_type",
    "tone_lookup_key", "wards",
]  # fmt: skip
