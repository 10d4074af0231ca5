"""Hostile message bodies for every event a consumer parses: hypothesis generates random bytes, invalid
UTF-8, deep nesting, huge fields and mutated valid events. Each is either parsed or terminated (dead:
never redelivered), and the opener never raises, so no body can stall a consumer.

The raw message is a stand-in (FakeRawMessage) recording term(); the parse functions are the real ones."""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.trace import NoOpTracerProvider
from somnia_bus import DeliveryOpener
from somnia_contracts import EVENT_KINDS, TurnCaptured, parse_event

EXAMPLES = 4 * int(os.environ.get("SOMNIA_FUZZ_EXAMPLES", "1300"))  # cheap: four times the RPC cases
PARSERS = [("parse_event", parse_event)] + [(kind.event_type, kind.model.model_validate_json) for kind in EVENT_KINDS]
OUTCOMES: Counter[str] = Counter()


@dataclass
class FakeRawMessage:
    """Stands in for a NATS message: its body, and whether the opener terminated it."""

    data: bytes
    subject: str = "somnia.v1.fuzz"
    headers: dict[str, str] = field(default_factory=dict)
    terminated: bool = False

    async def term(self) -> None:
        self.terminated = True


@dataclass
class FakeBatch:
    raw_message: list[FakeRawMessage]


def mutated_event(event_type: str, key: str, value: Any) -> bytes:
    body: dict[str, Any] = {"schema_version": 1, "event_type": event_type, "namespace": "a/b/c", "session_id": "s1"}
    body[key] = value
    return json.dumps(body).encode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


def turn_captured(content: str, turn_id: str) -> bytes:
    when = datetime(2026, 11, 1, tzinfo=UTC)
    return (
        TurnCaptured(
            namespace="a/b/c",
            session_id="s1",
            turn_id=turn_id,
            role="user",
            content=content,
            occurred_at=when,
            captured_at=when,
        )
        .model_dump_json()
        .encode()
    )


bodies = st.one_of(
    # Valid events carrying hostile text: parsed, and the text kept as it is.
    st.builds(turn_captured, st.text(max_size=500), st.from_regex(r"[A-Za-z0-9_:#-]{1,128}", fullmatch=True)),
    st.binary(max_size=2048),
    st.binary(max_size=64).map(lambda b: b"\xff\xfe" + b + b"\xc3\x28"),
    st.integers(1, 100_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, 100_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.builds(
        mutated_event,
        st.sampled_from([k.event_type for k in EVENT_KINDS] + ["nope", ""]),
        st.sampled_from(["namespace", "session_id", "content", "turn_id", "occurred_at", "memory_ids", "extra"]),
        st.one_of(json_values, st.integers(1, 2_000_000).map(lambda n: "x" * n)),
    ),
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(parser=st.sampled_from(PARSERS), body=bodies)
async def test_every_body_is_parsed_or_terminated(parser: tuple[str, Any], body: bytes) -> None:
    opener: DeliveryOpener[Any] = DeliveryOpener(
        parser[1], NoOpTracerProvider().get_tracer("fuzz"), "fuzz", lambda _: {}, logging.getLogger("fuzz")
    )
    raw = FakeRawMessage(body)
    deliveries = await opener.open(FakeBatch([raw]))  # type: ignore[arg-type]
    assert raw.terminated != bool(deliveries)  # one or the other, never both, never neither
    if deliveries and isinstance(deliveries[0].event, TurnCaptured):
        assert deliveries[0].event.content == json.loads(body)["content"]  # inert text, kept verbatim
    OUTCOMES["terminated" if raw.terminated else "parsed"] += 1


def test_report_outcomes() -> None:
    print(f"\nevent bodies: {sum(OUTCOMES.values())} cases, {dict(OUTCOMES)}")
