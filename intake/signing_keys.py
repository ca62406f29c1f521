"""Where the center's signing key comes from (intake/signing.py signs with it): a PKCS#12 file,
a PKCS#11 token (an HSM in production), or, when neither is configured and the settings allow
it, a development certificate made here once and kept under DATA_DIR.

The development certificate says in its own subject that it is not for official use, and a
warning is logged every time it is used: copies signed with it prove nothing to an agency.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.sign.signers import Signer, SimpleSigner

from intake.errors import ServiceError
from intake.settings import Settings
from models.errors import ErrorCode

log = logging.getLogger(__name__)

DEVELOPMENT_DIR = "signing"  # under DATA_DIR
DEVELOPMENT_CA = "development-ca.pem"
DEVELOPMENT_SIGNER = "development-signer.p12"
DEVELOPMENT_MARK = "KHÔNG DÙNG CHÍNH THỨC"
# A development certificate is valid over fixed dates: the service's clock may be set anywhere
# (tests, replays), and this certificate never proves anything anyway.
_DEVELOPMENT_FROM = datetime(2020, 1, 1, tzinfo=UTC)
_DEVELOPMENT_UNTIL = datetime(2050, 1, 1, tzinfo=UTC)


def unavailable(reason: str) -> ServiceError:
    """The approval's answer when the key cannot be used (503): the reason names the kind of
    failure, never a password, a PIN or a path's secret part."""
    return ServiceError(ErrorCode.SIGNING_UNAVAILABLE, reason)


def configured_kind(settings: Settings) -> str | None:
    """Which key the settings name: "pkcs11", "pkcs12", "development" or None (none allowed)."""
    signing = settings.signing
    if signing.pkcs11_module is not None:
        return "pkcs11"
    if signing.pkcs12_file is not None:
        return "pkcs12"
    return "development" if signing.development_certificate else None


def pkcs12_signer(settings: Settings) -> Signer:
    signing = settings.signing
    assert signing.pkcs12_file is not None
    password = signing.pkcs12_password.get_secret_value().encode() if signing.pkcs12_password else None
    try:
        data = Path(signing.pkcs12_file).read_bytes()
    except OSError as exc:
        raise unavailable("không đọc được tệp PKCS#12") from exc
    try:
        return SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=password)
    except ValueError as exc:  # a wrong password reads as "could not load"
        raise unavailable("tệp PKCS#12 sai mật khẩu hoặc hỏng") from exc


@contextlib.contextmanager
def pkcs11_signer(settings: Settings) -> Iterator[Signer]:
    """A signer on the configured token, its session open for the `with` block."""
    from pkcs11 import PKCS11Error  # imported here: only installations with a token load the module
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    signing = settings.signing
    assert signing.pkcs11_module is not None
    pin = signing.pkcs11_pin.get_secret_value() if signing.pkcs11_pin else None
    try:
        session = open_pkcs11_session(
            str(signing.pkcs11_module), token_criteria=TokenCriteria(label=signing.pkcs11_token_label), user_pin=pin
        )
    except (PKCS11Error, OSError, RuntimeError, ValueError) as exc:  # no module, no token, wrong PIN
        raise unavailable(f"không mở được thiết bị ký PKCS#11 ({type(exc).__name__})") from exc
    try:
        yield PKCS11Signer(session, key_label=signing.pkcs11_key_label, cert_label=signing.pkcs11_key_label)
    finally:
        session.close()


# --- the development certificate -----------------------------------------------------------------


def development_dir(settings: Settings) -> Path:
    return settings.data_dir / DEVELOPMENT_DIR


def development_signer(settings: Settings) -> Signer:
    """The development signer under DATA_DIR, made the first time (once, whichever process
    gets there first: the others wait on a lock and read it)."""
    log.warning(
        "signing with the DEVELOPMENT certificate under %s: configure signing.pkcs12_file or "
        "signing.pkcs11_module in production (docs/SIGNING.md)",
        development_dir(settings),
    )
    folder = development_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / DEVELOPMENT_SIGNER).is_file():
            _make_development_certificates(folder, settings.signing.signer_unit)
    data = (folder / DEVELOPMENT_SIGNER).read_bytes()
    return SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=None)


def development_ca(settings: Settings) -> asn1_x509.Certificate | None:
    """The development CA's certificate, if one was made under DATA_DIR."""
    path = development_dir(settings) / DEVELOPMENT_CA
    if not path.is_file():
        return None
    return next(iter(load_certs_from_pemder_data(path.read_bytes())))


def _name(common_name: str, unit: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, unit[:64]),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
        ]
    )


def _make_development_certificates(folder: Path, unit: str) -> None:
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signer_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name(f"CA phát triển Số Hóa - {DEVELOPMENT_MARK}", unit)
    until = _DEVELOPMENT_UNTIL
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_DEVELOPMENT_FROM)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    signer = (
        x509.CertificateBuilder()
        .subject_name(_name(f"Số Hóa (phát triển) - {DEVELOPMENT_MARK}", unit))
        .issuer_name(ca_name)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_DEVELOPMENT_FROM)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    bundle = pkcs12.serialize_key_and_certificates(
        b"sohoa-development", signer_key, signer, [ca], serialization.NoEncryption()
    )
    # The signer last: its file is what says the pair is complete.
    _write_private(folder / DEVELOPMENT_CA, ca.public_bytes(serialization.Encoding.PEM))
    _write_private(folder / DEVELOPMENT_SIGNER, bundle)


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=not cert_sign,  # non-repudiation: what a document signature asserts
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _write_private(path: Path, data: bytes) -> None:
    """Written whole or not at all (a crash leaves no half a key), readable by this user only."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(temporary, path)
