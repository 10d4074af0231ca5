"""The warm pack's pool: one entry per thing said, nothing the opening already says, and what a statement
about someone or something named is worth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from somnia_memory_store import MemoryRecord
from somnia_retrieval.pack_pool import Pool, predictive
from somnia_retrieval.salience import is_anchored, salience

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
OPENING = np.asarray([1.0, 0.0], dtype=np.float32)


def said(memory_id: str, text: str, vector: list[float], day: int = 0) -> MemoryRecord:
    v = np.asarray(vector, dtype=np.float32)
    return MemoryRecord(
        memory_id=memory_id,
        namespace="a/b/c",
        text=text,
        session_id=f"s{day}",
        turn_id=memory_id,
        role="user",
        occurred_at=T0 + timedelta(days=day),
        recorded_at=T0 + timedelta(days=day),
        embedder="e",
        vector=v / np.linalg.norm(v),
    )


def pooled(records: list[MemoryRecord]) -> list[str]:
    pool = Pool.of(records, set(), opening=OPENING, topics=None)
    return [p.record.memory_id for p in pool.ranked(predictive)]


def test_the_same_request_made_before_is_left_out_the_agent_has_the_opening() -> None:
    echo = said("echo", "Priya: Hi, today I need to renew the certificates for billing-api.", [0.88, 0.475])
    answer = said("how", "To renew the certificates, I always run `certbot renew` first.", [0.5, 0.866])
    assert pooled([echo, answer]) == ["how"]


def test_a_text_said_twice_is_pooled_once_as_first_said() -> None:
    later = said("later", "Dana: We never deploy on Fridays.", [0.3, 0.954], day=4)
    first = said("first", "Sam: we never deploy on  Fridays.", [0.3, 0.954], day=1)
    other = said("other", "The staging deploy fails because the disk on build-07 is full.", [0.4, 0.917], day=2)
    assert sorted(pooled([later, first, other])) == ["first", "other"]


@pytest.mark.parametrize(
    ("named", "unnamed"),
    [
        ("Ines owns billing-api; Ines wants every change announced a day ahead.", "That sounds like a lot of work."),
        ("That broke: `certbot` errors out when two jobs hold the same lock.", "That broke again, same as before."),
    ],
)
def test_a_statement_about_someone_or_something_named_counts_as_one_in_the_first_person(
    named: str, unnamed: str
) -> None:
    assert salience(named) > salience(unnamed)
    # As much as the same statement told in the first person, not half of it.
    assert salience(named) >= 0.9 * salience("I " + named[0].lower() + named[1:])


@pytest.mark.parametrize(
    "thread",
    [
        "I promised Dana we would write the incident report by Friday.",
        "We still need to archive the old buckets.",
        "The migration has to be done by the end of the month.",
        "Let's pick the cron jobs up next sprint.",
    ],
)
def test_a_deadline_or_a_promise_still_owed_is_a_plan_anchored_in_time(thread: str) -> None:
    assert is_anchored(thread)


@pytest.mark.parametrize("plain", ["Let us stop by the shop.", "He is due back soon.", "Sounds good, thanks."])
def test_a_plain_turn_is_not_anchored(plain: str) -> None:
    assert not is_anchored(plain)
