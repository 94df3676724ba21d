"""Verdicts reused across operations of the same shape.

A log holds thousands of boots, stops and snapshots that went the same way: the same
flow, from the same state, with the same sequence of lines.  What `Checker.check` finds
(which line is which step, the deviations, the state the operation leaves) depends on
those lines only through their shape: event, the matchers it satisfies, the state it
shows.  So the first operation of each shape is checked step by step and its verdict is
kept with line positions in place of lines; the others take it with their own lines
(and their own times, for durations).

An operation whose verdict quotes its lines (an ERROR line, a traceback, a refusal by
the API) has no shape and is always checked in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from operator import sub
from typing import TYPE_CHECKING

import numpy as np

from analyzer.lifecycle import deviations as dv
from analyzer.lifecycle.matching import Assigned
from analyzer.vocab.flows import Step
from analyzer.vocab.states import InstanceState

if TYPE_CHECKING:  # machine imports this module
    from analyzer.lifecycle.correlate import Operation
    from analyzer.lifecycle.machine import Checked, StepSeen, Transition

Shape = tuple[object, ...]


class LineShapes:
    """Gives each line a number for what the verdict on its operation depends on.

    Beyond the event and the matchers it satisfies, that is the state an observation
    shows (machine.change_of reads these fields) and an access line's status.  A line
    the verdict would quote (an ERROR line, a traceback, an API refusal or failure)
    gets -1 (its record's shape is None).  Worked out on whole columns by `Hits.assign`,
    once per distinct line.
    """

    fields: dict[str, tuple[str, ...]] = {
        "lifecycle": ("state",), "sync_pending_task": ("task_state",),
        "sync_power_mismatch": ("vm_power_state",), "set_instance_state": ("vm_state",),
        "api_request": ("status",),
    }

    def shapes(self, assigned: Assigned, problems: np.ndarray) -> np.ndarray:
        """Each row's shape number, -1 for the rows in `problems` and those quoted."""
        shape_of = np.array([_shape(number, event, values)
                             for number, (event, values) in enumerate(assigned.kinds)] or [-1],
                            dtype=np.int64)
        shapes = shape_of[assigned.numbers]
        shapes[problems] = -1
        return shapes


def _shape(number: int, event: str, values: dict[str, str | None]) -> int:
    if event == "api_refusal":
        return -1
    if event == "api_request":
        try:
            status = int(values.get("status") or 0)
        except ValueError:
            status = 0
        if status >= 400:
            return -1
    return number


LINE_SHAPES = LineShapes()


@dataclass(frozen=True, slots=True)
class Verdict:
    """A checked operation with its lines replaced by their positions in the operation."""

    step_lines: tuple[int, ...]  # the position of each step's line, in the order seen
    steps: tuple[Step, ...]  # the steps those lines are
    deviations: tuple[tuple[str, str, tuple[int, ...], str | None], ...]
    complete: bool
    refused: bool
    begins_before_log: bool
    after: InstanceState
    transition_lines: tuple[int, ...]
    transition_states: tuple[InstanceState, ...]
    transition_causes: tuple[str, ...]

    @classmethod
    def of(cls, checked: Checked) -> Verdict | None:
        """The verdict of `checked`, or None if it cites a line outside its operation."""
        position = {id(record): number for number, record in enumerate(checked.operation.records)}
        try:
            return cls(
                tuple(position[id(seen.record)] for seen in checked.steps),
                tuple(seen.step for seen in checked.steps),
                tuple((d.kind, d.detail, tuple(position[id(r)] for r in d.evidence), d.step)
                      for d in checked.deviations),
                checked.complete, checked.refused, checked.begins_before_log, checked.after,
                tuple(position[id(t.evidence)] for t in checked.transitions),
                tuple(t.state for t in checked.transitions),
                tuple(t.cause for t in checked.transitions),
            )
        except (KeyError, TypeError):  # a line of another operation, or a transition without one
            return None

    def checked(self, operation: Operation, before: InstanceState) -> Checked:
        """`operation` (of the same shape as the one this verdict was found on), checked.

        Its steps and state changes are left to `steps_of` and `transitions_of`, made when
        someone asks for them.
        """
        checked_type, _, _ = _machine_types()
        records = operation.records
        deviations = [dv.Deviation(kind, detail, [records[p] for p in where], step)
                      for kind, detail, where, step in self.deviations] if self.deviations else []
        # every field given, in order: no defaults worked out for the thousands of these
        return checked_type(operation, None, deviations, self.complete, self.refused,
                            self.begins_before_log, before, self.after, None, self)

    def transitions_of(self, operation: Operation) -> list[Transition]:
        """The changes of state of `operation`, one of this verdict's shape."""
        if not self.transition_lines:
            return []
        _, _, transition = _machine_types()
        records = operation.records
        evidence = [records[line] for line in self.transition_lines]
        return list(map(transition, [record.seconds for record in evidence],
                        self.transition_states, self.transition_causes, evidence))

    def steps_of(self, operation: Operation) -> list[StepSeen]:
        """The steps of `operation`, one of this verdict's shape, with their durations."""
        _, step_seen, _ = _machine_types()
        records = operation.records
        lines = [records[line] for line in self.step_lines]
        times = [record.t for record in lines]
        durations = [None, *map(sub, times[1:], times[:-1])] if times else []
        return list(map(step_seen, self.steps, lines, durations))


@cache
def _machine_types() -> tuple[type, type, type]:
    """machine.Checked, StepSeen and Transition (machine imports this module)."""
    from analyzer.lifecycle.machine import Checked, StepSeen, Transition  # noqa: PLC0415

    return Checked, StepSeen, Transition


class Verdicts:
    """The verdicts found so far in one check, by operation shape."""

    def __init__(self) -> None:
        self.known: dict[Shape, Verdict] = {}

    def get(self, shape: Shape | None) -> Verdict | None:
        return self.known.get(shape) if shape is not None else None

    def keep(self, shape: Shape | None, checked: Checked) -> None:
        if shape is None:
            return
        verdict = Verdict.of(checked)
        if verdict is not None:
            self.known[shape] = verdict
