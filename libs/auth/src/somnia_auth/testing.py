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
