"""TLS for the gRPC front: the operator's certificate, or a local CA made on first start.

Google's client libraries open TLS channels and trust the system roots unless told
otherwise; grpc reads extra roots from ``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH``. So, without
an operator certificate, the server makes (once) a private CA and a server certificate
signed by it under ``DATA_DIR/tls/``::

    tls/ca.pem          the CA certificate users trust:
                        export GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=DATA_DIR/tls/ca.pem
    tls/ca-key.pem      the CA's private key (0600), kept to sign new server certificates
    tls/server.pem      the server certificate (localhost, 127.0.0.1, ::1 and extra names)
    tls/server-key.pem  its private key (0600)

A later start reuses them, and signs a new server certificate with the same CA when the
names asked for are not all covered or the certificate is close to expiring, so the CA a
user trusts keeps working.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["DEFAULT_TLS_NAMES", "TlsFiles", "local_certificate", "operator_certificate"]

#: Names every generated server certificate covers.
DEFAULT_TLS_NAMES = ("localhost", "127.0.0.1", "::1")

_CA_DAYS = 3650
_SERVER_DAYS = 397  # the longest validity browsers and most TLS stacks accept
_RENEW_BEFORE = datetime.timedelta(days=30)


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of one server identity; ``ca`` is what clients must trust (``None``
    when the operator's certificate chains to a CA the server does not know)."""

    certificate: Path
    key: Path
    ca: Path | None

    def read(self) -> tuple[bytes, bytes]:
        """(private key, certificate chain) as PEM bytes, as grpc wants them."""
        return self.key.read_bytes(), self.certificate.read_bytes()


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read the TLS {what} {path}: {exc.strerror or exc}") from None


def operator_certificate(certificate: Path, key: Path) -> TlsFiles:
    """The operator's own certificate chain and key, checked to be readable PEM and to
    belong together.

    Raises:
        ValueError: a file is missing or unreadable, not a PEM certificate / unencrypted
            PEM private key, or the key is not the certificate's; the message names the
            file and says which.
    """
    cert_pem, key_pem = _read(certificate, "certificate"), _read(key, "key")
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError:
        raise ValueError(
            f"the TLS certificate {certificate} is not a PEM certificate "
            "(-----BEGIN CERTIFICATE-----)"
        ) from None
    try:
        private = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError):
        raise ValueError(
            f"the TLS key {key} is not an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)"
        ) from None
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    encoding = serialization.Encoding.DER
    if private.public_key().public_bytes(encoding, public) != cert.public_key().public_bytes(
        encoding, public
    ):
        raise ValueError(f"the TLS key {key} is not the key of the certificate {certificate}")
    return TlsFiles(certificate=certificate, key=key, ca=None)


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _write_private(path: Path, data: bytes) -> None:
    # Create it 0600 from the start: a key must never be readable by others, even briefly.
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    tmp.replace(path)


def _write_public(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _make_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ragkit serve local CA")])
    now = _now()
    ca = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=_CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(directory / "ca-key.pem", _key_pem(key))
    _write_public(directory / "ca.pem", ca.public_bytes(serialization.Encoding.PEM))
    return ca, key


def _load_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    try:
        ca = x509.load_pem_x509_certificate((directory / "ca.pem").read_bytes())
        key = serialization.load_pem_private_key(
            (directory / "ca-key.pem").read_bytes(), password=None
        )
    except (OSError, ValueError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or ca.not_valid_after_utc <= _now():
        return None
    return ca, key


def _covers(path: Path, ca: x509.Certificate, names: list[str]) -> bool:
    """Whether the server certificate at ``path`` was signed by ``ca``, covers ``names``
    and stays valid for a while yet."""
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    return (
        cert.issuer == ca.subject
        and cert.not_valid_after_utc - _RENEW_BEFORE > _now()
        and all(_san(name) in sans for name in names)
    )


def _sign_server(
    directory: Path, ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, names: list[str]
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=_SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName([_san(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(directory / "server-key.pem", _key_pem(key))
    _write_public(directory / "server.pem", cert.public_bytes(serialization.Encoding.PEM))


def local_certificate(directory: Path, extra_names: Iterable[str] = ()) -> TlsFiles:
    """The server certificate under ``directory`` (``DATA_DIR/tls``), made or renewed as
    needed: signed by the local CA, for ``localhost``, ``127.0.0.1``, ``::1`` and
    ``extra_names`` (host names or IP addresses)."""
    names = list(dict.fromkeys([*DEFAULT_TLS_NAMES, *extra_names]))
    directory.mkdir(parents=True, exist_ok=True)
    loaded = _load_ca(directory)
    ca, ca_key = loaded if loaded is not None else _make_ca(directory)
    if loaded is None or not _covers(directory / "server.pem", ca, names):
        _sign_server(directory, ca, ca_key, names)
    return TlsFiles(
        certificate=directory / "server.pem",
        key=directory / "server-key.pem",
        ca=directory / "ca.pem",
    )
