"""The center's signature on the package's searchable PDFs (PAdES, with pyHanko), and its check.

Each PDF is signed by an incremental update, so what was inside (PDF/A included) stays as it
was: PAdES B-B, or B-T when a time-stamping authority is configured. The signing unit is the
signature's name, the signing time is the service's clock (Vietnam time). The key is
configuration (intake/signing_keys.py): a PKCS#12 file, a PKCS#11 token, or a development
certificate. A key that cannot be used fails the approval with SIGNING_UNAVAILABLE (503), and
the dossier goes back to review (intake/review.py thaws it).

`verify_pdf` is what `sohoa check` and the agency download use: intact, cryptographically valid,
chained to the trust roots (the configured ones, or the development CA when that is what signs).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Protocol, TypeVar

from asn1crypto import x509 as asn1_x509
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from intake.clock import Clock
from intake.errors import ServiceError
from intake.settings import Settings
from intake.signing_keys import (
    configured_kind,
    development_ca,
    development_signer,
    pkcs11_signer,
    pkcs12_signer,
    unavailable,
)

Result = TypeVar("Result")
log = logging.getLogger(__name__)

FIELD_NAME = "SoHoa"  # the signature field every package PDF gets
TSA_TIMEOUT_SECONDS = 10


@dataclass(frozen=True, slots=True)
class SignatureRecord:
    """A signature as the manifest records it (docs/SIGNING.md)."""

    signer: str  # the certificate's subject common name
    unit: str
    certificate_sha256: str
    signed_at: datetime  # Vietnam time
    timestamped: bool
    pdfa: str | None = None  # "2B" where the signed file is a PDF/A-2b made here

    def to_manifest(self) -> dict:
        return {
            "signer": self.signer,
            "unit": self.unit,
            "certificate_sha256": self.certificate_sha256,
            "signed_at": self.signed_at.isoformat(),
            "timestamped": self.timestamped,
            "pdfa": self.pdfa,
        }


class PdfSigner(Protocol):
    def sign(self, pdf: bytes) -> tuple[bytes, SignatureRecord]:
        """`pdf` with the center's signature added (an incremental update), and its record."""
        ...


def common_name(certificate: asn1_x509.Certificate) -> str:
    name = certificate.subject.native
    return str(name.get("common_name") or certificate.subject.human_friendly)


class _ClockedSigner(signers.PdfSigner):
    """pyHanko's signer, dated by the service's clock instead of the machine's."""

    def __init__(self, *args, at: datetime, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.at = at

    def init_signing_session(self, pdf_out, existing_fields_only=False):  # noqa: ANN001, ANN201, FBT002
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self.at
        return session


class _MetadataKept(IncrementalPdfFileWriter):
    """The signature's update leaves the document's metadata as it was made. pyHanko would
    append itself to the information dictionary's producer but write only itself into the XMP,
    and date both by the machine's clock: the two would disagree, which PDF/A forbids (checked
    by pipeline/output/pdfa.py after signing; pinned pyHanko 0.38.0)."""

    def _update_meta(self) -> None:
        return None


class PadesSigner:
    """PAdES signatures with one key (`signer`): B-B, or B-T with `timestamper`."""

    def __init__(
        self, signer: signers.Signer, unit: str, location: str, clock: Clock, timestamper: TimeStamper | None = None
    ) -> None:
        if signer.signing_cert is None:
            raise unavailable("không có chứng thư số của khóa ký")
        self.signer, self.unit, self.location = signer, unit, location
        self.clock, self.timestamper = clock, timestamper
        self.certificate = signer.signing_cert

    def sign(self, pdf: bytes) -> tuple[bytes, SignatureRecord]:
        at = self.clock.now().replace(microsecond=0)  # the signing-time attribute keeps seconds
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            name=self.unit,
            reason=f"Bản số hóa do {self.unit} thực hiện",
            location=self.location,
        )
        writer = _MetadataKept(io.BytesIO(pdf), strict=False)
        signer = _ClockedSigner(meta, self.signer, timestamper=self.timestamper, at=at)
        try:
            out = beside_any_loop(lambda: signer.sign_pdf(writer))
        except ServiceError:
            raise
        except Exception as exc:  # a token gone, a TSA down, a key refusing: no signed copy, no approval
            log.exception("signing a package PDF failed")
            raise unavailable(f"ký không thành công ({type(exc).__name__})") from exc
        record = SignatureRecord(
            signer=common_name(self.certificate),
            unit=self.unit,
            certificate_sha256=hashlib.sha256(self.certificate.dump()).hexdigest(),
            signed_at=at,
            timestamped=self.timestamper is not None,
        )
        return out.getvalue(), record


