"""Namespace patterns and scopes: what a grant covers, and what it refuses to be."""

import pytest
from somnia_auth import EVERYTHING, Grant, InvalidGrant


@pytest.mark.parametrize(
    ("pattern", "namespace", "covered"),
    [
        ("*", "acme/bot/alice", True),
        ("acme/*", "acme/bot/alice", True),
        ("acme/*", "acme/other-bot/bob", True),
        ("acme/*", "acmex/bot/alice", False),
        ("acme/*", "globex/bot/alice", False),
        ("acme/support-bot/*", "acme/support-bot/alice", True),
        ("acme/support-bot/*", "acme/sales-bot/alice", False),
        ("acme/*/alice", "acme/any-bot/alice", True),
        ("acme/*/alice", "acme/any-bot/bob", False),
        ("acme/bot/alice", "acme/bot/alice", True),
        ("acme/bot/alice", "acme/bot/alice2", False),
        ("acme/bot/alice", "acme/bot", False),
    ],
)
def test_patterns_cover_exactly_their_tenant_agent_or_user(pattern: str, namespace: str, covered: bool) -> None:
    assert Grant.of([pattern], ["recall"]).allows("recall", namespace) is covered


def test_a_scope_covers_only_itself_and_admin_covers_all() -> None:
    reader = Grant.of(["acme/*"], ["recall"])
    assert reader.allows("recall", "acme/b/c")
    assert not reader.allows("capture", "acme/b/c")
    assert not reader.allows("forget", "acme/b/c") and not reader.allows("admin", "acme/b/c")
    admin = Grant.of(["acme/*"], ["admin"])
    assert all(admin.allows(s, "acme/b/c") for s in ("capture", "recall", "feedback", "forget", "admin"))
    assert not admin.allows("recall", "globex/b/c")
    assert EVERYTHING.allows("admin", "any/one/at-all")


@pytest.mark.parametrize("pattern", ["", "acme", "acme/bot", "ACME/*", "a/b/c/d", "acme/**", "acme/b*", "../*"])
def test_malformed_patterns_are_refused_with_the_shape_to_use(pattern: str) -> None:
    with pytest.raises(InvalidGrant, match=r"tenant/agent/user|end it with"):
        Grant.of([pattern], ["recall"])


def test_unknown_scopes_are_refused_naming_the_known_ones() -> None:
    with pytest.raises(InvalidGrant, match=r"'read' is unknown; use any of capture, recall"):
        Grant.of(["*"], ["read"])
