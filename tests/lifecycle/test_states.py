"""Instance states are values made once each, in a table that log text cannot grow without bound."""

from __future__ import annotations

from analyzer.vocab import states
from analyzer.vocab.states import InstanceState


def test_the_same_state_is_the_same_object() -> None:
    start = InstanceState()
    assert start.with_changes("active", "none", "running") is start.with_changes("active", "none", "running")


def test_vm_states_from_a_log_do_not_grow_the_table_without_bound() -> None:
    start = InstanceState()
    made = [start.with_changes(f"state-{n}", "none", None) for n in range(states._MADE_LIMIT * 2)]
    assert len(states._MADE) <= states._MADE_LIMIT
    assert made[0] == InstanceState("state-0", "none", None)  # still a value after the table is cleared
    assert made[-1].vm == f"state-{states._MADE_LIMIT * 2 - 1}"
