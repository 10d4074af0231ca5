"""Signed tokens (JWT) from an identity provider, verified with PyJWT against a JWKS.

Keys rotate through the JWKS: a file is re-read when it changes; a URL is fetched again when a token
names a key id it has not seen (PyJWKClient's cache). The token's claims say what the caller may do:
`namespaces` (a list of patterns) and `scope` (space-separated, as OAuth writes it, or a list).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jwt

from somnia_auth.errors import Unauthenticated
from somnia_auth.grants import Grant, InvalidGrant, Principal


class JwksFile:
    """The key set of a JWKS file, re-read when the file changes (rotation without a restart)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stamp: tuple[int, int] | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._reload()

    def _reload(self) -> None:
        stat = self._path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            keys = jwt.PyJWKSet.from_dict(json.loads(self._path.read_bytes())).keys
            self._keys = {str(k.key_id or ""): k for k in keys}
            self._stamp = stamp

    def key_for(self, token: str) -> jwt.PyJWK:
        # Keep the keys last read while the file is being replaced.
        with contextlib.suppress(OSError, ValueError, jwt.PyJWKSetError):
            self._reload()
        kid = str(jwt.get_unverified_header(token).get("kid") or "")
        if kid in self._keys:
            return self._keys[kid]
        if not kid and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        raise Unauthenticated("the token was signed by a key this server does not trust (unknown 'kid')")


class JwtVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_file: Path | None = None,
        jwks_url: str = "",
        algorithms: Sequence[str] = ("RS256", "ES256", "EdDSA"),
        leeway_s: float = 30.0,
        namespaces_claim: str = "namespaces",
        scopes_claim: str = "scope",
        cache_s: float = 60.0,
        cache_size: int = 10_000,
    ) -> None:
        if (jwks_file is None) == (not jwks_url):
            raise InvalidGrant("JWT verification needs exactly one of a JWKS file or a JWKS URL")
        self._file = JwksFile(jwks_file) if jwks_file is not None else None
        self._client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300) if jwks_url else None
        self._issuer, self._audience = issuer, audience
        self._algorithms = list(algorithms)
        self._leeway_s = leeway_s
        self._namespaces_claim, self._scopes_claim = namespaces_claim, scopes_claim
        # A client sends the same token on every call: a signature checked once is trusted for at most
        # cache_s (never past the token's expiry), so a retired signing key stops working within it.
        self._cache_s, self._cache_size = cache_s, cache_size
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    async def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        if self._client is not None:  # a fetch may block on the network: keep it off the event loop
            principal, expires = await asyncio.to_thread(self._verify, token)
        else:
            principal, expires = self._verify(token)
        if self._cache_s > 0:
            trusted_s = min(self._cache_s, max(0.0, expires - time.time()))
            self._verified[token] = (principal, time.monotonic() + trusted_s)
            if len(self._verified) > self._cache_size:
                self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        """The caller and when its token expires (epoch seconds)."""
        try:
            key = self._file.key_for(token) if self._file is not None else self._url_key(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway_s,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the token has expired; get a new one from your identity provider") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated(f"the token is not valid: {exc}") from exc
        return Principal(f"jwt:{claims['sub']}", "jwt", self._grant(claims)), float(claims["exp"])

    def _url_key(self, token: str) -> jwt.PyJWK:
        assert self._client is not None
        try:
            return self._client.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as exc:
            raise Unauthenticated(f"the identity provider's keys could not be fetched ({exc}); retry") from exc
        except jwt.PyJWKClientError as exc:
            raise Unauthenticated(f"the token was signed by a key this server does not trust ({exc})") from exc

    def _grant(self, claims: dict[str, Any]) -> Grant:
        namespaces = claims.get(self._namespaces_claim)
        scopes = claims.get(self._scopes_claim)
        if isinstance(scopes, str):
            scopes = scopes.split()
        if not isinstance(namespaces, list) or not namespaces or not isinstance(scopes, list):
            raise Unauthenticated(
                f"the token grants nothing: it needs a '{self._namespaces_claim}' list of namespace patterns "
                f"and a '{self._scopes_claim}' claim"
            )
        # Scopes other services use may share the claim: keep only ours.
        try:
            return Grant.of([str(n) for n in namespaces], [s for s in map(str, scopes) if s in _OURS])
        except InvalidGrant as exc:
            raise Unauthenticated(f"the token's grant is malformed: {exc}") from exc


_OURS = {"capture", "recall", "feedback", "forget", "admin"}
