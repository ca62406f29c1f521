"""A structural check of the PDF/A-2b rules that can be checked without rendering (pure).

Not a full validator: veraPDF (the reference, from Maven) cannot be installed here, so this
checks what the package's PDFs could get wrong — the file header, no encryption, the trailer
ID, an sRGB output intent with its ICC profile, XMP that says PDF/A-2 conformance B and agrees
with the information dictionary, every font embedded, no JavaScript or launch actions, printable
annotations, no interpolated images, no embedded files. It reads the last revision, so a signature
added as an incremental update is checked too. docs/SIGNING.md says what it does not check.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DC = "{http://purl.org/dc/elements/1.1/}"
PDF_NS = "{http://ns.adobe.com/pdf/1.3/}"
_HEADER = re.compile(rb"%PDF-1\.[0-7]\r?\n?%[\x80-\xff]{4}")
_FORBIDDEN_ACTIONS = {"/JavaScript", "/Launch", "/Sound", "/Movie", "/ResetForm", "/ImportData", "/Hide"}
_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
# Annotation flags (PDF 32000-1, 12.5.3): Print must be set; Invisible, Hidden, NoView and
# ToggleNoView must not.
_PRINT, _NOT_ALLOWED = 4, 1 | 2 | 32 | 256


def pdfa_problems(data: bytes) -> list[str]:
    """The PDF/A-2b rules `data` breaks, of those checked here; empty when none."""
    if not _HEADER.match(data[:32]):
        return ["header: not %PDF-1.x followed by a comment of four binary bytes"]
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
    except Exception as exc:  # noqa: BLE001  (not readable as a PDF: not a PDF/A)
        return [f"not a readable PDF ({type(exc).__name__})"]
    trailer = reader.trailer.flatten()  # the last revision's view
    if "/Encrypt" in trailer:
        return ["encrypted"]
    problems = []
    ids = trailer.get("/ID")
    if not isinstance(ids, generic.ArrayObject) or len(ids) != 2:
        problems.append("trailer: no file identifier (/ID)")
    root = reader.root
    problems += _output_intent_problems(root)
    problems += _metadata_problems(root, trailer)
    problems += _action_problems(root)
    for number, page in enumerate(_pages(root), start=1):
        problems += [f"page {number}: {p}" for p in _page_problems(page)]
    if "/EmbeddedFiles" in _get(root, "/Names", {}):
        problems.append("embedded files")
    return problems


def is_pdfa_2b(data: bytes) -> bool:
    return not pdfa_problems(data)


def _get(dictionary: object, key: str, default: object = None) -> Any:  # a PDF object: any of its kinds
    if not isinstance(dictionary, generic.DictionaryObject):
        return default
    value = dictionary.get(key, default)
    return value.get_object() if isinstance(value, generic.IndirectObject) else value


def _output_intent_problems(root: generic.DictionaryObject) -> list[str]:
    intents = _get(root, "/OutputIntents")
    pdfa = [i for i in (intents or []) if _get(i.get_object(), "/S") == "/GTS_PDFA1"]
    if not pdfa:
        return ["no PDF/A output intent (/GTS_PDFA1)"]
    profile = _get(pdfa[0].get_object(), "/DestOutputProfile")
    if not isinstance(profile, generic.StreamObject):
        return ["output intent without an ICC profile (/DestOutputProfile)"]
    icc = profile.data
    if len(icc) < 128 or icc[36:40] != b"acsp":
        return ["output intent: the ICC profile is not an ICC profile"]
    if icc[16:20] != b"RGB " or _get(profile, "/N") != 3:
        return ["output intent: the ICC profile is not an RGB one (/N 3)"]
    return []


def _metadata_problems(root: generic.DictionaryObject, trailer: generic.DictionaryObject) -> list[str]:
    metadata = _get(root, "/Metadata")
    if not isinstance(metadata, generic.StreamObject):
        return ["no XMP metadata stream"]
    if "/Filter" in metadata:
        return ["XMP metadata stream is filtered"]
    try:
        xmp = ET.fromstring(metadata.data.decode("utf-8").strip().split("?>", 1)[1].rsplit("<?xpacket", 1)[0])
    except (ET.ParseError, UnicodeDecodeError, IndexError):
        return ["XMP metadata not readable"]
    part, conformance = _xmp_value(xmp, PDFAID, "part"), _xmp_value(xmp, PDFAID, "conformance")
    if (part, conformance) != ("2", "B"):
        return [f"XMP does not say PDF/A-2b (part {part}, conformance {conformance})"]
    info = _get(trailer, "/Info")
    problems = []
    title = _get(info, "/Title")
    if title is not None and str(title) != (_xmp_title(xmp) or ""):
        problems.append("information dictionary /Title differs from XMP dc:title")
    producer = _get(info, "/Producer")
    if producer is not None and str(producer) != (_xmp_value(xmp, PDF_NS, "Producer") or ""):
        problems.append("information dictionary /Producer differs from XMP pdf:Producer")
    return problems


def _xmp_value(xmp: ET.Element, namespace: str, name: str) -> str | None:
    """A simple XMP property, written as an attribute or as an element of an rdf:Description."""
    for description in xmp.iter(f"{RDF}Description"):
        if (value := description.get(namespace + name)) is not None:
            return value.strip()
        element = description.find(namespace + name)
        if element is not None and element.text is not None:
            return element.text.strip()
    return None


def _xmp_title(xmp: ET.Element) -> str | None:
    for item in xmp.iter(f"{DC}title"):
        for li in item.iter(f"{RDF}li"):
            return li.text or ""
    return None


def _action_problems(root: generic.DictionaryObject) -> list[str]:
    problems = []
    if "/AA" in root:
        problems.append("document additional actions (/AA)")
    if "/JavaScript" in _get(root, "/Names", {}):
        problems.append("document JavaScript")
    open_action = _get(root, "/OpenAction")
    if isinstance(open_action, generic.DictionaryObject) and _get(open_action, "/S") in _FORBIDDEN_ACTIONS:
        problems.append(f"open action {_get(open_action, '/S')}")
    return problems


def _pages(root: generic.DictionaryObject) -> Iterator[generic.DictionaryObject]:
    stack = [_get(root, "/Pages")]
    while stack:
        node = stack.pop()
        if not isinstance(node, generic.DictionaryObject):
            continue
        if _get(node, "/Type") == "/Page":
            yield node
        else:
            stack += [kid.get_object() for kid in reversed(_get(node, "/Kids", []) or [])]


def _page_problems(page: generic.DictionaryObject) -> list[str]:
    problems = []
    if "/AA" in page:
        problems.append("additional actions (/AA)")
    for annotation in _get(page, "/Annots", []) or []:
        problems += _annotation_problems(annotation.get_object())
    problems += _resource_problems(_get(page, "/Resources"), set())
    return problems


def _annotation_problems(annotation: generic.DictionaryObject) -> list[str]:
    kind = _get(annotation, "/Subtype")
    problems = []
    action = _get(annotation, "/A")
    if isinstance(action, generic.DictionaryObject) and _get(action, "/S") in _FORBIDDEN_ACTIONS:
        problems.append(f"annotation action {_get(action, '/S')}")
    if kind != "/Popup":
        flags = int(_get(annotation, "/F", 0) or 0)
        if not flags & _PRINT or flags & _NOT_ALLOWED:
            problems.append(f"{kind} annotation not printable or hidden (/F {flags})")
    return problems


def _resource_problems(resources: object, seen: set[int]) -> list[str]:
    """Fonts not embedded and interpolated images, in `resources` and the forms they use."""
    if not isinstance(resources, generic.DictionaryObject) or id(resources) in seen:
        return []
    seen.add(id(resources))
    problems = []
    fonts, xobjects = _get(resources, "/Font"), _get(resources, "/XObject")
    for name, font in fonts.items() if isinstance(fonts, generic.DictionaryObject) else []:
        if not _font_embedded(font.get_object()):
            problems.append(f"font {name} not embedded")
    for name, xobject in xobjects.items() if isinstance(xobjects, generic.DictionaryObject) else []:
        xobject = xobject.get_object()
        if _get(xobject, "/Subtype") == "/Image" and _get(xobject, "/Interpolate") is True:
            problems.append(f"image {name} interpolated")
        if _get(xobject, "/Subtype") == "/Form":
            problems += _resource_problems(_get(xobject, "/Resources"), seen)
    return problems


def _font_embedded(font: generic.DictionaryObject) -> bool:
    kind = _get(font, "/Subtype")
    if kind == "/Type3":
        return True  # its glyphs are content streams in the file
    if kind == "/Type0":
        descendants = _get(font, "/DescendantFonts")
        if not isinstance(descendants, generic.ArrayObject) or not descendants:
            return False
        return all(_font_embedded(d.get_object()) for d in descendants)
    descriptor = _get(font, "/FontDescriptor")
    return isinstance(descriptor, generic.DictionaryObject) and any(key in descriptor for key in _FONT_FILES)
