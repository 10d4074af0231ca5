"""mTLS: the identity in a verified client certificate (its subject alternative names, then its common
name) mapped to a grant by a file an operator writes:

    {"certificates": [{"identity": "support-bot.acme.internal", "namespaces": ["acme/*"],
                       "scopes": ["capture", "recall"]}]}
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from somnia_auth.errors import Unauthenticated
from somnia_auth.grants import Grant, InvalidGrant, Principal


class CertificateGrant(BaseModel):
    identity: str = Field(min_length=1)
    namespaces: list[str] = Field(min_length=1)
    scopes: list[str] = Field(min_length=1)


class CertificateFile(BaseModel):
    certificates: list[CertificateGrant] = []


class CertificateGrants:
    def __init__(self, path: Path) -> None:
        try:
            parsed = CertificateFile.model_validate_json(path.read_bytes())
        except (OSError, ValidationError, ValueError) as exc:
            raise InvalidGrant(f"client certificate grants {path} cannot be read: {exc}") from exc
        self._grants = {c.identity: Grant.of(c.namespaces, c.scopes) for c in parsed.certificates}

    def principal(self, identities: Sequence[str]) -> Principal:
        """`identities`: the certificate's SANs then its CN, as the TLS layer verified them."""
        for identity in identities:
            if identity in self._grants:
                return Principal(f"cert:{identity}", "mtls", self._grants[identity])
        raise Unauthenticated("the client certificate's identity has no grant on this server")
