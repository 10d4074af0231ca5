"""API keys: shown once, stored as hashes, verified in constant time, revoked without a restart."""

import os
import stat
from pathlib import Path

import pytest
from somnia_auth import KeyRing, Unauthenticated, add_key, ensure_local_key, read_local_key, revoke_key


def test_a_key_verifies_to_its_grant_and_only_its_hash_is_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    key, record = add_key(path, "support-bot", ["acme/support-bot/*"], ["capture", "recall"])
    assert key.startswith(f"somnia_{record.id}_")
    secret = key.rsplit("_", 1)[1]
    assert secret not in path.read_text() and key not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    principal = KeyRing(path).verify(key)
    assert principal.subject == "key:support-bot" and principal.method == "api-key"
    assert principal.grant.allows("recall", "acme/support-bot/alice")
    assert not principal.grant.allows("recall", "acme/other/alice")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda k: k[:-1] + ("0" if k[-1] != "0" else "1"),  # wrong secret
        lambda k: "somnia_000000000000_" + k.rsplit("_", 1)[1],  # unknown id
        lambda k: "somnia_",
        lambda k: "somnia_" + "x" * 5000,
    ],
)
def test_a_wrong_key_is_refused_without_saying_which_part_was_wrong(tmp_path: Path, mangle) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "keys.json"
    key, _ = add_key(path, "bot", ["*"], ["recall"])
    with pytest.raises(Unauthenticated, match=r"not valid \(unknown or revoked\)"):
        KeyRing(path).verify(mangle(key))


def test_keys_added_and_revoked_take_effect_on_a_running_ring(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    old, _ = add_key(path, "old", ["*"], ["recall"])
    ring = KeyRing(path, recheck_s=0)  # servers look once a second; here at every call
    new, _ = add_key(path, "new", ["*"], ["recall"])
    os.utime(path, ns=(1, path.stat().st_mtime_ns + 1_000_000))  # a coarse clock must still see the change
    assert ring.verify(new).subject == "key:new"
    assert revoke_key(path, "old")
    os.utime(path, ns=(1, path.stat().st_mtime_ns + 2_000_000))
    with pytest.raises(Unauthenticated):
        ring.verify(old)
    assert ring.verify(new).subject == "key:new"


def test_the_local_key_is_made_once_and_kept(tmp_path: Path) -> None:
    keys_path = ensure_local_key(tmp_path / "auth")
    key = read_local_key(tmp_path / "auth")
    assert stat.S_IMODE((tmp_path / "auth" / "local.key").stat().st_mode) == 0o600
    assert ensure_local_key(tmp_path / "auth") == keys_path and read_local_key(tmp_path / "auth") == key
    principal = KeyRing(keys_path).verify(key)
    assert principal.grant.allows("admin", "any/name/space")


def test_a_new_key_works_at_once_and_a_revoked_one_within_the_recheck(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    add_key(path, "first", ["*"], ["recall"])
    ring = KeyRing(path, recheck_s=3600)
    new, _ = add_key(path, "new", ["*"], ["recall"])
    assert ring.verify(new).subject == "key:new"  # an unknown id makes the ring look again at once
    assert revoke_key(path, "new")
    assert ring.verify(new).subject == "key:new"  # a known one waits for the recheck
    with pytest.raises(Unauthenticated):
        KeyRing(path).verify(new)
