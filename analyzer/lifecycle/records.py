"""The parsed events the lifecycle engine looks at, taken from the parse stream as it runs.

Of a million-line log only a few percent of the records are steps of an operation, errors
or observations of an instance's state; the rest (RPC chatter, locks, periodic tasks) is
dropped chunk by chunk with Arrow kernels, so checking costs little more than parsing.
What is kept becomes `Record`s; the input's facts (services seen and whether they log
DEBUG, the release the wording belongs to) are gathered on the way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
_NO_MICROS = -(2**63)
_COLUMNS = ("time", "source", "line", "host", "service", "level", "request_id",
            "instance", "event", "fields", "message")


@dataclass(slots=True)
class Record:
    """One parsed event the engine considers; `evidence` is what a deviation cites."""

    order: int  # position in the time-ordered stream
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
    _fields: dict[str, object] | None = None
    hits: frozenset[int] | None = None  # ids of the matchers it satisfies (matching.FlowIndex)
    _problem: bool | None = None

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

    @property
    def is_problem(self) -> bool:
        """An ERROR or CRITICAL line, or a traceback."""
        known = self._problem
        if known is None:
            known = self._problem = (self.event == TRACEBACK or self.event == ERROR
                                     or self.level in PROBLEM_LEVELS)
        return known

    def evidence(self) -> dict[str, object]:
        """The record as a deviation or a step cites it (built when a report needs it)."""
        return {"source": self.source, "line": self.line,
                "time": self.time.isoformat(timespec="milliseconds") if self.time else None,
                "service": self.service, "level": self.level, "event": self.event,
                "text": self.message}


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


def collect(tables: Iterable[pa.Table], step_events: frozenset[str],
            narrowing: dict[str, str] | None = None,
            hits: Any = None) -> tuple[list[Record], InputFacts]:
    """Records worth checking (steps, observations, problems) and the input's facts.

    `narrowing` maps an event to a regex its fields JSON must match to be kept (every
    flow that names the event asks for some field value: `qemu-img` among `Running
    cmd` lines, POST and DELETE among access lines).  `hits` (a matching.Hits) gives
    each record the matchers it satisfies, worked out on whole columns.
    """
    facts = InputFacts()
    wanted = pa.array(sorted(step_events | OBSERVATIONS | {TRACEBACK, ERROR, WARNING}))
    narrowed = pa.array(sorted(narrowing or {}), type=pa.string())
    pattern = "|".join(f"(?:{regex})" for regex in (narrowing or {}).values())
    records: list[Record] = []
    for table in tables:
        facts.rows += table.num_rows
        _note_levels(table, facts)
        with_ids = table.filter(pc.is_valid(table.column("global_request_id"))).column("source")
        facts.current_sources.update(pc.unique(_plain(with_ids)).to_pylist())
        events = _plain(table.column("event"))
        problems = pc.and_(pc.is_in(_plain(table.column("level")), pa.array(PROBLEM_LEVELS)),
                           pc.not_equal(events, TRACEBACK_LINE))  # one traceback, one problem
        keep = pc.or_(pc.is_in(events, wanted), problems)
        keep = pc.and_(pc.fill_null(keep, False),
                       pc.or_(pc.is_valid(table.column("instance")), pc.is_valid(table.column("request_id"))))
        chosen = table.filter(keep).select(list(_COLUMNS))
        if pattern and chosen.num_rows:
            events = _plain(chosen.column("event"))
            fits = pc.fill_null(pc.match_substring_regex(chosen.column("fields"), pattern), False)
            chosen = chosen.filter(pc.or_(pc.invert(pc.is_in(events, narrowed)), fits))
        if chosen.num_rows:
            records.extend(_records(chosen, len(records), hits))
    facts.current_sources.update(r.source for r in records
                                 if r.event == "api_request" and "microversion" in (r.fields_json or ""))
    return records, facts


def _records(table: pa.Table, start: int, hits: Any) -> Iterator[Record]:
    columns = {name: _plain(table.column(name)).to_pylist() for name in _COLUMNS if name != "time"}
    micros = pc.fill_null(pc.cast(table.column("time"), pa.int64()), _NO_MICROS).to_numpy()
    seconds = [m / 1_000_000 if m != _NO_MICROS else _NO_TIME for m in micros.tolist()]
    answers = hits.assign(columns["event"], table.column("fields")) if hits is not None else None
    for offset in range(table.num_rows):
        yield Record(start + offset, seconds[offset], columns["source"][offset],
                     columns["line"][offset], columns["host"][offset],
                     columns["service"][offset] or "other", columns["level"][offset],
                     columns["request_id"][offset], columns["instance"][offset],
                     columns["event"][offset], columns["fields"][offset], columns["message"][offset],
                     None, answers[offset] if answers is not None else None)


def _note_levels(table: pa.Table, facts: InputFacts) -> None:
    pairs = pa.table({"service": _plain(table.column("service")), "level": _plain(table.column("level"))})
    for row in pairs.group_by(["service", "level"]).aggregate([]).to_pylist():
        if row["service"] and row["level"]:
            facts.levels.setdefault(row["service"], set()).add(row["level"])
    firsts = pa.table({"source": _plain(table.column("source")), "time": table.column("time")})
    for row in firsts.group_by("source").aggregate([("time", "min")]).to_pylist():
        if row["time_min"] is not None and row["source"] not in facts.starts:
            facts.starts[row["source"]] = row["time_min"].timestamp()


def _plain(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Dictionary columns decoded (kernels and to_pylist then see plain strings)."""
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column
