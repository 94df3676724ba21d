"""Parses one block of lines of one source into a table of typed records.

The per-line work is one `findall` of the format's record regex over the whole
block (no Python loop per line); everything after it runs over columns: numpy for
splitting the layouts apart, Arrow for masking templates and timestamps, and
Python only for the records whose first word can start a catalogued event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.parse import enrich
from analyzer.parse.formats import compiled
from analyzer.parse.grammar import catalogue, records
from analyzer.parse.mining import TemplateCounts, mine
from analyzer.parse.times import parse_times
from analyzer.vocab.events import COLUMNS, ERROR, UNRECOGNIZED, WARNING

# Only the tail of a message can hold the DEBUG suffix; search no further back.
_SUFFIX_WINDOW = 400

SCHEMA = pa.schema(
    [
        ("time", pa.timestamp("us", tz="UTC")),
        ("source", pa.string()),
        ("line", pa.int64()),
        ("host", pa.string()),
        ("service", pa.string()),
        ("pid", pa.int64()),
        ("level", pa.string()),
        ("logger", pa.string()),
        ("request_id", pa.string()),
        ("global_request_id", pa.string()),
        ("user_id", pa.string()),
        ("project_id", pa.string()),
        ("instance", pa.string()),
        ("event", pa.string()),
        ("template_id", pa.string()),
        ("message", pa.string()),
        ("fields", pa.string()),
        ("continuation", pa.string()),
    ]
)
assert tuple(SCHEMA.names) == COLUMNS


@dataclass(frozen=True)
class SourceInfo:
    """What a worker needs to know about the source a block comes from."""

    name: str
    format: str
    service: str | None
    host: str | None
    tz: str | None
    year: int


@dataclass
class BlockResult:
    """The records of a block and its counts."""

    table: pa.Table
    leading: list[str]  # lines before the block's first record: they continue the record above
    lines: int
    records: int
    recognized: int
    unknown: TemplateCounts = field(default_factory=TemplateCounts)


def parse_block(text: str, first_line: int, info: SourceInfo) -> BlockResult:
    """Parse the lines of `text` (LF-separated, no trailing newline) of one source."""
    fmt = compiled(info.format)
    rows = fmt.regex.findall(text)
    line_count = text.count("\n") + 1
    if len(rows) != line_count:  # should not happen; keep line numbers exact if it does
        rows = [fmt.regex.match(line).groups() for line in text.split("\n")]  # type: ignore[union-attr]
    grid = np.array(rows, dtype=object).reshape(len(rows), -1)

    layout = np.full(len(rows), -1, dtype=np.int8)
    for index in range(len(fmt.layouts) - 1, -1, -1):
        layout[grid[:, fmt.offsets[index]] != ""] = index
    is_record = layout >= 0
    record_rows = np.nonzero(is_record)[0]
    rest = grid[:, fmt.rest]

    # Lines before the first record continue the record above (previous block).
    first_record = int(record_rows[0]) if len(record_rows) else len(rows)
    leading = [line for line in rest[:first_record].tolist() if line.strip()]
    continuation = _continuations(is_record, rest, first_record)

    take = grid[record_rows]
    rec_layout = layout[record_rows]

    def column(name: str) -> np.ndarray:
        out = np.full(len(record_rows), "", dtype=object)
        for index, names in enumerate(fmt.columns):
            if name in names:
                chosen = rec_layout == index
                out[chosen] = take[chosen, fmt.offsets[index] + names.index(name)]
        return out

    level = column("level")
    message = column("message")
    message = _strip_suffixes(message, level)
    times = parse_times(column("timestamp"), column("syslog_timestamp"), info.tz, info.year)

    result = BlockResult(
        table=pa.table({}),
        leading=leading,
        lines=line_count,
        records=len(record_rows),
        recognized=0,
    )
    events, fields, hints = _type_events(message, level)
    enrich.tracebacks(message, level, column("pid"), column("logger"), continuation, events, fields)
    instances = enrich.instances(column("instance"), hints)
    context = _contexts(column("context"))
    service = enrich.services(info.service, column("source_file"), column("alias"),
                              column("unit"), column("logger"))
    host = column("host")
    if info.host is not None:
        host[host == ""] = info.host

    message_array = pa.array(message, type=pa.string())
    template_ids, codes, templates = mine(message_array)
    events_array = pa.array(events, type=pa.string())
    recognized = pc.invert(pc.is_in(events_array, pa.array([UNRECOGNIZED, WARNING, ERROR])))
    result.recognized = int(pc.sum(recognized).as_py() or 0)
    _count_unknown(result.unknown, events, template_ids, codes, templates, message)

    result.table = pa.table(
        [
            times,
            pa.array([info.name] * len(record_rows), type=pa.string()),
            pa.array(record_rows + first_line, type=pa.int64()),
            _nullable(host),
            pa.array(service, type=pa.string()),
            pc.cast(_nullable(column("pid")), pa.int64()),
            _nullable(level),
            _nullable(column("logger")),
            *context,
            pa.array(instances, type=pa.string()),
            events_array,
            template_ids,
            message_array,
            pa.array(fields, type=pa.string()),
            pa.array(continuation, type=pa.string()),
        ],
        schema=SCHEMA,
    )
    return result


def _continuations(is_record: np.ndarray, rest: np.ndarray, first_record: int) -> list[str]:
    """Text of the non-record lines after each record, joined by newlines ('' if none)."""
    owners = np.cumsum(is_record) - 1
    records_total = int(is_record.sum())
    out = [""] * records_total
    extra = np.nonzero(~is_record)[0]
    extra = extra[extra > first_record]
    if len(extra) == 0:
        return out
    grouped: dict[int, list[str]] = {}
    for row, owner in zip(extra.tolist(), owners[extra].tolist()):
        grouped.setdefault(owner, []).append(rest[row])
    for owner, lines in grouped.items():
        while lines and not lines[-1].strip():
            lines.pop()
        out[owner] = "\n".join(lines)
    return out


def _strip_suffixes(message: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Remove oslo.log's DEBUG ` funcName path:lineno` (or journald `{{…}}`) suffix."""
    suffix = records().suffixes
    for index in np.nonzero(level == "DEBUG")[0].tolist():
        text = message[index]
        found = suffix.search(text, max(0, len(text) - _SUFFIX_WINDOW))
        if found:
            message[index] = text[: found.start()]
    return message


