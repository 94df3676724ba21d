"""The parsed events the lifecycle engine looks at, taken from the parse stream as it runs.

Of a million-line log only a few percent of the records are steps of an operation, errors
or observations of an instance's state; the rest (RPC chatter, locks, periodic tasks) is
dropped chunk by chunk with Arrow kernels, so checking costs little more than parsing.
What is kept becomes `Record`s; the input's facts (services seen and whether they log
DEBUG, the release the wording belongs to) are gathered on the way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import repeat
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.parse.jsonfields import loads
from analyzer.vocab.events import ERROR, TRACEBACK, TRACEBACK_LINE, WARNING

# Events that say something about an instance's state outside any operation.
OBSERVATIONS = frozenset({
    "lifecycle", "sync_pending_task", "sync_power_mismatch", "shutdown_by_itself",
    "set_instance_state", "set_error_state", "api_refusal", "api_http_exception",
    "api_returning", "task_reverted", "set_back_state", "instance_disappeared",
    "build_aborted", "build_failure", "spawn_failed", "no_valid_host", "reboot_failed",
    "rescue_failed", "snapshot_failed", "live_migration_failed", "network_failed",
    "build_timed_out", "conductor_task_failed",
})
PROBLEM_LEVELS = ("ERROR", "CRITICAL")
_NO_TIME = float("-inf")
_COLUMNS = ("time", "source", "line", "host", "service", "level", "request_id",
            "instance", "event", "fields", "message")


@dataclass(slots=True)
class Record:
    """One parsed event the engine considers; `evidence` is what a deviation cites."""

    order: int  # rank by (time, position in the stream): sorting by it sorts by time
    t: float  # seconds since the epoch; -inf when the line has no time
    source: str
    line: int
    host: str | None
    service: str
    level: str | None
    request_id: str | None
    instance: str | None
    event: str
    fields_json: str | None
    message: str
    hits: frozenset[int] | None = None  # ids of the matchers it satisfies (matching.FlowIndex)
    is_problem: bool = False  # an ERROR or CRITICAL line, or a traceback
    shape: int | None = None  # what its operation's verdict depends on (verdicts.LineShapes)
    _fields: dict[str, object] | None = None  # `fields`, once decoded

    @property
    def fields(self) -> dict[str, object]:
        if self._fields is None:
            self._fields = loads(self.fields_json) if self.fields_json else {}
        return self._fields

    @property
    def seconds(self) -> float | None:
        return self.t if self.t != _NO_TIME else None

    @property
    def time(self) -> datetime | None:
        return datetime.fromtimestamp(self.t, UTC) if self.t != _NO_TIME else None

    def evidence(self) -> dict[str, object]:
        """The record as a deviation or a step cites it (built when a report needs it)."""
        return {"source": self.source, "line": self.line, "time": iso_time(self.t),
                "service": self.service, "level": self.level, "event": self.event,
                "text": self.message}


def iso_time(seconds: float | None) -> str | None:
    """`seconds` since the epoch as ISO 8601 in UTC to the millisecond, as
    `datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")` writes it
    (None for no time): the JSON of a large check writes half a million of these, and
    `isoformat` with a time zone took 6 us each."""
    if seconds is None or seconds == _NO_TIME:
        return None
    fraction, whole = math.modf(seconds)
    micros = round(fraction * 1_000_000)  # to the microsecond, halves to even, as fromtimestamp
    if micros >= 1_000_000:
        whole, micros = whole + 1, micros - 1_000_000
    elif micros < 0:
        whole, micros = whole - 1, micros + 1_000_000
    second = int(whole)
    prefix = _SECOND_TEXT.get(second)
    if prefix is None:
        if len(_SECOND_TEXT) > 100_000:
            _SECOND_TEXT.clear()
        prefix = _SECOND_TEXT[second] = datetime.fromtimestamp(second, UTC).isoformat()[:19]
    return f"{prefix}.{micros // 1000:03d}+00:00"


_SECOND_TEXT: dict[int, str] = {}  # whole seconds -> "YYYY-MM-DDTHH:MM:SS"


@dataclass
class InputFacts:
    """What the input as a whole shows, for deciding what could have been logged."""

    levels: dict[str, set[str]] = field(default_factory=dict)  # service -> levels seen
    starts: dict[str, float] = field(default_factory=dict)  # source -> time of its first record
    current_sources: set[str] = field(default_factory=set)  # files in a post-2016 release's wording
    rows: int = 0

    def logs(self, service: str, debug: bool) -> bool:
        """Whether the input holds `service`'s log, at DEBUG when `debug`."""
        seen = self.levels.get(service)
        if not seen:
            return False
        return "DEBUG" in seen if debug else True

    def release_of(self, source: str) -> str:
        """"current" for a file with global request ids or microversions in its access lines
        (releases after 2016), else "2016"."""
        return "current" if source in self.current_sources else "2016"

    @property
    def release(self) -> str:
        """The input's release: "current" when any file is, else "2016"."""
        return "current" if self.current_sources else "2016"


