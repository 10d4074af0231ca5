"""The key `somnia up` makes on first start, so one machine works with no setup: an admin key over
every namespace, its hash in `<dir>/api-keys.json` and the key itself in `<dir>/local.key` (0600),
where the CLI finds it."""

from __future__ import annotations

import os
from pathlib import Path

from somnia_auth.api_keys import KEY_PREFIX, KeyFile, new_api_key, read_key_file, write_key_file

LOCAL_KEY_NAME = "local"


def local_key_paths(directory: Path) -> tuple[Path, Path]:
    return directory / "local.key", directory / "api-keys.json"


def read_local_key(directory: Path) -> str:
    key_file, _ = local_key_paths(directory)
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        return ""


def ensure_local_key(directory: Path) -> Path:
    """Create the local key unless the one on disk is still listed; returns the key file's path."""
    key_file, keys_path = local_key_paths(directory)
    keys = read_key_file(keys_path)
    key = read_local_key(directory)
    key_id = key.removeprefix(KEY_PREFIX).partition("_")[0]
    if key and any(k.id == key_id for k in keys.keys):
        return keys_path
    key, record = new_api_key(LOCAL_KEY_NAME, ["*"], ["admin"])
    others = [k for k in keys.keys if k.name != LOCAL_KEY_NAME]
    write_key_file(keys_path, KeyFile(keys=[*others, record]))
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    return keys_path
