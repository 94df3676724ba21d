"""Pause vs suspend side by side: the documented differences, read from one run of both."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def comparison(shown):
    result = shown("pause-vs-suspend")
    assert result.run.result.deviation_count == 0
    return result.comparison


def test_end_states_paused_in_memory_and_suspended_on_disk(comparison):
    pause, suspend = comparison.side("pause"), comparison.side("suspend")
    assert pause.state_after == "(paused, none, paused)"
    assert suspend.state_after == "(suspended, none, shutdown)"
    assert (pause.api_status, pause.power_state) == ("PAUSED", 3)
    assert (suspend.api_status, suspend.power_state) == ("SUSPENDED", 4)
    assert not pause.kept_on_disk and "managed.save" not in pause.files
    assert suspend.kept_on_disk and "managed.save" in suspend.files


def test_unpause_and_resume_in_the_logs(comparison):
    pause, suspend = comparison.side("pause"), comparison.side("suspend")
    assert [line.text for line in pause.compute_lines] == ["Pausing"]
    assert suspend.compute_lines == []  # Nova logs no "Suspending"
    assert [line.text for line in pause.back_lines] == ["Unpausing"]
    assert [line.text for line in suspend.back_lines] == ["Resuming"]
    assert [line.text for line in pause.lifecycle] == ["VM Paused (Lifecycle Event)"]
    assert [line.text for line in suspend.lifecycle] == ["VM Paused (Lifecycle Event)",
                                                         "VM Stopped (Lifecycle Event)"]
    assert pause.back_state == suspend.back_state == "(active, none, running)"


def test_resume_times_are_measured_for_both(comparison):
    for side in comparison.sides:
        assert side.back_seconds_logs is not None and 0 <= side.back_seconds_logs < 30
        assert side.back_seconds_client is not None and 0 < side.back_seconds_client < 60


def test_comparison_is_in_the_text_and_on_the_page(shown):
    result = shown("pause-vs-suspend")
    assert result.text.startswith("Pause vs suspend, side by side")
    assert "Unpausing" in result.text and "Resuming" in result.text
    page = result.page.read_text(encoding="utf-8")
    assert "Pause vs suspend, side by side" in page and "managed.save" in page
