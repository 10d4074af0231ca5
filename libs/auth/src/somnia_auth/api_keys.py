"""Static API keys for one machine or a small deployment, kept hashed at rest.

A key reads `somnia_<id>_<secret>`: the id finds its record, the secret is compared by its SHA-256
digest in constant time. Secrets are 256 random bits, so a fast hash is enough (a slow one guards
low-entropy passwords, which these are not). The file is re-read when it changes, so a key is added,
rotated or revoked without a restart.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from somnia_auth.errors import Unauthenticated
from somnia_auth.grants import Grant, InvalidGrant, Principal

KEY_PREFIX = "somnia_"


class KeyRecord(BaseModel):
    id: str = Field(pattern=r"^[a-f0-9]{12}$")
    name: str = Field(min_length=1, max_length=128)
    sha256: str = Field(pattern=r"^[a-f0-9]{64}$")
    namespaces: list[str] = Field(min_length=1)
    scopes: list[str] = Field(min_length=1)
    created_at: datetime

    def grant(self) -> Grant:
        return Grant.of(self.namespaces, self.scopes)


class KeyFile(BaseModel):
    keys: list[KeyRecord] = []


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_key(name: str, namespaces: list[str], scopes: list[str]) -> tuple[str, KeyRecord]:
    """A fresh key and the record to store for it; the key itself is shown once and never stored."""
    Grant.of(namespaces, scopes)  # refuse a bad grant before anything is written
    key_id, secret = secrets.token_hex(6), secrets.token_hex(32)
    record = KeyRecord(
        id=key_id,
        name=name,
        sha256=digest(secret),
        namespaces=namespaces,
        scopes=scopes,
        created_at=datetime.now(UTC),
    )
    return f"{KEY_PREFIX}{key_id}_{secret}", record


def read_key_file(path: Path) -> KeyFile:
    try:
        return KeyFile.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return KeyFile()
    except (ValidationError, ValueError) as exc:
        raise InvalidGrant(f"API key file {path} is not valid: {exc}") from exc


def write_key_file(path: Path, keys: KeyFile) -> None:
    """Atomically, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(json.dumps(keys.model_dump(mode="json"), indent=2) + "\n")
    os.replace(temporary, path)


def add_key(path: Path, name: str, namespaces: list[str], scopes: list[str]) -> tuple[str, KeyRecord]:
    keys = read_key_file(path)
    if any(k.name == name for k in keys.keys):
        raise InvalidGrant(f"a key named {name!r} exists in {path}; revoke it first or pick another name")
    key, record = new_api_key(name, namespaces, scopes)
    write_key_file(path, KeyFile(keys=[*keys.keys, record]))
    return key, record


def revoke_key(path: Path, name: str) -> bool:
    keys = read_key_file(path)
    kept = [k for k in keys.keys if k.name != name]
    if len(kept) == len(keys.keys):
        return False
    write_key_file(path, KeyFile(keys=kept))
    return True


class KeyRing:
    """The keys of one file, reloaded when its modification time changes."""

    def __init__(self, path: Path, *, recheck_s: float = 1.0) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._records: dict[str, tuple[KeyRecord, Grant]] = {}
        # The file is looked at no more than once per recheck_s: a revoked key stops working within it.
        self._recheck_s, self._checked_at = recheck_s, 0.0
        self._reload()

    def _reload(self) -> None:
        self._checked_at = time.monotonic()
        try:
            stat = self._path.stat()
        except FileNotFoundError as exc:
            raise InvalidGrant(
                f"API key file {self._path} does not exist; create a key with `somnia keys create`"
            ) from exc
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp:
            return
        records = {r.id: (r, r.grant()) for r in read_key_file(self._path).keys}
        with self._lock:
            self._records, self._stamp = records, stamp

    def verify(self, key: str) -> Principal:
        key_id, _, secret = key.removeprefix(KEY_PREFIX).partition("_")
        # A file being rewritten or broken keeps the keys last read. An unknown id looks at once (a key
        # made a moment ago works at once); a revoked one stops working within recheck_s.
        if key_id not in self._records or time.monotonic() - self._checked_at >= self._recheck_s:
            with contextlib.suppress(InvalidGrant, OSError):
                self._reload()
        found = self._records.get(key_id)
        # compare_digest on both paths: an unknown id costs what a wrong secret costs.
        expected = found[0].sha256 if found else "0" * 64
        if not hmac.compare_digest(digest(secret), expected) or found is None:
            raise Unauthenticated("the API key is not valid (unknown or revoked); ask an operator for a key")
        record, grant = found
        return Principal(f"key:{record.name}", "api-key", grant)
