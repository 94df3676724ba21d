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
from typing import TYPE_CHECKING

from analyzer.lifecycle import deviations as dv
from analyzer.lifecycle.records import Record
from analyzer.vocab.flows import Step
from analyzer.vocab.states import InstanceState

if TYPE_CHECKING:  # machine imports this module
    from analyzer.lifecycle.machine import Checked

Shape = tuple[object, ...]


@dataclass(frozen=True, slots=True)
class Verdict:
    """A checked operation with its lines replaced by their positions in the operation."""

    steps: tuple[tuple[int, int], ...]  # (line position, step index)
    deviations: tuple[tuple[str, str, tuple[int, ...], str | None], ...]
    complete: bool
    refused: bool
    begins_before_log: bool
    after: InstanceState
    transitions: tuple[tuple[int, InstanceState, str], ...]  # (line position, state, cause)

    @classmethod
    def of(cls, checked: Checked, steps: list[Step]) -> Verdict | None:
        """The verdict of `checked`, or None if it cites a line outside its operation."""
        position = {id(record): number for number, record in enumerate(checked.operation.records)}
        step_index = {id(step): number for number, step in enumerate(steps)}
        try:
            return cls(
                tuple((position[id(seen.record)], step_index[id(seen.step)]) for seen in checked.steps),
                tuple((d.kind, d.detail, tuple(position[id(r)] for r in d.evidence), d.step)
                      for d in checked.deviations),
                checked.complete, checked.refused, checked.begins_before_log, checked.after,
                tuple((position[id(t.evidence)], t.state, t.cause) for t in checked.transitions
                      if t.evidence is not None),
            )
        except KeyError:
            return None

    def apply(self, checked: Checked, steps: list[Step]) -> None:
        """Fill `checked` (made for another operation of the same shape) from this verdict."""
        from analyzer.lifecycle.machine import StepSeen, Transition  # noqa: PLC0415 (cycle)

        records = checked.operation.records
        previous: Record | None = None
        seen_steps = checked.steps
        for line, index in self.steps:
            record = records[line]
            seen_steps.append(StepSeen(steps[index], record,
                                       record.t - previous.t if previous is not None else None))
            previous = record
        checked.deviations = [dv.Deviation(kind, detail, [records[p] for p in lines], step)
                              for kind, detail, lines, step in self.deviations]
        checked.complete = self.complete
        checked.refused = self.refused
        checked.begins_before_log = self.begins_before_log
        checked.after = self.after
        checked.transitions = [Transition(records[line].seconds, state, cause, records[line])
                               for line, state, cause in self.transitions]


class Verdicts:
    """The verdicts found so far in one check, by operation shape."""

    def __init__(self) -> None:
        self.known: dict[Shape, Verdict] = {}

    def get(self, shape: Shape | None) -> Verdict | None:
        return self.known.get(shape) if shape is not None else None

    def keep(self, shape: Shape | None, checked: Checked, steps: list[Step]) -> None:
        if shape is None or len(checked.transitions) != sum(
                1 for t in checked.transitions if t.evidence is not None):
            return
        verdict = Verdict.of(checked, steps)
        if verdict is not None:
            self.known[shape] = verdict
