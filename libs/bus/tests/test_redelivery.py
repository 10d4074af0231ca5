import logging
from types import SimpleNamespace

from somnia_bus import backoff_s, num_delivered, settle_failed


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff_s(n, 2.0) for n in (1, 2, 3, 4, 5)] == [0.25, 0.5, 1.0, 2.0, 2.0]


class FakeMsg:
    """A stand-in for a JetStream message (only its delivery count and settle calls matter here)."""

    def __init__(self, delivered: int) -> None:
        self.metadata = SimpleNamespace(num_delivered=delivered)
        self.subject = "somnia.v1.session.turn.a/b/c.s1"
        self.settled: tuple[str, float | None] | None = None

    async def nak(self, delay: float | None = None) -> None:
        self.settled = ("nak", delay)

    async def term(self) -> None:
        self.settled = ("term", None)


async def test_each_message_gets_its_own_delay_and_poison_is_terminated() -> None:
    fresh, retried, poisoned = FakeMsg(1), FakeMsg(3), FakeMsg(5)
    await settle_failed(
        [fresh, retried, poisoned], OSError("x"), max_backoff_s=30, max_deliver=5, log=logging.getLogger("test")
    )
    assert fresh.settled == ("nak", 0.25)
    assert retried.settled == ("nak", 1.0)
    assert poisoned.settled == ("term", None)
    assert num_delivered(object()) == 1
