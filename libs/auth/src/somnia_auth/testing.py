"""For tests that run a server with authentication on: a key file with the keys asked for, and the
ServerSecurity that reads it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from somnia_auth.api_keys import KeyFile, KeyRing, new_api_key, write_key_file
from somnia_auth.authenticator import Authenticator
from somnia_auth.security import ServerSecurity


def write_keys(path: Path, grants: Mapping[str, tuple[Sequence[str], Sequence[str]]]) -> dict[str, str]:
    """`grants`: key name -> (namespace patterns, scopes). Returns key name -> the key."""
    keys: dict[str, str] = {}
    records = []
    for name, (namespaces, scopes) in grants.items():
        keys[name], record = new_api_key(name, list(namespaces), list(scopes))
        records.append(record)
    write_key_file(path, KeyFile(keys=records))
    return keys


def keyed_security(path: Path) -> ServerSecurity:
    """Keys from `path`, no rate limits, no TLS."""
    return ServerSecurity(Authenticator(keys=KeyRing(path)))


def admin_security(directory: Path) -> tuple[ServerSecurity, str]:
    """A server that admits one admin key over every namespace, and that key."""
    path = directory / "api-keys.json"
    keys = write_keys(path, {"test-admin": (["*"], ["admin"])})
    return keyed_security(path), keys["test-admin"]


def write_certificates(directory: Path, client_identity: str = "bot.acme.internal") -> dict[str, Path]:
    """A throwaway CA, a server certificate for localhost/127.0.0.1 and a client certificate whose SAN
    is `client_identity`: PEM files named ca, server, server-key, client, client-key."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("somnia test CA"))
        .issuer_name(name("somnia test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(common: str, sans: list[x509.GeneralName]) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name(common))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM), key_pem(key)

    loopback = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
    server, server_key = leaf("localhost", [x509.DNSName("localhost"), loopback])
    client, client_key = leaf(client_identity, [x509.DNSName(client_identity)])
    files = {
        "ca": ca.public_bytes(serialization.Encoding.PEM),
        "server": server,
        "server-key": server_key,
        "client": client,
        "client-key": client_key,
    }
    paths: dict[str, Path] = {}
    for label, data in files.items():
        paths[label] = directory / f"{label}.pem"
        paths[label].write_bytes(data)
    return paths
