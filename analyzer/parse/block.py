"""Parses one block of lines of one source into a table of typed records.

The per-line work is one `findall` of the format's record regex over the whole
block (no Python loop per line); everything after it runs over columns: numpy for
splitting the layouts apart, Arrow for masking templates and timestamps, and
Python only for the records whose first word can start a catalogued event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.parse import enrich
from analyzer.parse.formats import compiled
from analyzer.parse.grammar import EventPattern, catalogue, records
from analyzer.parse.jsonfields import dumps
from analyzer.parse.mining import TemplateCounts, mine
from analyzer.parse.times import parse_times
from analyzer.vocab.events import COLUMNS, ERROR, UNRECOGNIZED, WARNING

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
    last_continuation: list[str] = field(default_factory=list)  # raw, for the next block


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
    leading = rest[:first_record].tolist()
    continuation, last_lines = _continuations(is_record, rest, first_record)

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
    level_array = pa.array(level, type=pa.string())
    message = _strip_suffixes(pa.array(column("message"), type=pa.string()), level_array)
    texts = message.to_pylist()
    times = parse_times(column("timestamp"), column("syslog_timestamp"), info.tz, info.year)

    events, fields, hints = _type_events(message, texts, level)
    _type_multiline(texts, continuation, events, fields, hints)
    enrich.tracebacks(texts, level, column("pid"), column("logger"), continuation, events, fields)
    instances = enrich.instances(column("instance"), hints)
    service = enrich.services(info.service, column("source_file"), column("alias"),
                              column("unit"), column("logger"))
    host = column("host")
    if info.host is not None:
        host[host == ""] = info.host

    template_ids, codes, templates = mine(message)
    events_array = pa.array(events, type=pa.string())
    generic = pc.is_in(events_array, pa.array([UNRECOGNIZED, WARNING, ERROR]))
    unknown = TemplateCounts()
    _count_unknown(unknown, events_array, codes, templates, template_ids, texts)

    table = pa.table(
        [
            times,
            pa.array([info.name] * len(record_rows), type=pa.string()),
            pa.array(record_rows + first_line, type=pa.int64()),
            _nullable(host),
            pa.array(service, type=pa.string()),
            pc.cast(_nullable(column("pid")), pa.int64()),
            _nullable(level),
            _nullable(column("logger")),
            *_contexts(column("context")),
            pa.array(instances, type=pa.string()),
            events_array,
            template_ids,
            message,
            pa.array(fields, type=pa.string()),
            pa.array(continuation, type=pa.string()),
        ],
        schema=SCHEMA,
    )
    return BlockResult(
        table=table,
        leading=leading,
        lines=line_count,
        records=len(record_rows),
        recognized=len(record_rows) - int(pc.sum(generic).as_py() or 0),
        unknown=unknown,
        last_continuation=last_lines,
    )


def _continuations(is_record: np.ndarray, rest: np.ndarray,
                   first_record: int) -> tuple[list[str], list[str]]:
    """Per record, its continuation lines joined by newlines ('' if none).

    Trailing blank lines are not part of a continuation.  The last record's raw
    lines are returned too: the next block may continue it.
    """
    owners = np.cumsum(is_record) - 1
    records_total = int(is_record.sum())
    out = [""] * records_total
    extra = np.nonzero(~is_record)[0]
    extra = extra[extra > first_record]
    grouped: dict[int, list[str]] = {}
    for row, owner in zip(extra.tolist(), owners[extra].tolist(), strict=True):
        grouped.setdefault(owner, []).append(rest[row])
    for owner, lines in grouped.items():
        out[owner] = join_continuation(lines)
    last = grouped.get(records_total - 1, []) if records_total else []
    return out, last


def join_continuation(lines: list[str]) -> str:
    """Continuation text of raw lines: trailing blank lines dropped."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[:end])


def _strip_suffixes(message: pa.Array, level: pa.Array) -> pa.Array:
    """Remove oslo.log's DEBUG ` funcName path:lineno` (or journald `{{…}}`) suffix."""
    debug = pc.fill_null(pc.equal(level, "DEBUG"), False)
    if not pc.any(debug).as_py():
        return message
    stripped = pc.replace_substring_regex(pc.filter(message, debug), records().suffixes.pattern, "")
    return pc.replace_with_mask(message, debug, stripped)


_MISS = ("", None, None)


