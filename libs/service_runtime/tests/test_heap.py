"""The heap freezer: survivors leave the collector's reach, garbage does not survive into the frozen
generation, and frozen objects are still freed when nothing refers to them."""

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest
from somnia_service_runtime.heap import freeze_after_start, freeze_heap


class Held:
    """A tracked object with a weak reference, to see when it is freed."""


@pytest.fixture(autouse=True)
def thawed() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_survivors_are_frozen_and_cycles_already_dead_are_not() -> None:
    kept = Held()
    cycle = Held()
    cycle.self = cycle  # type: ignore[attr-defined]
    dead = weakref.ref(cycle)
    del cycle
    assert freeze_heap() > 0
    assert dead() is None  # the collection before the freeze took the unreachable cycle
    # Frozen objects are in no generation the collector walks.
    assert all(o is not kept for o in gc.get_objects())


def test_a_frozen_object_is_still_freed_when_nothing_refers_to_it() -> None:
    held = Held()
    ref = weakref.ref(held)
    freeze_heap()
    del held
    assert ref() is None


async def test_it_freezes_at_start_and_again_after_the_settle_time() -> None:
    task = asyncio.create_task(freeze_after_start(0.05))
    await asyncio.sleep(0.01)
    first = gc.get_freeze_count()
    assert first > 0
    late = [Held() for _ in range(100)]  # what a first request loads lazily
    await task
    assert gc.get_freeze_count() >= first + len(late)
