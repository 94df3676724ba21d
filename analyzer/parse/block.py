"""Parses one block of lines of one source into a table of typed records.

Two implementations split the lines and type the messages, with the same regular
expressions from `grammars/`:
  * native (`_fastblock`, C with PCRE2 JIT; see fastpath.py), used when built;
  * Python: one `findall` of the format's record regex over the block, then the
    messages whose first word starts some rule, each tried with `fullmatch`.
Both hand their columns to `_finish`, which does everything else over columns:
generic warning/error events, tracebacks, derived fields, instances, services,
timestamps and templates.  `NOVATRACE_PURE_PYTHON=1` forces the Python path.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.parse import enrich, fastpath
from analyzer.parse.formats import compiled
from analyzer.parse.grammar import EventPattern, catalogue, records
from analyzer.parse.jsonfields import dumps
from analyzer.parse.mining import TemplateCounts, mine
from analyzer.parse.sources import LONG_LINES, MAX_LINE, cut_long_lines, decode
from analyzer.parse.times import parse_times
from analyzer.vocab.events import COLUMNS, ERROR, UNRECOGNIZED, WARNING

# Columns with few distinct values are dictionary-encoded (pandas categoricals): a
# million records name a handful of files, services and levels.
CATEGORY = pa.dictionary(pa.int32(), pa.string())

SCHEMA = pa.schema(
    [
        ("time", pa.timestamp("us", tz="UTC")),
        ("source", CATEGORY),
        ("line", pa.int64()),
        ("host", CATEGORY),
        ("service", CATEGORY),
        ("pid", pa.int64()),
        ("level", CATEGORY),
        ("logger", CATEGORY),
        ("request_id", pa.string()),
        ("global_request_id", pa.string()),
        ("user_id", pa.string()),
        ("project_id", pa.string()),
        ("instance", pa.string()),
        ("event", CATEGORY),
        ("template_id", pa.string()),
        ("message", pa.string()),
        ("fields", pa.string()),
        ("continuation", pa.string()),
    ]
)
assert tuple(SCHEMA.names) == COLUMNS

_NULL_STRING = pa.scalar(None, pa.string())
_WARNING_LEVELS = pa.array(["WARNING", "WARN"])
_ERROR_LEVELS = pa.array(["ERROR", "CRITICAL", "TRACE"])


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
    problems: list[str] = field(default_factory=list)  # what decoding had to repair
    table_file: str | None = None  # where a worker left the table (see pipeline)
    # a context block opens with a global request id slot (`[None req-…` or `[req-… req-…`):
    # the layout of Nova since Pike, even where no caller sent a global id
    global_id_slot: bool = False


@dataclass
class _Split:
    """What either implementation produces for a block: one entry per record."""

    lines: int
    rows: np.ndarray  # 0-based line index of each record in the block
    columns: dict[str, pa.Array]  # header fields, message, context ids, continuation
    patterns: np.ndarray  # int32 index into catalogue().patterns, -1 when none matched
    fields: pa.Array  # JSON of the matched rule's fields ('' or null when none)
    leading: list[str]
    last_continuation: list[str]
    keys: pa.Array | None = None  # derivation keys (enrich.derive_key) of the matched rules
    longest: int = 0  # longest line in bytes, when the splitter measured it
    templates: pa.Array | None = None  # masked messages, when the splitter made them
    times: pa.Array | None = None  # naive microsecond times of ISO headers, when made


def native_enabled() -> bool:
    """Whether blocks are parsed by the native extension in this process."""
    return fastpath.available() and os.environ.get("NOVATRACE_PURE_PYTHON") != "1"


def parse_block(text: str, first_line: int, info: SourceInfo, raw: bytes | None = None) -> BlockResult:
    """Parse the lines of `text` (LF-separated, no trailing newline) of one source.

    `raw`, when given, is `text` as UTF-8 already (it spares the native path an encode).
    """
    if native_enabled():
        split = fastpath.split(text, info.format, raw)
    else:
        split = _split_python(text, info.format)
    return _finish(split, first_line, info)


def parse_raw(data: bytes, info: SourceInfo) -> BlockResult:
    """Decode and parse one raw block; line numbers start at 1 within the block.

    The native parser measures every line as it goes: a block holding a line over
    MAX_LINE is parsed again with its long lines cut (rare), instead of every block
    being scanned for them first.
    """
    native = native_enabled()
    text, same, problems = decode(data, check_long_lines=not native)
    if not native:
        result = parse_block(text, 1, info)
    else:
        split = fastpath.split(text, info.format, data if same else None)
        if split.longest > MAX_LINE:
            text = cut_long_lines(text)
            problems.append(LONG_LINES)
            split = fastpath.split(text, info.format)
        result = _finish(split, 1, info)
    result.problems = problems
    return result


# --------------------------------------------------------------------------- Python split


def _split_python(text: str, format_name: str) -> _Split:
    fmt = compiled(format_name)
    rows = fmt.regex.findall(text)
    line_count = text.count("\n") + 1
    if len(rows) != line_count:  # a terminal matched across a newline: go line by line
        rows = [fmt.regex.match(line).groups() for line in text.split("\n")]  # type: ignore[union-attr]
    grid = np.array(rows, dtype=object).reshape(len(rows), -1)

    layout = np.full(len(rows), -1, dtype=np.int8)
    for index in range(len(fmt.layouts) - 1, -1, -1):
        layout[grid[:, fmt.offsets[index]] != ""] = index
    is_record = layout >= 0
    record_rows = np.nonzero(is_record)[0]
    rest = grid[:, fmt.rest]
    first_record = int(record_rows[0]) if len(record_rows) else len(rows)
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

    columns = {name: pa.array(column(name), type=pa.string()) for name in fastpath.HEADER_COLUMNS}
    columns["message"] = _strip_suffixes(columns["message"], columns["level"])
    columns.update(_contexts(column("context")))
    columns["continuation"] = pa.array(continuation, type=pa.string())
    texts = columns["message"].to_pylist()
    patterns, fields, keys = _type_events(columns["message"], texts)
    _type_multiline(texts, continuation, patterns, fields, keys)
    return _Split(
        keys=pa.array(keys, type=pa.string()),
        lines=line_count,
        rows=record_rows,
        columns=columns,
        patterns=patterns,
        fields=pa.array(fields, type=pa.string()),
        leading=rest[:first_record].tolist(),
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


_MISS = (-1, None, None)


def _type_events(message: pa.Array,
                 texts: list[str]) -> tuple[np.ndarray, list[str | None], list[str | None]]:
    """Per message: the index of the rule it matches (-1: none) and the rule's fields as JSON.

    Only messages whose first word starts some rule are tried, each distinct text
    once; rules without a literal first word are tried where their longest literal
    occurs.
    """
    cat = catalogue()
    index_of = {id(p): i for i, p in enumerate(cat.patterns)}
    count = len(texts)
    patterns = np.full(count, -1, dtype=np.int32)
    fields: list[str | None] = [None] * count
    keys: list[str | None] = [None] * count
    cache: dict[str, tuple[int, str | None, str | None]] = {}

    def attempt(index: int, candidates: list[EventPattern]) -> None:
        text = texts[index]
        typed = cache.get(text)
        if typed is None:
            typed = _MISS
            for pattern in candidates:
                found = pattern.regex.fullmatch(text)
                if found is not None:
                    typed = (index_of[id(pattern)], _fields_json(pattern, found),
                             enrich.derive_key(pattern, found))
                    break
            cache[text] = typed
        if typed is not _MISS:
            patterns[index], fields[index], keys[index] = typed

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
            if patterns[index] < 0:
                text = texts[index]
                attempt(index, [p for p in cat.wildcard if p.required and p.required in text])
    if cat.unindexed:
        cache.clear()
        for index in range(count):
            if patterns[index] < 0:
                attempt(index, cat.unindexed)
    return patterns, fields, keys


def _type_multiline(texts: list[str], continuation: list[str], patterns: np.ndarray,
                    fields: list[str | None], keys: list[str | None]) -> None:
    """Rules whose text spans lines (a ProcessExecutionError) see the continuation too."""
    cat = catalogue()
    if not cat.multiline:
        return
    index_of = {id(p): i for i, p in enumerate(cat.patterns)}
    for index, more in enumerate(continuation):
        if not more or patterns[index] >= 0:
            continue
        text = texts[index] + "\n" + more
        for pattern in cat.multiline:
            if pattern.required in text:
                found = pattern.regex.fullmatch(text)
                if found is not None:
                    patterns[index] = index_of[id(pattern)]
                    fields[index] = _fields_json(pattern, found)
                    keys[index] = enrich.derive_key(pattern, found)
                    break


def _fields_json(pattern: EventPattern, found: re.Match[str]) -> str | None:
    values = pattern.fields_of(found)
    return dumps(values) if values else None


def _contexts(context: np.ndarray) -> dict[str, pa.Array]:
    """request_id, global_request_id, user_id, project_id from the context blocks (raw)."""
    regex = records().request_context
    encoded = pc.dictionary_encode(pa.array(context, type=pa.string()))
    parsed: list[tuple[str, ...]] = []
    for text in encoded.dictionary.to_pylist():
        found = regex.fullmatch(text) if text else None
        if found:
            parsed.append(tuple(found[name] or "" for name in fastpath.CONTEXT_COLUMNS))
        else:
            parsed.append(("",) * len(fastpath.CONTEXT_COLUMNS))
    columns = list(zip(*parsed, strict=True)) if parsed else [()] * len(fastpath.CONTEXT_COLUMNS)
    return {
        name: pc.take(pa.array(list(values), type=pa.string()), encoded.indices)
        for name, values in zip(fastpath.CONTEXT_COLUMNS, columns, strict=True)
    }


# --------------------------------------------------------------------------- shared


def _finish(split: _Split, first_line: int, info: SourceInfo) -> BlockResult:
    cat = catalogue()
    columns = split.columns
    count = len(split.rows)
    level = columns["level"]
    message = columns["message"]

    names = pa.array([p.event for p in cat.patterns] + [UNRECOGNIZED], type=pa.string())
    pattern_index = np.where(split.patterns < 0, len(cat.patterns), split.patterns)
    events = pc.take(names, pa.array(pattern_index, type=pa.int32()))
    unmatched = split.patterns < 0
    if unmatched.any():  # Arrow kernels, not object arrays: they run without the GIL
        generic = pc.if_else(
            pc.is_in(level, _WARNING_LEVELS), WARNING,
            pc.if_else(pc.is_in(level, _ERROR_LEVELS), ERROR, UNRECOGNIZED))
        events = pc.if_else(pa.array(unmatched), generic, events)
    fields = _nullable(split.fields)

    derived_fields, hints = enrich.derived(split.patterns, fields, split.keys, cat.patterns)
    fields = _apply(fields, derived_fields)
    traceback_events, traceback_fields = enrich.tracebacks(
        message, level, columns["pid"], columns["logger"], columns["continuation"], fields)
    events = _apply(events, _rows_of(traceback_events))
    fields = _apply(fields, _rows_of(traceback_fields))

    instance = pc.coalesce(_nullable(columns["instance"]), _apply(pa.nulls(count, pa.string()), hints))
    service = enrich.services(info.service, columns["source_file"], columns["alias"],
                              columns["unit"], columns["logger"])
    host = _nullable(columns["host"])
    if info.host is not None:
        host = pc.fill_null(host, info.host)

    template_ids, codes, templates = mine(message, split.templates)
    unknown = TemplateCounts()
    _count_unknown(unknown, events, codes, templates, template_ids, message)
    generic_count = int(pc.sum(pc.is_in(events, pa.array([UNRECOGNIZED, WARNING, ERROR]))).as_py() or 0)

    table = pa.table(
        [
            parse_times(columns["timestamp"], columns["syslog_timestamp"], info.tz, info.year,
                        split.times),
            pa.DictionaryArray.from_arrays(pa.array(np.zeros(count, dtype=np.int32)),
                                           pa.array([info.name], type=pa.string())),
            pa.array(split.rows + first_line, type=pa.int64()),
            pc.dictionary_encode(host),
            pc.dictionary_encode(service),
            pc.cast(_nullable(columns["pid"]), pa.int64()),
            pc.dictionary_encode(_nullable(level)),
            pc.dictionary_encode(_nullable(columns["logger"])),
            _nullable(columns["request_id"]),
            _identity(columns["global_request_id"]),
            _identity(columns["user_id"]),
            _identity(columns["project_id"]),
            instance,
            pc.dictionary_encode(events),
            template_ids,
            message,
            fields,
            columns["continuation"],
        ],
        schema=SCHEMA,
    )
    return BlockResult(
        table=table,
        leading=split.leading,
        lines=split.lines,
        records=count,
        recognized=count - generic_count,
        unknown=unknown,
        last_continuation=split.last_continuation,
        global_id_slot=bool(pc.any(pc.not_equal(columns["global_request_id"], "")).as_py()),
    )


def _nullable(values: pa.Array) -> pa.Array:
    """Empty strings become nulls."""
    return pc.if_else(pc.equal(values, ""), _NULL_STRING, values)


def _identity(values: pa.Array) -> pa.Array:
    """oslo.context prints a missing id as `-` or `None`."""
    return pc.if_else(pc.is_in(values, pa.array(["", "-", "None"])), _NULL_STRING, values)


def _apply(values: pa.Array, updates: enrich.Updates) -> pa.Array:
    """`values` with the rows of each (rows, new values) part replaced (parts do not overlap)."""
    if not updates:
        return values
    rows = np.concatenate([r for r, _ in updates])
    replacements = pa.concat_arrays([v.cast(pa.string()) for _, v in updates])
    order = np.argsort(rows, kind="stable")
    mask = np.zeros(len(values), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(values, pa.array(mask), replacements.take(pa.array(order)))


def _rows_of(updates: dict[int, str]) -> enrich.Updates:
    """A row -> value dict as one (rows, values) part for `_apply`."""
    if not updates:
        return []
    rows = sorted(updates)
    return [(np.array(rows, dtype=np.int64), pa.array([updates[r] for r in rows], type=pa.string()))]


def _count_unknown(counts: TemplateCounts, events: pa.Array, codes: np.ndarray,
                   templates: list[str], ids: pa.Array, message: pa.Array) -> None:
    """Count the unrecognized records per template, keeping the first as example."""
    rows = np.nonzero(pc.equal(events, UNRECOGNIZED).to_numpy(zero_copy_only=False))[0]
    if len(rows) == 0:
        return
    unique, first, number = np.unique(codes[rows], return_index=True, return_counts=True)
    examples = pc.take(message, pa.array(rows[first])).to_pylist()
    example_ids = pc.take(ids, pa.array(rows[first])).to_pylist()
    for code, tid, example, how_many in zip(unique.tolist(), example_ids, examples, number.tolist(),
                                            strict=True):
        counts.counts[tid] += how_many
        if tid not in counts.texts:
            counts.texts[tid] = templates[code]
            counts.examples[tid] = example
