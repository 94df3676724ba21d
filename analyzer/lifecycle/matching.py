"""Whether a parsed record is a given step: event name plus field values (see vocab/flows).

`FlowIndex` looks steps and openers up by event name first, so a record is only ever
compared with the few matchers that name its event.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.lifecycle.records import OBSERVATIONS, Record
from analyzer.parse.jsonfields import loads
from analyzer.vocab.flows import Flow, Matcher, Step

ANY_VALUE = "*"
_NONE: list[int] = []


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


class Hits:
    """Which matchers a record satisfies, worked out once per distinct (event, field values).

    A log holds thousands of `VM Started` or `Running cmd` lines but only a handful of
    distinct combinations of the few fields the flows look at; each combination is
    compared with the matchers once and every record carries the answer.
    """

    def __init__(self, matchers: list[Matcher]) -> None:
        self.by_event: dict[str, list[Matcher]] = defaultdict(list)
        for matcher in matchers:
            for event in matcher.events:
                if not any(m is matcher for m in self.by_event[event]):
                    self.by_event[event].append(matcher)
        self.keys: dict[str, tuple[tuple[str, bool], ...]] = {}
        for event, found in self.by_event.items():
            names: dict[str, bool] = {}
            for matcher in found:
                for name, values in matcher.where:
                    presence = ANY_VALUE in values and len(values) == 1
                    names[name] = names.get(name, True) and presence
            self.keys[event] = tuple(names.items())
        self.cache: dict[tuple[object, ...], frozenset[int]] = {}

    def of(self, record: Record) -> frozenset[int]:
        known = record.hits
        if known is not None:
            return known
        keys = self.keys.get(record.event)
        if keys is None:
            record.hits = _NOTHING
            return _NOTHING
        fields = record.fields if keys else {}
        values = tuple((fields.get(name) is not None) if presence else _value(fields.get(name))
                       for name, presence in keys)
        record.hits = self.answer(record.event, values)
        return record.hits

    def answer(self, event: str, values: tuple[object, ...]) -> frozenset[int]:
        """The matchers of `event` satisfied by these values of its keys (see `keys`)."""
        signature = (event, *values)
        found = self.cache.get(signature)
        if found is None:
            given = dict(zip((name for name, _ in self.keys[event]), values, strict=True))
            found = frozenset(id(m) for m in self.by_event[event] if _satisfied(m, given))
            self.cache[signature] = found
        return found

    def assign(self, events: pa.Array | pa.ChunkedArray, fields: pa.Array | pa.ChunkedArray,
               extra: dict[str, tuple[str, ...]] | None = None) -> Assigned:
        """Every row's answer, worked out once per distinct key (event and key values).

        The key values are read from the fields JSON with Arrow kernels and joined into
        one signature per row; only the distinct signatures reach Python.  `extra` names
        more fields per event that tell rows apart without changing the answer: every row
        also gets the number of its distinct (event, key values, extra values).
        """
        extra = extra or {}
        rows = len(events)
        out = np.full(rows, _NOTHING, dtype=object)
        numbers = np.zeros(rows, dtype=np.int64)
        kinds: list[tuple[str, dict[str, str | None]]] = []
        codes = pc.dictionary_encode(_array(events))
        indices = codes.indices.to_numpy(zero_copy_only=False)
        for code, event in enumerate(codes.dictionary.to_pylist()):
            keys = self.keys.get(event)
            wanted = extra.get(event, ())
            valued = {name for name, presence in keys or () if not presence}
            more = tuple(name for name in wanted if name not in valued)  # the others come with the key
            where = np.flatnonzero(indices == code)
            if not keys and not more:
                if keys is not None:
                    out[where] = self.answer(event, ())
                numbers[where] = len(kinds)
                kinds.append((event, {}))
                continue
            keys = keys or ()
            # the same fields JSON recurs (`{"state":"Paused"}`): read each distinct text once
            texts = pc.take(fields, pa.array(where, type=pa.int64()))
            texts = pc.dictionary_encode(pc.fill_null(_array(texts), ""))
            text_of_row = texts.indices.to_numpy(zero_copy_only=False)
            texts = texts.dictionary
            columns = [_presence(texts, name) if presence else _extract(texts, name)
                       for name, presence in keys] + [_extract(texts, name) for name in more]
            signature = columns[0] if len(columns) == 1 else pc.binary_join_element_wise(
                *columns, _SEPARATOR, null_handling="replace", null_replacement=_ABSENT)
            distinct = pc.dictionary_encode(pc.fill_null(signature, _ABSENT))
            answers = np.empty(len(distinct.dictionary), dtype=object)
            number = np.empty(len(distinct.dictionary), dtype=np.int64)
            for position, joined in enumerate(distinct.dictionary.to_pylist()):
                parts = joined.split(_SEPARATOR) if len(columns) > 1 else [joined]
                values = tuple(_decoded(part, presence)
                               for part, (_, presence) in zip(parts, keys, strict=False))
                answers[position] = self.answer(event, values) if event in self.keys else _NOTHING
                number[position] = len(kinds)
                known = {name: _decoded(part, False)
                         for name, part in zip(more, parts[len(keys):], strict=True)}
                known.update((name, value) for (name, _), value in zip(keys, values, strict=False)
                             if name in wanted)
                kinds.append((event, known))  # type: ignore[arg-type]
            chosen = distinct.indices.to_numpy(zero_copy_only=False)[text_of_row]
            out[where] = answers[chosen]
            numbers[where] = number[chosen]
        return Assigned(out.tolist(), numbers, kinds)


@dataclass
class Assigned:
    """What `Hits.assign` finds for each row of a table."""

    answers: list[frozenset[int]]  # the ids of the matchers each row satisfies
    numbers: np.ndarray  # each row's distinct (event, key values, extra values), as an index of `kinds`
    kinds: list[tuple[str, dict[str, str | None]]]  # each distinct one: event and extra values


def _array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


_SEPARATOR = "\x1f"  # joins a row's key values; JSON text escapes control characters
_ABSENT = "\x1e"  # a key value the fields do not hold


_NOTHING: frozenset[int] = frozenset()


def _satisfied(matcher: Matcher, given: dict[str, object]) -> bool:
    for name, allowed in matcher.where:
        value = given.get(name)
        if value is None or value is False:
            return False
        if ANY_VALUE not in allowed and str(value) not in allowed:
            return False
    return True


def _presence(texts: pa.Array, name: str) -> pa.Array:
    """"1" where the fields JSON holds `name`, else null."""
    found = pc.fill_null(pc.match_substring(texts, json.dumps(name) + ":"), False)
    return pc.if_else(found, "1", pa.scalar(None, pa.string()))


def _extract(texts: pa.Array, name: str) -> pa.Array:
    """A top-level value of the fields JSON as it is written there (null when absent)."""
    pattern = _literal(json.dumps(name)) + r':(?P<v>"(?:[^"\\]|\\.)*"|[^,}\]]*)'
    return pc.struct_field(pc.extract_regex(texts, pattern), [0])


def _decoded(raw: str, presence: bool) -> object:
    """One key value as `answer` takes it: presence as a bool, a value as `_text` writes it."""
    if presence:
        return raw != _ABSENT
    if raw == _ABSENT or raw == "null":
        return None
    if raw.startswith('"'):
        return loads(raw) if "\\" in raw else raw[1:-1]
    return _text(float(raw)) if "." in raw else raw


def _value(value: object) -> str | None:
    return None if value is None else _text(value)


class FlowSteps:
    """One flow's steps for one release, indexed by event."""

    def __init__(self, flow: Flow, release: str, hits: Hits) -> None:
        self.flow = flow
        self.hits = hits
        self.steps: list[Step] = flow.steps_for(release)
        self.ids = [id(step.matcher) for step in self.steps]
        self.by_event: dict[str, list[int]] = defaultdict(list)
        for index, step in enumerate(self.steps):
            for event in step.matcher.events:
                self.by_event[event].append(index)
        self.ends = [step for step in self.steps if step.end]
        self.end_events = frozenset(event for step in self.ends for event in step.matcher.events)
        self._found: dict[int, list[int]] = {}  # id of a Hits answer -> steps (answers are shared)
        self._ending: dict[int, bool] = {}  # id of a Hits answer -> whether one of them is an end
        self.sets_task = {step.sets.task for step in flow.steps if step.sets is not None and step.sets.task}

    def matching(self, record: Record) -> list[int]:
        """Indexes (into `steps`) of the steps `record` is."""
        candidates = self.by_event.get(record.event)
        if not candidates:
            return _NONE
        hits = record.hits
        if hits is None:
            hits = self.hits.of(record)
        found = self._found.get(id(hits))
        if found is None:
            found = self._found[id(hits)] = [i for i in candidates if self.ids[i] in hits]
            self._ending[id(hits)] = any(self.steps[i].end for i in found)
        return found

    def has_step(self, record: Record) -> bool:
        return bool(self.matching(record))

    def is_end(self, record: Record) -> bool:
        if record.event not in self.end_events or not self.matching(record):
            return False
        return self._ending[id(record.hits)]


