"""Whether a parsed record is a given step: event name plus field values (see vocab/flows)."""

from __future__ import annotations

from analyzer.lifecycle.records import Record
from analyzer.vocab.flows import Flow, Matcher, Step

ANY_VALUE = "*"


def matches(matcher: Matcher, record: Record) -> bool:
    """True when `record` is one of the matcher's events with the required field values."""
    if record.event not in matcher.events:
        return False
    if not matcher.where:
        return True
    fields = record.fields
    for name, allowed in matcher.where:
        value = fields.get(name)
        if value is None:
            return False
        if ANY_VALUE in allowed:
            continue
        if _text(value) not in allowed:
            return False
    return True


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def steps_matching(flow: Flow, steps: list[Step], record: Record) -> list[int]:
    """Indexes (into `steps`) of the steps `record` is."""
    return [index for index, step in enumerate(steps) if matches(step.matcher, record)]


def opens(flow: Flow, record: Record) -> bool:
    return any(matches(opener, record) for opener in flow.openers)


def step_events(flows: list[Flow]) -> frozenset[str]:
    """Every event a flow names, as opener or step."""
    names: set[str] = set()
    for flow in flows:
        for matcher in flow.openers:
            names.update(matcher.events)
        for step in flow.steps:
            names.update(step.matcher.events)
    return frozenset(names)
