"""What a report covers: --instance prefixes, the --since/--until window, and the sample drawn
in detail when there is more than a page can draw."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from analyzer.errors import InputError
from analyzer.lifecycle import CheckResult, check
from analyzer.report.scope import Limits, parse_time, scope

SAMPLES = Path(__file__).resolve().parents[2] / "sample_logs"


@pytest.fixture(scope="module")
def samples() -> CheckResult:
    return check([SAMPLES])


@pytest.mark.parametrize(("text", "expected"), [
    ("2016-06-28", datetime(2016, 6, 28, tzinfo=UTC)),
    ("2016-06-28 13:57", datetime(2016, 6, 28, 13, 57, tzinfo=UTC)),
    ("2016-06-28T13:57:00.250", datetime(2016, 6, 28, 13, 57, 0, 250000, tzinfo=UTC)),
    ("2016-06-28T13:57:00Z", datetime(2016, 6, 28, 13, 57, tzinfo=UTC)),
    ("2016-06-28T15:57:00+02:00", datetime(2016, 6, 28, 13, 57, tzinfo=UTC)),
])
def test_times_are_iso_8601_and_utc_unless_they_say(text: str, expected: datetime) -> None:
    assert parse_time(text, "--since") == expected.timestamp()


@pytest.mark.parametrize("text", ["yesterday", "13:57", "2016-13-01", "2016-06-28 25:00", ""])
def test_a_bad_time_is_an_input_error_naming_the_option(text: str) -> None:
    with pytest.raises(InputError, match="--until"):
        parse_time(text, "--until")


def test_instances_by_unique_prefix(samples: CheckResult) -> None:
    full = sorted(samples.stories)[0]
    chosen = scope(samples, instances=[full[:8]])
    assert list(chosen.stories) == [full]
    assert {c.operation.instance for c in chosen.checked} == {full}
    assert chosen.detailed == [full]


def test_an_unknown_or_ambiguous_prefix_is_an_input_error(samples: CheckResult) -> None:
    with pytest.raises(InputError, match="no instance 'ffffffff'"):
        scope(samples, instances=["ffffffff"])
    first_chars = [uuid[0] for uuid in samples.stories]
    shared = next(c for c in first_chars if first_chars.count(c) > 1)
    with pytest.raises(InputError, match="matches 2 instances|matches 3 instances"):
        scope(samples, instances=[shared])


def test_the_window_keeps_operations_that_overlap_it(samples: CheckResult) -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    later = scope(samples, since=since)
    assert later.checked and all(c.operation.last >= since for c in later.checked)
    earlier = scope(samples, until=since)
    assert earlier.checked and all(c.start <= since for c in earlier.checked)
    assert len(later.checked) + len(earlier.checked) == len(samples.checked)
    # instances of the other part are left out, and the statistics are those of the window
    assert set(later.stories).isdisjoint(earlier.stories)
    assert sum(v["count"] for v in later.durations.values()) == len(later.checked)


def test_since_after_until_is_an_input_error(samples: CheckResult) -> None:
    with pytest.raises(InputError, match="--since is after --until"):
        scope(samples, since=2.0, until=1.0)


def test_everything_is_drawn_when_it_fits(samples: CheckResult) -> None:
    chosen = scope(samples)
    assert sorted(chosen.detailed) == sorted(samples.stories)
    assert chosen.notices == []


def test_past_the_limits_deviating_instances_come_first_and_the_page_says_so(samples: CheckResult) -> None:
    limits = Limits(detail_instances=4, detail_steps=10_000)
    chosen = scope(samples, limits=limits)
    assert len(chosen.detailed) == 4
    troubled = {c.operation.instance for c in samples.checked if c.status != "ok"}
    assert len(troubled) >= 2 and len(set(chosen.detailed) & troubled) >= 2  # half the places at least
    assert f"drawn for 4 of {len(samples.stories)} instances" in chosen.notices[0]


def test_the_step_budget_bounds_the_detail(samples: CheckResult) -> None:
    chosen = scope(samples, limits=Limits(detail_steps=100))
    drawn = sum(len(s.steps) for items in chosen.shown_operations.values() for s in items)
    assert 0 < drawn <= 100 or len(chosen.detailed) == 1  # one instance is drawn whatever its size
    assert chosen.notices
