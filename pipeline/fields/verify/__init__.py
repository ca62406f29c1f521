"""The decision per field: `ok`, `needs_review` or `invalid`, from every source a dossier has.

Sources of a value: the printed text as read (OCR, or a PDF's own text layer), the same
print read by a second recognizer of unrelated design (`pipeline.ocr.second_read`), a card's QR
code, a card's MRZ. A field is
- `ok` when two independent sources agree (two recognizers only letter for letter, each sure
  of every letter of the value, and not on a word the first cannot write right), or when a
  rule validates it (MRZ check digits, a closed vocabulary, a date that must be a milestone
  birthday) on a confident read that the second recognizer, where it read the value, does not
  contradict; or when two recognizers agree on the letters and the field's closed vocabulary
  says which tone marks are right;
- `invalid` when it fails a rule (impossible date, malformed number);
- `needs_review` otherwise: low confidence, sources that disagree, nothing to check it
  against, handwriting, an address unit that cannot be placed, a value that may have been cut
  short at a line wrap (or an address stopping short of its province).
A single low-confidence read is never `ok`; a handwritten value is never `ok`. When the
printed text and the MRZ agree, the value is the printed one (with tone marks), never the
MRZ's stripped form. Names, places and dates come out in one canonical form whatever source
gave them (`canonical`, documented in `models.fields`).

Pure: `verify_parts` takes the documents of one dossier (or one `sohoa process` call) and
returns their fields with final statuses. Modules: `inputs` (what it takes), `codes` (a card's
QR and MRZ, the holder's record), `decide` (one value against its sources), `rules` (the table
of field rules), `places` (place checks), `readers` (what the recognizers cannot write),
`document` (checks across a document's fields), `canonical` (the output forms), `part` (one
document, start to end).
"""

from pipeline.fields.verify.inputs import PartInput, PlaceCatalogue, Thresholds
from pipeline.fields.verify.part import GENERATIONS, verify_part, verify_parts
from pipeline.fields.verify.places import misread_type_words

__all__ = [
    "GENERATIONS",
    "PartInput",
    "PlaceCatalogue",
    "Thresholds",
    "misread_type_words",
    "verify_part",
    "verify_parts",
]