def _type_events(
    message: np.ndarray, level: np.ndarray
) -> tuple[list[str], list[str | None], list[str | None]]:
    """Per message: its event, its fields as JSON (None if none), an instance its fields name."""
    cat = catalogue()
    count = len(message)
    events = [UNRECOGNIZED] * count
    fields: list[str | None] = [None] * count
    hints: list[str | None] = [None] * count

    def record(index: int, event: str, values: dict[str, object]) -> None:
        events[index] = event
        if values:
            values = enrich.fields(event, values)
            hints[index] = values.get("instance")  # type: ignore[assignment]
            fields[index] = json.dumps(values)

    by_word = cat.by_word
    pending: dict[str, list[int]] = {}
    texts = message.tolist()
    for index, text in enumerate(texts):
        word = text.partition(" ")[0]
        if word in by_word:
            pending.setdefault(word, []).append(index)
    for word, indexes in pending.items():
        for pattern in by_word[word]:
            left = []
            for index in indexes:
                found = pattern.regex.fullmatch(texts[index])
                if found:
                    record(index, pattern.event, pattern.fields_of(found))
                else:
                    left.append(index)
            indexes = left
            if not indexes:
                break
    for pattern in cat.wildcard:
        needle = pattern.required
        for index, text in enumerate(texts):
            if events[index] is not UNRECOGNIZED or (needle and needle not in text):
                continue
            found = pattern.regex.fullmatch(text)
            if found:
                record(index, pattern.event, pattern.fields_of(found))
    for index in np.nonzero((level == "WARNING") | (level == "WARN"))[0].tolist():
        if events[index] is UNRECOGNIZED:
            events[index] = WARNING
    for index in np.nonzero((level == "ERROR") | (level == "CRITICAL") | (level == "TRACE"))[0].tolist():
        if events[index] is UNRECOGNIZED:
            events[index] = ERROR
    return events, fields, hints


def _contexts(context: np.ndarray) -> list[pa.Array]:
    """request_id, global_request_id, user_id, project_id from the context blocks."""
    regex = records().request_context
    cache: dict[str, tuple[str | None, ...]] = {}
    empty = (None, None, None, None)
    out = []
    for text in context.tolist():
        parsed = cache.get(text)
        if parsed is None:
            found = regex.fullmatch(text) if text else None
            if found:
                global_id = found["global_request_id"]
                parsed = (
                    found["request_id"],
                    None if global_id in (None, "None") else global_id,
                    _identity(found["user_id"]),
                    _identity(found["project_id"]),
                )
            else:
                parsed = empty
            cache[text] = parsed
        out.append(parsed)
    columns = list(zip(*out)) if out else [[], [], [], []]
    return [pa.array(list(values), type=pa.string()) for values in columns]


def _identity(value: str | None) -> str | None:
    return None if value in (None, "-", "None") else value


def _nullable(values: np.ndarray) -> pa.Array:
    array = pa.array(values, type=pa.string())
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)


def _count_unknown(counts: TemplateCounts, events: list[str], ids: pa.Array, codes: list[int],
                   templates: list[str], message: np.ndarray) -> None:
    unknown = [i for i, event in enumerate(events) if event is UNRECOGNIZED]
    if not unknown:
        return
    id_list = ids.to_pylist()
    for index in unknown:
        counts.add(id_list[index], templates[codes[index]], message[index])