def beside_any_loop(call: Callable[[], Result]) -> Result:
    """pyHanko's synchronous calls run an event loop of their own (asyncio.run), which a thread
    already running one cannot do (an async caller, a test driving a browser): such a caller
    gets the call on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sohoa-signing") as pool:
        return pool.submit(call).result()


@contextlib.contextmanager
def open_signer(settings: Settings, clock: Clock) -> Iterator[PdfSigner]:
    """The configured signer for a `with` block (a PKCS#11 session stays open for it).
    ServiceError(SIGNING_UNAVAILABLE) when no key is configured or it cannot be used."""
    signing = settings.signing
    timestamper = HTTPTimeStamper(signing.tsa_url, timeout=TSA_TIMEOUT_SECONDS) if signing.tsa_url else None
    kind = configured_kind(settings)
    if kind is None:
        raise unavailable("chưa cấu hình khóa ký")
    if kind == "pkcs11":
        with pkcs11_signer(settings) as key:
            yield PadesSigner(key, signing.signer_unit, signing.location, clock, timestamper)
        return
    key = pkcs12_signer(settings) if kind == "pkcs12" else development_signer(settings)
    yield PadesSigner(key, signing.signer_unit, signing.location, clock, timestamper)


def load_certificates(paths: Sequence[Path]) -> list[asn1_x509.Certificate]:
    """Certificates from PEM or DER files (several per PEM file allowed)."""
    found: list[asn1_x509.Certificate] = []
    for path in paths:
        found += list(load_certs_from_pemder_data(Path(path).read_bytes()))
    return found


def trust_roots(settings: Settings) -> list[asn1_x509.Certificate]:
    """The roots a package signature must chain to: the configured ones, and the development
    CA while the development certificate is what signs (so a development system checks itself)."""
    roots = load_certificates(settings.signing.trust_roots)
    if configured_kind(settings) == "development" and (ca := development_ca(settings)) is not None:
        roots.append(ca)
    return roots


# --- verifying -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """What pyHanko's validator says of a PDF's signature."""

    intact: bool  # the signed bytes are as signed
    valid: bool  # the signature over them is the certificate's
    trusted: bool  # the certificate chains to a trust root
    signer: str | None = None
    certificate_sha256: str | None = None
    signed_at: datetime | None = None
    timestamped: bool = False
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and not self.problems


def verify_pdf(data: bytes | IO[bytes], roots: Sequence[asn1_x509.Certificate]) -> SignatureCheck:
    """The check of the one signature a package PDF carries: intact, valid, covering the whole
    file, chained to `roots` (none: never trusted), its time stamp valid where there is one.
    Revocation is not fetched (no network from here); problems are short English phrases."""
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    try:
        signatures = PdfFileReader(stream, strict=False).embedded_signatures
    except Exception as exc:  # a PDF broken past reading: whatever was signed is not there
        return SignatureCheck(False, False, False, problems=(f"not a readable PDF ({type(exc).__name__})",))
    if len(signatures) != 1:
        return SignatureCheck(False, False, False, problems=(f"{len(signatures)} signatures, expected 1",))
    context = ValidationContext(trust_roots=list(roots), allow_fetching=False, revocation_mode="soft-fail")
    try:
        status = beside_any_loop(lambda: validate_pdf_signature(signatures[0], context))
    except Exception as exc:  # noqa: BLE001  (a malformed signature is a finding, not a crash)
        return SignatureCheck(False, False, False, problems=(f"signature not readable ({type(exc).__name__})",))
    problems = []
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        problems.append("the signature does not cover the whole file")
    stamp = status.timestamp_validity
    if stamp is not None and not (stamp.intact and stamp.valid and stamp.trusted):
        problems.append("the time stamp does not verify")
    certificate = status.signing_cert
    return SignatureCheck(
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        signer=common_name(certificate),
        certificate_sha256=hashlib.sha256(certificate.dump()).hexdigest(),
        signed_at=status.signer_reported_dt,
        timestamped=stamp is not None,
        problems=tuple(problems),
    )


__all__ = [
    "PadesSigner",
    "PdfSigner",
    "SignatureCheck",
    "SignatureRecord",
    "load_certificates",
    "open_signer",
    "trust_roots",
    "verify_pdf",
]
