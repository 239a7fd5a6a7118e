"""The local CA and server certificate of the gRPC front (ragkit.server.tls)."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

import pytest
from cryptography import x509

from ragkit.server.config import ServerConfig
from ragkit.server.tls import local_certificate, operator_certificate


def sans(path: Path) -> list[str]:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(n.value) for n in names]


def test_local_ca_is_made_once_and_reused(tmp_path: Path) -> None:
    first = local_certificate(tmp_path / "tls")
    assert first.ca is not None
    assert sans(first.certificate) == ["localhost", "127.0.0.1", "::1"]
    assert stat.S_IMODE((tmp_path / "tls" / "ca-key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE(first.key.stat().st_mode) == 0o600
    ca, cert = first.ca.read_bytes(), first.certificate.read_bytes()
    again = local_certificate(tmp_path / "tls")
    assert (again.ca.read_bytes(), again.certificate.read_bytes()) == (ca, cert)  # type: ignore[union-attr]

    wider = local_certificate(tmp_path / "tls", ["rag.example", "10.0.0.7"])
    assert wider.ca is not None and wider.ca.read_bytes() == ca  # users keep trusting one CA
    assert sans(wider.certificate)[-2:] == ["rag.example", str(ipaddress.ip_address("10.0.0.7"))]
    issued = x509.load_pem_x509_certificate(wider.certificate.read_bytes())
    authority = x509.load_pem_x509_certificate(ca)
    issued.verify_directly_issued_by(authority)


def test_operator_certificate_must_be_pem(tmp_path: Path) -> None:
    made = local_certificate(tmp_path / "tls")
    assert operator_certificate(made.certificate, made.key).ca is None
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(ValueError, match=r"garbage\.pem is not a PEM certificate"):
        operator_certificate(garbage, made.key)
    with pytest.raises(ValueError, match=r"garbage\.pem is not an unencrypted PEM private key"):
        operator_certificate(made.certificate, garbage)
    with pytest.raises(ValueError, match=r"cannot read the TLS certificate .*absent\.pem: No such"):
        operator_certificate(tmp_path / "absent.pem", made.key)
    other = local_certificate(tmp_path / "other")
    with pytest.raises(ValueError, match="is not the key of the certificate"):
        operator_certificate(made.certificate, other.key)


def test_config_needs_certificate_and_key_together(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs its key"):
        ServerConfig(data_dir=tmp_path, tls_cert_file=tmp_path / "c.pem")
    with pytest.raises(ValueError, match="grpc_port"):
        ServerConfig(data_dir=tmp_path, grpc_port=70_000)
