"""Who a call is from: a bearer token (an API key or a JWT) in the `authorization` metadata, else the
verified client certificate when mTLS is on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from somnia_auth.api_keys import KEY_PREFIX, KeyRing
from somnia_auth.certificates import CertificateGrants
from somnia_auth.errors import Unauthenticated
from somnia_auth.grants import ANONYMOUS, InvalidGrant, Principal
from somnia_auth.jwt_tokens import JwtVerifier
from somnia_auth.settings import AuthSettings

MAX_TOKEN_CHARS = 16_384


class Authenticator:
    def __init__(
        self,
        *,
        keys: KeyRing | None = None,
        tokens: JwtVerifier | None = None,
        certificates: CertificateGrants | None = None,
        disabled: bool = False,
    ) -> None:
        self.keys, self.tokens, self.certificates = keys, tokens, certificates
        self.disabled = disabled
        if not disabled and keys is None and tokens is None and certificates is None:
            raise InvalidGrant(
                "authentication is on but no method is configured: set SOMNIA_AUTH_API_KEYS_FILE, "
                "SOMNIA_AUTH_JWKS_FILE or SOMNIA_AUTH_JWKS_URL (with SOMNIA_AUTH_JWT_ISSUER), or "
                "SOMNIA_AUTH_CLIENT_CERTS_FILE; or SOMNIA_AUTH_MODE=off on a closed network"
            )

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> Authenticator:
        if settings.mode == "off":
            return cls(disabled=True)
        tokens = None
        if settings.jwks_file is not None or settings.jwks_url:
            if not settings.jwt_issuer:
                raise InvalidGrant("JWT verification needs SOMNIA_AUTH_JWT_ISSUER (the tokens' 'iss')")
            tokens = JwtVerifier(
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                jwks_file=settings.jwks_file,
                jwks_url=settings.jwks_url,
                algorithms=settings.jwt_algorithms,
                leeway_s=settings.jwt_leeway_s,
                namespaces_claim=settings.jwt_namespaces_claim,
                scopes_claim=settings.jwt_scopes_claim,
            )
        return cls(
            keys=KeyRing(settings.api_keys_file) if settings.api_keys_file is not None else None,
            tokens=tokens,
            certificates=(
                CertificateGrants(settings.client_certs_file) if settings.client_certs_file is not None else None
            ),
        )

    def describe(self) -> str:
        if self.disabled:
            return "OFF: every caller may use every namespace (SOMNIA_AUTH_MODE=off)"
        methods = [
            name
            for name, on in (("API keys", self.keys), ("JWT", self.tokens), ("client certificates", self.certificates))
            if on is not None
        ]
        return "on: " + ", ".join(methods)

    async def authenticate(
        self, metadata: Sequence[tuple[str, str | bytes]], auth_context: Mapping[str, Sequence[bytes]]
    ) -> Principal:
        if self.disabled:
            return ANONYMOUS
        token = bearer_token(metadata)
        if token:
            if token.startswith(KEY_PREFIX):
                if self.keys is None:
                    raise Unauthenticated("this server does not accept API keys; send a JWT or a client certificate")
                return self.keys.verify(token)
            if self.tokens is None:
                raise Unauthenticated("this server does not accept JWTs; send an API key or a client certificate")
            return await self.tokens.verify(token)
        if self.certificates is not None and auth_context.get("transport_security_type") == [b"ssl"]:
            identities = [
                *(v.decode(errors="replace") for v in auth_context.get("x509_subject_alternative_name", ())),
                *(v.decode(errors="replace") for v in auth_context.get("x509_common_name", ())),
            ]
            if identities:
                return self.certificates.principal(identities)
        raise Unauthenticated(
            "no credentials: send 'authorization: Bearer <API key or JWT>' metadata"
            + (" or a client certificate" if self.certificates is not None else "")
        )


def bearer_token(metadata: Sequence[tuple[str, str | bytes]]) -> str:
    for key, value in metadata:
        if key == "authorization":
            text = value.decode(errors="replace") if isinstance(value, bytes) else value
            scheme, _, token = text.strip().partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated("the authorization metadata must read 'Bearer <API key or JWT>'")
            if len(token) > MAX_TOKEN_CHARS:
                raise Unauthenticated(f"the bearer token is longer than {MAX_TOKEN_CHARS} characters")
            return token.strip()
    return ""
