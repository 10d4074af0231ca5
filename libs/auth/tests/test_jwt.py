"""JWTs verified against a JWKS (file and URL): issuer, audience, expiry, claims, and key rotation."""

import asyncio
import http.server
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from somnia_auth import JwtVerifier, Unauthenticated

ISSUER, AUDIENCE = "https://id.example.test", "somnia"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks(**keys: rsa.RSAPrivateKey) -> dict[str, Any]:
    entries = []
    for kid, key in keys.items():
        entry = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        entries.append({**entry, "kid": kid, "use": "sig", "alg": "RS256"})
    return {"keys": entries}


def token(key: rsa.RSAPrivateKey, kid: str, **claims: Any) -> str:
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "support-bot",
        "exp": int(time.time()) + 300,
        "namespaces": ["acme/support-bot/*"],
        "scope": "openid recall capture",
        **claims,
    }
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture
def jwks_file(tmp_path: Path, key: rsa.RSAPrivateKey) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks(k1=key)))
    return path


def publish(path: Path, key_set: dict[str, Any]) -> None:
    """Replace the JWKS file; the clock is moved on so a coarse file system still shows a change."""
    path.write_text(json.dumps(key_set))
    os.utime(path, ns=(1, path.stat().st_mtime_ns + 1_000_000_000))


def verifier(**kwargs: Any) -> JwtVerifier:
    return JwtVerifier(issuer=ISSUER, audience=AUDIENCE, **kwargs)


async def test_a_valid_token_grants_its_namespaces_and_our_scopes(jwks_file: Path, key: rsa.RSAPrivateKey) -> None:
    principal = await verifier(jwks_file=jwks_file).verify(token(key, "k1"))
    assert principal.subject == "jwt:support-bot" and principal.method == "jwt"
    assert principal.grant.allows("recall", "acme/support-bot/alice")
    assert principal.grant.allows("capture", "acme/support-bot/alice")
    assert not principal.grant.allows("forget", "acme/support-bot/alice")
    assert not principal.grant.allows("recall", "acme/other-bot/alice")


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"aud": "someone-else"}, "(?i)audience"),
        ({"iss": "https://evil.example.test"}, "(?i)issuer"),
        ({"sub": None}, "sub"),
        ({"namespaces": None}, "grants nothing"),
        ({"namespaces": ["ACME"]}, "malformed"),
    ],
)
async def test_bad_tokens_are_refused_saying_why(
    jwks_file: Path, key: rsa.RSAPrivateKey, claims: dict[str, Any], message: str
) -> None:
    with pytest.raises(Unauthenticated, match=message):
        await verifier(jwks_file=jwks_file).verify(token(key, "k1", **claims))


async def test_a_token_signed_by_an_untrusted_key_is_refused(jwks_file: Path) -> None:
    with pytest.raises(Unauthenticated, match="does not trust"):
        await verifier(jwks_file=jwks_file).verify(token(new_key(), "k9"))
    with pytest.raises(Unauthenticated, match="not valid"):  # a known kid, the wrong key: the signature fails
        await verifier(jwks_file=jwks_file).verify(token(new_key(), "k1"))


async def test_none_and_hmac_algorithms_are_refused(jwks_file: Path) -> None:
    unsigned = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": int(time.time()) + 60}, None, "none")
    with pytest.raises(Unauthenticated):
        await verifier(jwks_file=jwks_file).verify(unsigned)


async def test_rotation_through_the_jwks_file_without_a_restart(jwks_file: Path, key: rsa.RSAPrivateKey) -> None:
    check = verifier(jwks_file=jwks_file, cache_s=0)  # no verdict kept: every call checks the signature
    await check.verify(token(key, "k1"))
    successor = new_key()
    publish(jwks_file, jwks(k1=key, k2=successor))
    assert (await check.verify(token(successor, "k2"))).subject == "jwt:support-bot"
    publish(jwks_file, jwks(k2=successor))  # the old key retired
    with pytest.raises(Unauthenticated):
        await check.verify(token(key, "k1"))


@pytest.fixture
def jwks_url(key: rsa.RSAPrivateKey) -> Iterator[str]:
    body = json.dumps(jwks(k1=key)).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()


async def test_keys_fetched_from_a_jwks_url(jwks_url: str, key: rsa.RSAPrivateKey) -> None:
    principal = await verifier(jwks_url=jwks_url).verify(token(key, "k1"))
    assert principal.grant.allows("recall", "acme/support-bot/alice")
    with pytest.raises(Unauthenticated, match="does not trust"):
        await verifier(jwks_url=jwks_url).verify(token(new_key(), "k7"))


async def test_a_verified_token_is_trusted_briefly_and_never_past_its_expiry(
    jwks_file: Path, key: rsa.RSAPrivateKey
) -> None:
    check = verifier(jwks_file=jwks_file, cache_s=60, leeway_s=0)
    signed = token(key, "k1")
    await check.verify(signed)
    publish(jwks_file, jwks(k9=new_key()))  # the signing key is retired
    assert (await check.verify(signed)).subject == "jwt:support-bot"  # within cache_s: the verdict stands
    with pytest.raises(Unauthenticated):
        await check.verify(token(key, "k1", sub="another"))  # a new token is checked, and refused

    fresh = verifier(jwks_file=jwks_file, cache_s=60, leeway_s=0)
    publish(jwks_file, jwks(k1=key))
    short = token(key, "k1", exp=int(time.time()) + 2)
    await fresh.verify(short)
    await asyncio.sleep(2.5)
    with pytest.raises(Unauthenticated, match="expired"):
        await fresh.verify(short)  # the verdict lasted no longer than the token