class FlowIndex:
    """All flows of a check, for one release."""

    def __init__(self, flows: list[Flow], release: str, vocabulary_excludes: frozenset[str],
                 hits: Hits | None = None) -> None:
        self.flows = flows
        self.release = release
        self.hits = hits if hits is not None else hits_for(flows)
        self.steps = {flow.name: FlowSteps(flow, release, self.hits) for flow in flows}
        self.openers: dict[str, list[tuple[Flow, Matcher]]] = defaultdict(list)
        self._opened: dict[tuple[str, int], list[Flow]] = {}
        for flow in flows:
            for matcher in flow.openers:
                for event in matcher.events:
                    self.openers[event].append((flow, matcher))
        # Ordered steps of every flow: a record like one of these inside an operation whose
        # flow lacks it is an unexpected step.
        self.vocabulary: dict[str, list[Matcher]] = defaultdict(list)
        for flow in flows:
            for step in self.steps[flow.name].steps:
                if step.unordered or set(step.matcher.events) & vocabulary_excludes:
                    continue
                for event in step.matcher.events:
                    self.vocabulary[event].append(step.matcher)

    def of(self, flow: Flow) -> FlowSteps:
        return self.steps[flow.name]

    def opened(self, record: Record) -> list[Flow]:
        """The flows `record` opens."""
        openers = self.openers.get(record.event)
        if not openers:
            return []
        hits = self.hits.of(record)
        key = (record.event, id(hits))  # answers are shared: one look per distinct answer
        found = self._opened.get(key)
        if found is None:
            found = self._opened[key] = [flow for flow, matcher in openers if id(matcher) in hits]
        return found

    def is_step_anywhere(self, record: Record) -> bool:
        vocabulary = self.vocabulary.get(record.event)
        if not vocabulary:
            return False
        hits = self.hits.of(record)
        return any(id(m) in hits for m in vocabulary)


