"""The validated package an agency pulls: searchable PDFs (PDF/A-2b, each signed by the center:
intake/signing.py), `fields.json` and `manifest.json` (with every file's SHA-256 and each PDF's
signature), built from the dossier as approved."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from dataclasses import dataclass

from intake.context import IntakeContext
from intake.filenames import display_filename
from intake.records import field_key, find_dossier, page_texts
from intake.signing import PdfSigner, open_signer
from models.dossier import NationalStatus
from pipeline.output.package import PackageFile, build_manifest, passes_through, searchable_pdf
from pipeline.output.pdfa import pdfa_problems
from pipeline.pages.preflight import FileInfo, preflight
from storage.tables import AgencyRow, ComponentRow, FieldRow, ServicePointRow, utcnow


def confirmed_by(f: FieldRow) -> str | None:
    """The reviewer whose confirmation or correction the value rests on (the last edit's);
    None for a value taken as read."""
    return f.edits[-1].reviewer if f.edits else None


def _field_record(f: FieldRow) -> dict:
    """A field as the agency receives it: value, status, sources, and the reviewer who
    confirmed or corrected it (each edit: who, when, old and new value)."""
    return {
        "value": f.value,
        "confidence": round(f.confidence, 4),
        "page": f.page,
        "box": list(f.box),
        "status": f.status,
        "sources": f.sources or [],
        "reason": f.reason,
        "detail": f.detail,
        "confirmed_by": confirmed_by(f),
        "edits": [
            {"action": e.action, "reviewer": e.reviewer, "at": e.at.isoformat(), "old": e.old_value, "new": e.new_value}
            for e in f.edits
        ],
    }


def _reviewed_by(f: FieldRow) -> dict | None:
    last = f.edits[-1] if f.edits else None
    return None if last is None else {"action": last.action, "reviewer": last.reviewer, "at": last.at.isoformat()}


def file_info(ctx: IntakeContext, component: ComponentRow, original: bytes) -> FileInfo:
    """The preflight result kept with the file at upload (files stored before it was kept are checked again)."""
    if component.file_info:
        return FileInfo.from_dict(component.file_info)
    reading = ctx.settings.reading
    return preflight(original, component.filename, reading.limits, pdf_dpi=reading.pdf_dpi)


log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BuiltPackage:
    prefix: str  # where it is stored
    manifest_sha256: str  # of manifest.json as stored (dossiers.package_manifest_sha256)


def signed_pdf(signer: PdfSigner, name: str, pdf: bytes, made_as_pdfa: bool) -> PackageFile:
    """`pdf` signed, as a package file with its signature record. PDF/A-2b is claimed only for a
    file made here as one that still passes the structural check once signed."""
    signed, record = signer.sign(pdf)
    pdfa = None
    if made_as_pdfa:
        problems = pdfa_problems(signed)
        if problems:  # a defect of ours, not of the dossier: the copy goes out, not claimed PDF/A
            log.error("package PDF %s is not PDF/A-2b once signed: %s", name, "; ".join(problems))
        pdfa = None if problems else "2B"
    return PackageFile(name, signed, "application/pdf", dataclasses.replace(record, pdfa=pdfa).to_manifest())


def build_package(ctx: IntakeContext, code: str) -> BuiltPackage:
    """Build and store the package of dossier `code`. ServiceError(SIGNING_UNAVAILABLE) when the
    center's key cannot be used: nothing is stored then."""
    with open_signer(ctx.settings, ctx.clock) as signer:
        return _build(ctx, code, signer)


def _build(ctx: IntakeContext, code: str, signer: PdfSigner) -> BuiltPackage:
    with ctx.db.transaction() as s:
        row = find_dossier(s, code, whole=True)
        texts = page_texts(s, row, ctx.version)
        agency = s.get(AgencyRow, row.agency_code)
        point = s.get(ServicePointRow, row.service_point_code)
    assert agency is not None and point is not None  # foreign keys
    files: list[PackageFile] = []
    components, all_fields = [], {}
    for c in row.components:
        pages = [texts[p.page_key] for p in c.pages if p.page_key in texts]
        with ctx.store.open(c.object_key) as stream:
            original = stream.read()
        name = f"{c.position:02d}-{c.kind or 'other'}"
        pdf_name = f"components/{name}.pdf"
        info, rotations = file_info(ctx, c, original), {p.index: p.rotation for p in c.pages}  # pages turned
        pdfa = ctx.settings.signing.pdfa
        pdf = searchable_pdf(
            original,
            info,
            pages,
            ctx.settings.reading,
            title=f"{row.code} — {display_filename(c.filename)}",
            rotations=rotations,
            pdfa=pdfa,
        )
        files.append(signed_pdf(signer, pdf_name, pdf, pdfa and not passes_through(info, pages, rotations)))
        fields = {field_key(f): _field_record(f) for f in c.fields}
        all_fields[name] = {
            field_key(f): {
                "value": f.value,
                "status": f.status,
                "sources": f.sources or [],
                "confirmed_by": confirmed_by(f),
                "reviewed_by": _reviewed_by(f),
            }
            for f in c.fields
        }
        components.append(
            {
                "position": c.position,
                "kind": c.kind,
                "source": c.source,
                "original": {
                    "filename": display_filename(c.filename),  # exported safe; the name as sent stays data
                    "sha256": c.file_sha256,
                    "size": c.size_bytes,
                    "media_type": c.media_type,
                },
                "searchable_pdf": pdf_name,
                "page_count": c.page_count,
                "fields": fields,
            }
        )
    procedure = ctx.catalogue.get(row.procedure_code)
    dossier = {
        "code": row.code,
        "procedure_code": row.procedure_code,
        "procedure_name": procedure.name if procedure else None,
        "catalogue": {"locality": ctx.catalogue.locality, "version": ctx.catalogue.version},
        "service_point": {"code": point.code, "name": point.name},
        "agency": {"code": agency.code, "name": agency.name},
        "applicant": {
            "full_name": row.applicant_name,
            "id_number": row.applicant_id_number,
            "phone": row.applicant_phone,
        },
        "received_at": row.received_at.isoformat() if row.received_at else None,
        "due_date": row.due_date,
        # An online registration (1) is accepted (2) by the approval this package is built for.
        "national_status": max(row.national_status, int(NationalStatus.DUOC_TIEP_NHAN)),
        "channel": row.channel,
        "package_revision": (row.package_revision or 0) + 1,  # more than 1: re-sent after a correction
        "pipeline_version": ctx.version,
    }
    files.append(
        PackageFile("fields.json", json.dumps(all_fields, ensure_ascii=False, indent=2).encode(), "application/json")
    )
    manifest = build_manifest(dossier, components, files, utcnow().isoformat())
    # Each revision has its own prefix: the agency reads the previous one, intact, until the
    # approval that built this one commits.
    revision = (row.package_revision or 0) + 1
    prefix = f"packages/{row.code}/" if revision == 1 else f"packages/{row.code}/r{revision}/"
    for f in files:
        ctx.store.put(prefix + f.name, f.data, f.media_type)
    # The manifest goes last: a package without one was never finished.
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
    ctx.store.put(prefix + "manifest.json", manifest_bytes, "application/json")
    return BuiltPackage(prefix, hashlib.sha256(manifest_bytes).hexdigest())
