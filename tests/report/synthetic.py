"""A large CheckResult made from a real one: its stories copied under new UUIDs, later in time.

Checking a log with 100,000 operations takes minutes and a 5-million-line corpus; the
report only reads the CheckResult, so tests and benchmarks/report_speed.py build one of
that size from a real check in seconds.  Each copy keeps the real operations' steps,
deviations and state transitions, shifted by whole copies of the input's time span.
"""

from __future__ import annotations

import uuid
from dataclasses import fields
from operator import attrgetter

from analyzer.lifecycle import CheckResult, durations
from analyzer.lifecycle.correlate import Operation
from analyzer.lifecycle.deviations import Deviation
from analyzer.lifecycle.machine import Checked, InstanceStory, StepSeen, Transition
from analyzer.lifecycle.records import Record

_FIELDS = [f.name for f in fields(Record)]
_RECORD_VALUES = attrgetter(*_FIELDS)
_ORDER, _T, _INSTANCE = _FIELDS.index("order"), _FIELDS.index("t"), _FIELDS.index("instance")
_NAMESPACE = uuid.UUID("3b0f6f9e-6b3c-4a57-9d1e-000000000100")
_NO_TIME = float("-inf")


def scaled(result: CheckResult, operations: int) -> CheckResult:
    """`result` copied until it holds at least `operations` operations (durations recomputed)."""
    base = result.checked
    if not base:
        raise ValueError("the result has no operations to copy")
    times = [c.start for c in base if c.start != _NO_TIME] + [c.operation.last for c in base]
    period = max(times) - min(times) + 60.0
    copies = -(-operations // len(base))
    stories: dict[str, InstanceStory] = {}
    order = [0]
    for copy in range(copies):
        for name, story in result.stories.items():
            new_name = str(uuid.uuid5(_NAMESPACE, f"{copy}/{name}"))
            mover = _Mover(new_name, copy * period, order)
            checked = [mover.checked(item) for item in story.checked]
            transitions = [Transition(t.time + mover.shift if t.time is not None else None, t.state, t.cause,
                                      mover(t.evidence) if t.evidence else None) for t in story.transitions]
            stories[new_name] = InstanceStory(new_name, checked, transitions)
    out = CheckResult(result.release, result.flows, stories, result.summary, result.facts)
    out.durations = durations.table(out.checked)
    return out


class _Mover:
    """Copies records to one new instance, `shift` seconds later, each record once."""

    def __init__(self, instance: str, shift: float, order: list[int]) -> None:
        self.instance = instance
        self.shift = shift
        self.order = order  # a counter shared by every copy
        self.memo: dict[int, Record] = {}

    def __call__(self, record: Record) -> Record:
        known = self.memo.get(id(record))
        if known is None:
            self.order[0] += 1
            values = list(_RECORD_VALUES(record))  # every field, whatever the engine keeps in a Record
            values[_ORDER] = self.order[0]
            if record.t != _NO_TIME:
                values[_T] = record.t + self.shift
            if record.instance:
                values[_INSTANCE] = self.instance
            known = self.memo[id(record)] = Record(*values)  # dataclasses.replace is 10x slower
        return known

    def checked(self, item: Checked) -> Checked:
        steps = [StepSeen(s.step, self(s.record), s.duration) for s in item.steps]
        deviations = [Deviation(d.kind, d.detail, [self(r) for r in d.evidence], d.step)
                      for d in item.deviations]
        kept = {id(s.record) for s in item.steps} | {id(r) for d in item.deviations for r in d.evidence}
        records = [self(r) for r in item.operation.records if id(r) in kept]
        operation = Operation(item.flow, self.instance, item.operation.request_id,
                              records or [self(item.operation.records[0])])
        return Checked(operation, steps=steps, deviations=deviations, complete=item.complete,
                       refused=item.refused, begins_before_log=item.begins_before_log, before=item.before,
                       after=item.after)
