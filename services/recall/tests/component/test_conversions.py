"""Conversions between the service's models and the protobuf messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from somnia_recall.conversions import timestamp


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 29, 21, 28, 36, 999_999, tzinfo=UTC),
        datetime(2026, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 1, 1, 12, 0),  # naive: UTC, as Timestamp.FromDatetime reads it
    ],
)
def test_a_time_converts_exactly_as_from_datetime_does(value: datetime) -> None:
    expected = Timestamp()
    expected.FromDatetime(value)
    assert timestamp(value) == expected