def select(tables: Iterable[pa.Table], step_events: frozenset[str],
           narrowing: dict[str, str] | None = None) -> tuple[pa.Table | None, InputFacts]:
    """The rows worth checking (steps, observations, problems), in one table (None if there
    are none), and the input's facts, from the parse stream consumed block by block.

    `narrowing` maps an event to a regex its fields JSON must match to be kept (every
    flow that names the event asks for some field value: `qemu-img` among `Running
    cmd` lines, POST and DELETE among access lines).
    """
    facts = InputFacts()
    wanted = pa.array(sorted(step_events | OBSERVATIONS | {TRACEBACK, ERROR, WARNING}))
    narrowed = sorted((narrowing or {}).items())
    chosen_parts: list[pa.Table] = []
    for table in tables:
        facts.rows += table.num_rows
        _note_levels(table, facts)
        with_ids = table.column("source").filter(pc.is_valid(table.column("global_request_id")))
        if len(with_ids):
            facts.current_sources.update(pc.unique(_plain(with_ids)).to_pylist())
        events = table.column("event")
        problems = pc.and_(_is_in(table.column("level"), pa.array(PROBLEM_LEVELS)),  # one traceback,
                           pc.invert(_is_in(events, pa.array([TRACEBACK_LINE]))))  # one problem
        keep = pc.or_(_is_in(events, wanted), problems)
        keep = pc.and_(pc.fill_null(keep, False),
                       pc.or_(pc.is_valid(table.column("instance")), pc.is_valid(table.column("request_id"))))
        if narrowed:
            keep = _narrowed(keep, events, table.column("fields"), narrowed)
        chosen = table.select(list(_COLUMNS)).filter(keep)
        if chosen.num_rows:
            chosen_parts.append(chosen)  # dictionary columns stay encoded: `_records` wants them so
    if not chosen_parts:
        return None, facts
    # one table for what was kept: the kernels of `_records` then run once, not once per block
    try:
        kept = pa.concat_tables(chosen_parts, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a column encoded in some blocks only
        kept = pa.concat_tables([pa.table({name: _plain(part.column(name)) for name in _COLUMNS})
                                 for part in chosen_parts], promote_options="permissive")
    # one chunk per column: a kernel on a column of many chunks (`take` above all) first
    # concatenates them, once per call
    kept = kept.combine_chunks()
    _note_microversions(kept, facts)
    return kept, facts


def records_of(kept: pa.Table | None, hits: Any = None,
               shaping: Any = None) -> tuple[list[Record], RecordKeys]:
    """A Record per row `select` kept, and their keys.  `hits` (a matching.Hits) gives each
    record the matchers it satisfies, worked out on whole columns, and `shaping` (a
    verdicts.LineShapes, with `hits`) its shape."""
    if kept is None:
        return [], RecordKeys.empty()
    return _records(kept, hits, shaping)


@dataclass(frozen=True)
class RecordKeys:
    """What the engine groups records by, as integer codes in the order of their list.

    Correlating a million-line log groups a few hundred thousand records by request and
    instance; on these codes (the kept table's dictionary indices) numpy does it without
    hashing a string per record.  -1 stands for none.
    """

    request: np.ndarray  # int64 code of the request id
    instance: np.ndarray  # int64 code of the instance (-1 also for an empty one)
    source: np.ndarray  # int64 code of the file
    rank: np.ndarray  # Record.order
    kind: np.ndarray  # the line's shape and service as one number; -1 for a line without a shape
    requests: list[str]  # request code -> request id
    instances: list[str]  # instance code -> uuid
    sources: list[str]  # source code -> file

    @classmethod
    def empty(cls) -> RecordKeys:
        none = np.empty(0, dtype=np.int64)
        return cls(none, none, none, none, none, [], [], [])

    def take(self, rows: np.ndarray) -> RecordKeys:
        """The keys of the records at `rows`, in that order."""
        return RecordKeys(self.request[rows], self.instance[rows], self.source[rows], self.rank[rows],
                          self.kind[rows], self.requests, self.instances, self.sources)


def _narrowed(keep: pa.ChunkedArray, events: pa.ChunkedArray, fields: pa.ChunkedArray,
              narrowing: list[tuple[str, str]]) -> pa.Array:
    """`keep` less the rows of each narrowed event whose fields JSON does not match its regex.

    Rows are told apart by event code (the column's dictionary), so only the fields of
    the rows kept so far of a narrowed event are matched, each against its own regex.
    """
    encoded = pc.dictionary_encode(events).combine_chunks()
    code_of = {name: code for code, name in enumerate(encoded.dictionary.to_pylist())}
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    mask = pc.fill_null(keep, False).to_numpy(zero_copy_only=False).copy()
    for event, regex in narrowing:
        code = code_of.get(event)
        if code is None:
            continue
        rows = np.flatnonzero(mask & (codes == code))
        if not len(rows):
            continue
        fits = pc.match_substring_regex(pc.take(fields, pa.array(rows)), regex)
        mask[rows[~pc.fill_null(fits, False).to_numpy(zero_copy_only=False)]] = False
    return pa.array(mask)


def _note_microversions(chosen: pa.Table, facts: InputFacts) -> None:
    """Files whose access lines carry a microversion are in a post-2016 release's wording."""
    api = pc.indices_nonzero(pc.fill_null(_is_in(chosen.column("event"), pa.array(["api_request"])), False))
    if not len(api):
        return
    sources = pc.take(chosen.column("source"), api)
    fields = pc.take(chosen.column("fields"), api)
    with_version = pc.fill_null(pc.match_substring(fields, '"microversion"'), False)
    facts.current_sources.update(pc.unique(_plain(sources.filter(with_version))).to_pylist())


def _is_in(column: pa.ChunkedArray, values: pa.Array) -> pa.ChunkedArray:
    """`pc.is_in`, on a dictionary column worked out on its (few) distinct values."""
    if not pa.types.is_dictionary(column.type):
        return pc.is_in(column, values)
    chunks = []
    for chunk in column.chunks:
        found = pc.is_in(chunk.dictionary, values)
        chunks.append(pc.fill_null(pc.take(found, chunk.indices), False))
    return pa.chunked_array(chunks, type=pa.bool_())


def _records(table: pa.Table, hits: Any, shaping: Any) -> tuple[list[Record], RecordKeys]:
    """A Record per row, built by `map` over whole columns (no per-row Python frame)."""
    rows = table.num_rows
    micros = pc.cast(table.column("time"), pa.int64()).to_numpy(zero_copy_only=False)
    valid = pc.is_valid(table.column("time")).to_numpy(zero_copy_only=False)
    times = np.where(valid, micros / 1_000_000, _NO_TIME)
    seconds = times.tolist()
    # the stream is in time order but puts lines without a time last; ranking by (time,
    # position) lets the engine sort records by one int instead of a (t, order) tuple
    ranks = np.empty(rows, dtype=np.int64)
    ranks[np.lexsort((np.arange(rows), times))] = np.arange(rows)
    events = table.column("event")
    problems = pc.or_(pc.is_in(events, pa.array([TRACEBACK, ERROR])),
                      pc.fill_null(pc.is_in(table.column("level"), pa.array(PROBLEM_LEVELS)), False))
    answers: Iterable[object] = repeat(None, rows)
    shapes = np.full(rows, -1, dtype=np.int64)
    if hits is not None:
        assigned = hits.assign(events, table.column("fields"), shaping.fields if shaping else None)
        answers = assigned.answers
        if shaping is not None:
            shapes = shaping.shapes(assigned, problems.to_numpy(zero_copy_only=False))
    column = table.column
    sources, source_codes = _encoded(column("source"))
    services, service_codes = _encoded(column("service"), "other")
    requests, request_codes = _encoded(column("request_id"))
    instances, instance_codes = _encoded(column("instance"))
    known_shapes = shapes.astype(object)
    known_shapes[shapes < 0] = None
    records = list(map(Record, ranks.tolist(), seconds, sources[source_codes].tolist(),
                       column("line").to_pylist(), _repeated(column("host")),
                       services[service_codes].tolist(), _repeated(column("level")),
                       requests[request_codes].tolist(),
                       instances[instance_codes].tolist(),  # one str per id: its hash is worked out once
                       _repeated(column("event")),
                       *(column(name).to_pylist() for name in ("fields", "message")),
                       answers, problems.to_pylist(), known_shapes.tolist()))
    empty = instances == ""  # an empty instance names none, as None does
    kinds = np.where(shapes >= 0, shapes * len(services) + service_codes, -1)
    keys = RecordKeys(_or_none(request_codes, requests), _or_none(instance_codes, instances, empty),
                      _or_none(source_codes, sources), ranks, kinds,
                      requests[:-1].tolist(), instances[:-1].tolist(), sources[:-1].tolist())
    return records, keys


def _encoded(column: pa.ChunkedArray, default: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A column whose strings repeat, as its distinct values (Python objects, `default` last,
    for nulls) and each row's index into them."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    values = np.empty(len(encoded.dictionary) + 1, dtype=object)
    values[:-1] = encoded.dictionary.to_pylist()
    values[-1] = default  # for nulls
    indices = pc.fill_null(encoded.indices, len(encoded.dictionary)).to_numpy(zero_copy_only=False)
    return values, indices.astype(np.int64)


def _repeated(column: pa.ChunkedArray, default: str | None = None) -> list[str | None]:
    """A column whose strings repeat, as Python objects: each distinct string made once."""
    values, indices = _encoded(column, default)
    return values[indices].tolist()


def _or_none(codes: np.ndarray, values: np.ndarray, also: np.ndarray | None = None) -> np.ndarray:
    """`codes` from `_encoded` with -1 for the null slot (and for the values `also` marks)."""
    none = np.zeros(len(values), dtype=bool)
    none[-1] = True
    if also is not None:
        none |= also
    return np.where(none[codes], -1, codes)


def _note_levels(table: pa.Table, facts: InputFacts) -> None:
    # grouped on the dictionary columns as they come: no string is decoded per row
    pairs = pa.table({"service": table.column("service"),
                      "level": table.column("level")}).unify_dictionaries()
    for row in pairs.group_by(["service", "level"]).aggregate([]).to_pylist():
        if row["service"] and row["level"]:
            facts.levels.setdefault(row["service"], set()).add(row["level"])
    sources = pc.unique(table.column("source")).to_pylist()
    if all(source in facts.starts for source in sources):
        return  # the stream is in time order: a file's first record came in an earlier block
    firsts = pa.table({"source": table.column("source"), "time": table.column("time")}).unify_dictionaries()
    for row in firsts.group_by("source").aggregate([("time", "min")]).to_pylist():
        if row["time_min"] is not None and row["source"] not in facts.starts:
            facts.starts[row["source"]] = row["time_min"].timestamp()


def _plain(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Dictionary columns decoded (kernels and to_pylist then see plain strings)."""
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column
