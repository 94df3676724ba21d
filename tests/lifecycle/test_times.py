"""Times in check's JSON and evidence: ISO 8601 in UTC to the millisecond, as datetime writes them."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from analyzer.lifecycle.records import iso_time


def _datetime_text(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


@pytest.mark.parametrize("seconds", [
    0.0, 1451606400.0, 1451606400.0005, 1451606400.9995,
    1451606400.9999995,  # rounds up to the next second at the microsecond
    1451606399.99999949, 86399.9999996,  # ... and across midnight
    1700000000.123456, -0.5, -1.0000004,
])
def test_edge_times_are_written_as_datetime_writes_them(seconds: float) -> None:
    assert iso_time(seconds) == _datetime_text(seconds)


def test_many_times_are_written_as_datetime_writes_them() -> None:
    generator = random.Random(3)
    values = [generator.uniform(1.3e9, 1.9e9) for _ in range(20_000)]
    values += [round(value, 6) for value in values[:5_000]]  # times parsed to the microsecond
    assert [iso_time(v) for v in values] == [_datetime_text(v) for v in values]


def test_no_time_is_none() -> None:
    assert iso_time(None) is None
    assert iso_time(float("-inf")) is None
