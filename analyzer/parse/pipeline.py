"""Runs a parse: sources -> blocks -> (parallel) block parsing -> one time-ordered stream.

Blocks are parsed by workers when `jobs > 1` (threads with the native parser,
processes without; see workers.py), and by the reading thread itself.  The
stream is merged across files by time as os-log-merger does: the next block is
always read from the source that is furthest behind, and rows are released once
no unread block can come before them (merge.py), so memory holds about one block
per source whatever the size of the input.
"""

from __future__ import annotations

import math
import os
import time as _time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from analyzer.errors import InputError
from analyzer.parse import fastpath
from analyzer.parse.block import (
    BlockResult,
    SourceInfo,
    join_continuation,
    native_enabled,
)
from analyzer.parse.enrich import forget_derived
from analyzer.parse.formats import FORMAT_CHOICES, FORMATS, detect
from analyzer.parse.grammar import catalogue
from analyzer.parse.merge import in_time_order, release
from analyzer.parse.mining import TemplateCounts
from analyzer.parse.sources import Block, Source, expand, read_blocks
from analyzer.parse.times import check_zone
from analyzer.parse.workers import Pool, parse_task


@dataclass
class Progress:
    """Handed to the progress callback after every block."""

    bytes_done: int
    bytes_total: int | None  # None when unknown (standard input, .gz)
    lines: int
    records: int


@dataclass
class ParseSummary:
    """What a parse read and how much of it it understood."""

    files: int = 0
    lines: int = 0
    records: int = 0
    recognized: int = 0
    unrecognized: int = 0
    malformed: int = 0
    formats: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    unknown: TemplateCounts = field(default_factory=TemplateCounts)
    first_time: datetime | None = None
    last_time: datetime | None = None
    seconds: float = 0.0
    # sources whose context blocks have the global request id slot of Nova since Pike
    global_id_sources: set[str] = field(default_factory=set)

    @property
    def recognized_share(self) -> float:
        return self.recognized / self.records if self.records else 0.0

    def describe(self) -> str:
        """One line for a terminal, e.g. after `novatrace parse`."""
        span = ""
        if self.first_time and self.last_time:
            span = f", {self.first_time:%Y-%m-%d %H:%M:%S} .. {self.last_time:%Y-%m-%d %H:%M:%S} UTC"
        return (
            f"{self.files} files, {self.lines} lines, {self.records} records, "
            f"{self.recognized_share:.1%} recognized, {self.unrecognized} unrecognized, "
            f"{self.malformed} malformed{span}"
        )


def source_year(source: Source) -> int:
    """Year for syslog timestamps, which carry none: the file's modification year."""
    if source.path is not None:
        try:
            return datetime.fromtimestamp(source.path.stat().st_mtime, UTC).year
        except OSError:
            pass
    return datetime.now(UTC).year


class _Stream:
    """The parsed blocks of one source, in order, with a few read ahead."""

    def __init__(self, index: int, source: Source, blocks: Iterator[Block], info: SourceInfo,
                 pool: Pool | None, ahead: int) -> None:
        self.index = index
        self.source = source
        self.info = info
        self.blocks = blocks
        self.pool = pool
        self.ahead = ahead
        # each entry: a block not started yet, a worker's future, or a parsed result
        self.queue: deque[tuple[Block, Block | Future[BlockResult] | BlockResult]] = deque()
        self.last_time = -math.inf
        self.done = False
        self.first = True
        self.tail: pa.Table | None = None  # last record parsed, held for continuations
        self.tail_lines: list[str] = []  # its raw continuation lines so far
        self.lines_before = 0  # lines of this source in the blocks already handled
        self.records = 0
        self.forced = False  # format given with --format, not detected

    @property
    def horizon(self) -> float:
        """No row still to come from this source is earlier than this (held row included)."""
        if self.tail is not None:
            held = _max_time(self.tail)
            if held is not None:
                return min(self.last_time, held)
        return self.last_time

    def _fill(self) -> None:
        while len(self.queue) < self.ahead:
            block = next(self.blocks, None)
            if block is None:
                return
            self.queue.append((block, block))
        if self.pool is not None:  # hand unstarted blocks to idle workers, oldest first
            for position, (block, state) in enumerate(self.queue):
                if not self.pool.wants_more():
                    break
                if isinstance(state, Block):
                    self.queue[position] = (block, self.pool.submit(block, self.info))

    def _work_instead_of_waiting(self) -> None:
        """While the next result is with a worker, parse a later block here."""
        while True:
            head = self.queue[0][1]
            if not isinstance(head, Future) or head.done():
                return
            for position, (block, state) in enumerate(self.queue):
                if isinstance(state, Block):
                    self.queue[position] = (block, parse_task(block, self.info))
                    self._fill()
                    break
            else:
                return

    def next_result(self) -> tuple[Block, BlockResult] | None:
        self._fill()
        if not self.queue:
            return None
        self._work_instead_of_waiting()
        block, state = self.queue.popleft()
        if isinstance(state, Block):
            result = parse_task(block, self.info)
        elif isinstance(state, Future):
            assert self.pool is not None
            result = self.pool.collect(state)
        else:
            result = state
        self._fill()
        return block, result