def _type_events(
    message: pa.Array, texts: list[str], level: np.ndarray
) -> tuple[list[str], list[str | None], list[str | None]]:
    """Per message: its event, its fields as JSON (None if none), an instance its fields name.

    Only messages whose first word starts some event rule are tried, each distinct
    text once; rules without a literal first word are tried where their longest
    literal occurs.
    """
    cat = catalogue()
    count = len(texts)
    events = [UNRECOGNIZED] * count
    fields: list[str | None] = [None] * count
    hints: list[str | None] = [None] * count
    cache: dict[str, tuple[str, str | None, str | None]] = {}

    def attempt(index: int, patterns: list[EventPattern]) -> None:
        text = texts[index]
        typed = cache.get(text)
        if typed is None:
            typed = _MISS
            for pattern in patterns:
                found = pattern.regex.fullmatch(text)
                if found is not None:
                    typed = _typed(pattern, found)
                    break
            cache[text] = typed
        if typed is not _MISS:
            events[index], fields[index], hints[index] = typed

    words = pc.dictionary_encode(pc.list_element(pc.split_pattern(message, " ", max_splits=1), 0))
    vocabulary = words.dictionary.to_pylist()
    wanted = {code: cat.by_word[word] for code, word in enumerate(vocabulary) if word in cat.by_word}
    if wanted:
        codes = words.indices.to_numpy(zero_copy_only=False)
        rows = np.nonzero(np.isin(codes, list(wanted)))[0]
        for index, code in zip(rows.tolist(), codes[rows].tolist(), strict=True):
            attempt(index, wanted[code])
    if cat.needle_regex:
        hits = pc.indices_nonzero(pc.match_substring_regex(message, cat.needle_regex))
        cache.clear()
        for index in hits.to_pylist():
            if events[index] is UNRECOGNIZED:
                text = texts[index]
                attempt(index, [p for p in cat.wildcard if p.required and p.required in text])
    if cat.unindexed:
        cache.clear()
        for index in range(count):
            if events[index] is UNRECOGNIZED:
                attempt(index, cat.unindexed)
    for index in np.nonzero(np.isin(level, ("WARNING", "WARN")))[0].tolist():
        if events[index] is UNRECOGNIZED:
            events[index] = WARNING
    for index in np.nonzero(np.isin(level, ("ERROR", "CRITICAL", "TRACE")))[0].tolist():
        if events[index] is UNRECOGNIZED:
            events[index] = ERROR
    return events, fields, hints


def _type_multiline(texts: list[str], continuation: list[str], events: list[str],
                    fields: list[str | None], hints: list[str | None]) -> None:
    """Rules whose text spans lines (a ProcessExecutionError) see the continuation too."""
    patterns = catalogue().multiline
    if not patterns:
        return
    for index, more in enumerate(continuation):
        if not more or events[index] not in (UNRECOGNIZED, ERROR, WARNING):
            continue
        text = texts[index] + "\n" + more
        for pattern in patterns:
            if pattern.required in text:
                found = pattern.regex.fullmatch(text)
                if found is not None:
                    events[index], fields[index], hints[index] = _typed(pattern, found)
                    break


def _typed(pattern: EventPattern, found: re.Match[str]) -> tuple[str, str | None, str | None]:
    values = pattern.fields_of(found)
    if not values:
        return pattern.event, None, None
    if not enrich.needs_fields(pattern.event, values.keys()):
        return pattern.event, dumps(values), None
    values = enrich.fields(pattern.event, values)
    hint = values.get("instance")
    return pattern.event, dumps(values), hint if isinstance(hint, str) else None


def _contexts(context: np.ndarray) -> list[pa.Array]:
    """request_id, global_request_id, user_id, project_id from the context blocks."""
    regex = records().request_context
    encoded = pc.dictionary_encode(pa.array(context, type=pa.string()))
    parsed: list[tuple[str | None, ...]] = []
    for text in encoded.dictionary.to_pylist():
        found = regex.fullmatch(text) if text else None
        if found:
            global_id = found["global_request_id"]
            parsed.append((
                found["request_id"],
                None if global_id in (None, "None") else global_id,
                _identity(found["user_id"]),
                _identity(found["project_id"]),
            ))
        else:
            parsed.append((None, None, None, None))
    columns = list(zip(*parsed, strict=True)) if parsed else [(), (), (), ()]
    return [pc.take(pa.array(list(values), type=pa.string()), encoded.indices)
            for values in columns]


def _identity(value: str | None) -> str | None:
    return None if value in (None, "-", "None") else value


def _nullable(values: np.ndarray) -> pa.Array:
    array = pa.array(values, type=pa.string())
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)


def _count_unknown(counts: TemplateCounts, events: pa.Array, codes: np.ndarray,
                   templates: list[str], ids: pa.Array, texts: list[str]) -> None:
    """Count the unrecognized records per template, keeping the first as example."""
    rows = np.nonzero(pc.equal(events, UNRECOGNIZED).to_numpy(zero_copy_only=False))[0]
    if len(rows) == 0:
        return
    unique, first, number = np.unique(codes[rows], return_index=True, return_counts=True)
    id_list = ids.to_pylist() if len(unique) > 64 else None
    for code, at, how_many in zip(unique.tolist(), first.tolist(), number.tolist(), strict=True):
        row = int(rows[at])
        tid = id_list[row] if id_list is not None else ids[row].as_py()
        counts.counts[tid] += how_many
        if tid not in counts.texts:
            counts.texts[tid] = templates[code]
            counts.examples[tid] = texts[row]
