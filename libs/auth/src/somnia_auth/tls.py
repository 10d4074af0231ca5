"""TLS for servers and clients. Server certificates are re-read when their files change (a rotated
Secret or a cert-manager renewal), for every new connection, without a restart."""

from __future__ import annotations

from pathlib import Path

import grpc

from somnia_auth.grants import InvalidGrant
from somnia_auth.settings import TlsSettings


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidGrant(f"the TLS {what} {path} cannot be read: {exc}") from exc


class RotatingServerCertificate:
    def __init__(self, settings: TlsSettings) -> None:
        if settings.cert_file is None or settings.key_file is None:
            raise InvalidGrant("TLS needs both SOMNIA_TLS_CERT_FILE and SOMNIA_TLS_KEY_FILE")
        self._settings = settings
        self._files = [p for p in (settings.cert_file, settings.key_file, settings.client_ca_file) if p is not None]
        self._stamp = self._stamps()
        self._initial = self._configuration()

    def _stamps(self) -> tuple[int, ...]:
        return tuple(p.stat().st_mtime_ns for p in self._files)

    def _configuration(self) -> grpc.ServerCertificateConfiguration:
        s = self._settings
        assert s.cert_file is not None and s.key_file is not None
        pair = (_read(s.key_file, "key"), _read(s.cert_file, "certificate"))
        client_ca = _read(s.client_ca_file, "client CA") if s.client_ca_file is not None else None
        return grpc.ssl_server_certificate_configuration([pair], root_certificates=client_ca)

    def _fetch(self) -> grpc.ServerCertificateConfiguration | None:
        try:
            stamp = self._stamps()
            if stamp == self._stamp:
                return None
            configuration = self._configuration()
        except (OSError, InvalidGrant):
            return None  # half-written files: keep serving the old certificate
        self._stamp = stamp
        return configuration

    def credentials(self) -> grpc.ServerCredentials:
        return grpc.dynamic_ssl_server_credentials(
            self._initial,
            self._fetch,
            require_client_authentication=self._settings.client_ca_file is not None,
        )


def channel_credentials(
    ca_file: Path, client_cert_file: Path | None = None, client_key_file: Path | None = None
) -> grpc.ChannelCredentials:
    """Trust `ca_file`; present a client certificate when both its files are given (mTLS)."""
    cert = _read(client_cert_file, "client certificate") if client_cert_file is not None else None
    key = _read(client_key_file, "client key") if client_key_file is not None else None
    return grpc.ssl_channel_credentials(_read(ca_file, "CA"), private_key=key, certificate_chain=cert)