def _renumber(result: BlockResult, stream: _Stream) -> None:
    """Block-relative line numbers -> file line numbers; note what decoding repaired."""
    if stream.lines_before and result.table.num_rows:
        position = result.table.schema.get_field_index("line")
        shifted = pc.add(result.table.column("line"), stream.lines_before)
        result.table = result.table.set_column(position, "line", shifted)
    stream.lines_before += result.lines
    for problem in result.problems:
        message = f"{stream.source.name}: {problem}"
        if message not in stream.source.warnings:
            stream.source.warnings.append(message)


def _attach(table: pa.Table, lines: list[str]) -> pa.Table:
    """Set the continuation of the last record of `table` from its raw `lines`."""
    column = table.column("continuation").to_pylist()
    column[-1] = join_continuation(lines)
    position = table.schema.get_field_index("continuation")
    return table.set_column(position, "continuation", pa.array(column, type=pa.string()))


def _max_time(table: pa.Table) -> float | None:
    latest = pc.max(table.column("time")).as_py()
    return latest.timestamp() if latest is not None else None


def parse_stream(
    paths: list[str | Path],
    *,
    format: str = "auto",
    tz: str | None = None,
    host: str | None = None,
    jobs: int = 1,
    progress: Callable[[Progress], None] | None = None,
    summary: ParseSummary | None = None,
) -> Iterator[pa.Table]:
    """Parse `paths` into time-ordered Arrow tables of at most merge.OUTPUT_ROWS rows.

    Fills `summary` (if given) as it goes; raises InputError for a missing path,
    an unknown format or time zone, before reading anything.
    """
    if format not in FORMAT_CHOICES:
        raise InputError(f"unknown format {format!r}; choose one of {', '.join(FORMAT_CHOICES)}")
    if jobs < 1:
        raise InputError(f"--jobs must be at least 1, not {jobs}")
    check_zone(tz)
    sources = expand(paths)
    forget_derived()
    summary = summary if summary is not None else ParseSummary()
    summary.files = len(sources)
    started = _time.perf_counter()
    total = _total_bytes(sources)
    done_bytes = 0

    pool: Pool | None = None
    if jobs > 1:
        _prepare(format)  # compiled once here, inherited by the forked workers
        pool = Pool(jobs, threads=native_enabled())
    try:
        streams = [_open_stream(i, s, format, tz, host, pool, jobs, summary)
                   for i, s in enumerate(sources)]
        active = [s for s in streams if s is not None]
        buffered: list[pa.Table] = []
        while active:
            stream = min(active, key=lambda s: s.last_time)
            item = stream.next_result()
            if item is None:
                active.remove(stream)
                if stream.tail is not None:
                    buffered.append(stream.tail)
                if stream.forced and stream.records == 0 and stream.lines_before:
                    stream.source.warnings.append(
                        f"{stream.source.name}: no line has the {stream.info.format} record layout "
                        f"(--format {stream.info.format}); its lines are counted as malformed")
                summary.warnings += stream.source.warnings
                summary.formats[stream.source.name] = stream.info.format
            else:
                block, result = item
                _count(summary, result, stream)
                stream.records += result.records
                _renumber(result, stream)
                done_bytes += block.size + 1
                if result.leading:
                    if stream.tail is not None:
                        stream.tail_lines += result.leading
                        stream.tail = _attach(stream.tail, stream.tail_lines)
                    elif stream.first:
                        summary.malformed += sum(1 for line in result.leading if line.strip())
                stream.first = False
                if result.table.num_rows:
                    if stream.tail is not None:
                        buffered.append(stream.tail)
                    rows = result.table.num_rows
                    if rows > 1:
                        buffered.append(in_time_order(result.table.slice(0, rows - 1)))
                    stream.tail = result.table.slice(rows - 1)
                    stream.tail_lines = result.last_continuation
                    latest = _max_time(result.table)
                    if latest is not None:
                        stream.last_time = max(stream.last_time, latest)
                if progress is not None:
                    progress(Progress(done_bytes, total, summary.lines, summary.records))
            watermark = min((s.horizon for s in active), default=math.inf)
            if buffered:
                ready, buffered = release(buffered, watermark, final=not active)
                for table in ready:
                    _span(summary, table)
                    yield table
    finally:
        if pool is not None:
            pool.shutdown()
        summary.seconds = _time.perf_counter() - started


