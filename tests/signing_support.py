"""The tests' own PKI: a CA, a signing certificate of the center, a time-stamping authority's
certificate (all made with `cryptography`), written as PKCS#12 and PEM; a SoftHSM2 token holding
the center's key; and an RFC 3161 time-stamping server on 127.0.0.1 built from pyHanko's own
test time stamper over http.server."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SOFTHSM_MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
CENTER_CN = "Trung tâm Phục vụ hành chính công thử nghiệm"
TOKEN_LABEL, KEY_LABEL, PIN, SO_PIN = "sohoa-test", "center", "123456", "12345678"


@dataclass
class Issued:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def asn1(self) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(self.certificate.public_bytes(serialization.Encoding.DER))

    def asn1_key(self) -> asn1_keys.PrivateKeyInfo:
        der = self.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return asn1_keys.PrivateKeyInfo.load(der)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def make_ca(cn: str = "CA thử nghiệm Số Hóa") -> Issued:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=3650))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(key, cert)


def issue(ca: Issued, cn: str, *, time_stamping: bool = False) -> Issued:
    """A certificate of `ca`: a document signer's, or (time_stamping) a TSA's."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=3650))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(ca=False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
    )
    if time_stamping:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return Issued(key, builder.sign(ca.key, hashes.SHA256()))


@dataclass
class Pki:
    ca: Issued
    center: Issued
    tsa: Issued
    folder: Path
    password: str = "mật-khẩu-thử"

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def pkcs12_file(self) -> Path:
        return self.folder / "center.p12"


def make_pki(folder: Path) -> Pki:
    """A CA, the center's certificate and a TSA's, written as ca.pem and center.p12 (with the chain)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca = make_ca()
    pki = Pki(ca, issue(ca, CENTER_CN), issue(ca, "TSA thử nghiệm", time_stamping=True), folder)
    pki.ca_file.write_bytes(ca.pem)
    bundle = pkcs12.serialize_key_and_certificates(
        b"center",
        pki.center.key,
        pki.center.certificate,
        [ca.certificate],
        serialization.BestAvailableEncryption(pki.password.encode()),
    )
    pki.pkcs12_file.write_bytes(bundle)
    return pki


# --- SoftHSM2 ----------------------------------------------------------------------------------


def softhsm_conf(folder: Path) -> Path:
    """A SoftHSM2 configuration keeping its tokens under `folder` (SOFTHSM2_CONF names it)."""
    tokens = folder / "tokens"
    tokens.mkdir(parents=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    return conf


def softhsm_token(folder: Path, center: Issued) -> None:
    """A SoftHSM2 token labelled TOKEN_LABEL holding the center's key and certificate (both
    labelled KEY_LABEL), in the configuration SOFTHSM2_CONF names (`softhsm_conf`)."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    env = dict(os.environ)

    def run(*args: str) -> None:
        subprocess.run(["softhsm2-util", *args], env=env, check=True, capture_output=True, timeout=60)

    run("--init-token", "--free", "--label", TOKEN_LABEL, "--pin", PIN, "--so-pin", SO_PIN)
    key_file = folder / "center-key.pem"
    key_file.write_bytes(
        center.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    run("--import", str(key_file), "--token", TOKEN_LABEL, "--label", KEY_LABEL, "--id", "01", "--pin", PIN)
    key_file.unlink()
    # The certificate beside the key (softhsm2-util imports keys only): through PKCS#11 itself.
    token = pkcs11.lib(str(SOFTHSM_MODULE)).get_token(token_label=TOKEN_LABEL)
    with token.open(rw=True, user_pin=PIN) as session:
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: KEY_LABEL,
                Attribute.ID: b"\x01",
                Attribute.SUBJECT: center.asn1().subject.dump(),
                Attribute.VALUE: center.certificate.public_bytes(serialization.Encoding.DER),
            }
        )


# --- a time-stamping authority on loopback ----------------------------------------------------


@dataclass
class RunningTsa:
    url: str
    requests: list[int]  # one entry per time stamp granted


@contextmanager
def running_tsa(pki: Pki) -> Iterator[RunningTsa]:
    """An RFC 3161 server on 127.0.0.1 (pyHanko's DummyTimeStamper answering over HTTP)."""
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    chain = SimpleCertificateStore.from_certs([pki.ca.asn1()])
    stamper = DummyTimeStamper(tsa_cert=pki.tsa.asn1(), tsa_key=pki.tsa.asn1_key(), certs_to_embed=chain)
    granted: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            granted.append(len(answer))
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield RunningTsa(f"http://127.0.0.1:{server.server_address[1]}/tsa", granted)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
