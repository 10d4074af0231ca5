"""Everything a gRPC server needs to admit callers: authentication, rate limits, TLS."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import grpc

from somnia_auth.authenticator import Authenticator
from somnia_auth.interceptor import AuthInterceptor
from somnia_auth.quotas import RateLimiter, limiter
from somnia_auth.settings import AuthSettings, TlsSettings
from somnia_auth.tls import RotatingServerCertificate


@dataclass(frozen=True)
class ServerSecurity:
    authenticator: Authenticator
    certificate: RotatingServerCertificate | None = None
    caller_limit: RateLimiter | None = None
    namespace_limit: RateLimiter | None = None
    plaintext_health_port: int = 0

    @classmethod
    def from_settings(cls, auth: AuthSettings, tls: TlsSettings) -> ServerSecurity:
        return cls(
            Authenticator.from_settings(auth),
            RotatingServerCertificate(tls) if tls.enabled else None,
            limiter(auth.caller_rate, auth.caller_burst),
            limiter(auth.namespace_rate, auth.namespace_burst),
            tls.health_port if tls.enabled else 0,
        )

    @classmethod
    def from_env(cls) -> ServerSecurity:
        return cls.from_settings(AuthSettings(), TlsSettings())

    @classmethod
    def disabled(cls) -> ServerSecurity:
        """No authentication, no limits, no TLS: for tests of something else, and `SOMNIA_AUTH_MODE=off`."""
        return cls(Authenticator(disabled=True))

    def server_credentials(self) -> grpc.ServerCredentials | None:
        """Fresh credentials for one server (gRPC binds a credentials object to a single server)."""
        return self.certificate.credentials() if self.certificate is not None else None

    def interceptor(self) -> AuthInterceptor:
        return AuthInterceptor(self.authenticator, caller_limit=self.caller_limit, namespace_limit=self.namespace_limit)

    def describe(self) -> str:
        return f"auth {self.authenticator.describe()}; TLS {'on' if self.certificate is not None else 'off'}"

    def announce(self, log: logging.Logger, service: str) -> None:
        """Say in the log how callers are admitted; loudly when they are not checked at all."""
        if self.authenticator.disabled:
            log.warning(
                "%s: AUTHENTICATION IS OFF (SOMNIA_AUTH_MODE=off): anyone who reaches this port may read, "
                "write and erase every namespace",
                service,
            )
        else:
            log.info("%s: %s", service, self.describe())