def _prepare(format: str) -> None:
    """Compile the grammar (and the native parsers) before workers start or are forked."""
    catalogue()
    if native_enabled():
        for name in (FORMATS if format == "auto" else [format]):
            fastpath.parser(name)


def _open_stream(index: int, source: Source, format: str, tz: str | None, host: str | None,
                 pool: Pool | None, jobs: int, summary: ParseSummary) -> _Stream | None:
    blocks = read_blocks(source)
    first = next(blocks, None)
    if first is None:
        source.warnings.append(f"{source.name}: empty file")
        summary.warnings += source.warnings
        summary.formats[source.name] = "empty"
        return None
    chosen = format
    if format == "auto":
        head = first.data[:256 * 1024] if first.data is not None else _head(source)
        detected = detect(head.decode("utf-8", errors="replace").replace("\r\n", "\n")
                          .split("\n", 500)[:500])
        if detected is None:
            source.warnings.append(
                f"{source.name}: no line has a Nova log record header (formats: "
                f"{', '.join(FORMATS)}); its lines are counted as malformed"
            )
            detected = "oslo"
        chosen = detected
    info = SourceInfo(source.name, chosen, source.service, source.host or host, tz,
                      source_year(source))
    chained = _chain(first, blocks)
    stream = _Stream(index, source, chained, info, pool, ahead=max(1, jobs * 3))
    stream.forced = format != "auto"
    return stream


def _head(source: Source) -> bytes:
    try:
        with source.open() as handle:
            return handle.read(256 * 1024)
    except (OSError, InputError):
        return b""


def _chain(first: Block, rest: Iterator[Block]) -> Iterator[Block]:
    yield first
    yield from rest


def _count(summary: ParseSummary, result: BlockResult, stream: _Stream) -> None:
    summary.lines += result.lines
    summary.records += result.records
    summary.recognized += result.recognized
    summary.unrecognized += sum(result.unknown.counts.values())
    summary.unknown.merge(result.unknown)
    if result.global_id_slot:
        summary.global_id_sources.add(stream.info.name)


def _span(summary: ParseSummary, table: pa.Table) -> None:
    times = table.column("time")
    low, high = pc.min(times).as_py(), pc.max(times).as_py()
    if low is not None and (summary.first_time is None or low < summary.first_time):
        summary.first_time = low
    if high is not None and (summary.last_time is None or high > summary.last_time):
        summary.last_time = high


def _total_bytes(sources: list[Source]) -> int | None:
    total = 0
    for source in sources:
        if source.path is None or source.path.name.endswith(".gz"):
            return None
        try:
            total += os.path.getsize(source.path)
        except OSError:
            return None
    return total