def hits_for(flows: list[Flow]) -> Hits:
    """A Hits over every matcher of `flows` (openers and steps of every release)."""
    return Hits([m for flow in flows for m in [*flow.openers, *(s.matcher for s in flow.steps)]])


def narrowing(flows: list[Flow]) -> dict[str, str]:
    """Per event that every matcher naming it narrows by a field: a regex over the fields JSON
    that keeps at least the records some matcher could accept (records.select drops the rest)."""
    matchers: dict[str, list[Matcher]] = defaultdict(list)
    for flow in flows:
        for matcher in [*flow.openers, *(step.matcher for step in flow.steps)]:
            for event in matcher.events:
                matchers[event].append(matcher)
    out: dict[str, str] = {}
    for event, found in matchers.items():
        if event in OBSERVATIONS or any(not m.where for m in found):
            continue  # observations are kept whatever their fields say
        alternatives: set[str] = set()
        for matcher in found:
            # the most telling predicate: fewest values, a value over mere presence, the later
            name, values = min(reversed(matcher.where),
                               key=lambda predicate: (ANY_VALUE in predicate[1], len(predicate[1])))
            key = _literal(json.dumps(name)) + ":"
            if ANY_VALUE in values:
                alternatives.add(key)
                continue
            for value in values:
                alternatives.add(key + _literal(json.dumps(value)))
                alternatives.add(key + _literal(value) + "[,}]")
        out[event] = "|".join(sorted(alternatives))
    return out


def _literal(text: str) -> str:
    """`text` as a regex (RE2 syntax) matching itself."""
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def step_events(flows: list[Flow]) -> frozenset[str]:
    """Every event a flow names, as opener or step."""
    names: set[str] = set()
    for flow in flows:
        for matcher in flow.openers:
            names.update(matcher.events)
        for step in flow.steps:
            names.update(step.matcher.events)
    return frozenset(names)
