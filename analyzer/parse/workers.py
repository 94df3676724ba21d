"""Parsing blocks on several cores: threads with the native parser, else processes.

The native parser releases the GIL while it splits a block, and most of the Arrow
work after it does too, so with it `--jobs N` runs N-1 worker threads beside the
reading thread: no copies between processes.  The pure-Python parser holds the GIL,
so without the native parser the workers are processes; each parses a block
(reading its byte range itself) and leaves the table as an Arrow file in shared
memory, which the reading process reads back (pickling it through the pool's pipe
would cost both processes a copy).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pyarrow as pa

from analyzer.parse.block import BlockResult, SourceInfo, parse_raw
from analyzer.parse.sources import Block


def parse_task(block: Block, info: SourceInfo) -> BlockResult:
    """Read (if it is a byte range) and parse one block, in whichever process runs it."""
    try:
        data = block.load()
    except OSError as exc:
        empty = parse_raw(b"", info)
        empty.lines = 0
        empty.table = empty.table.slice(0, 0)
        empty.leading = []
        empty.problems = [f"reading stopped early ({exc.strerror or exc})"]
        return empty
    return parse_raw(data, info)


_SHARED = Path("/dev/shm") if Path("/dev/shm").is_dir() else None


def _parse_task_remote(block: Block, info: SourceInfo) -> BlockResult:
    """`_parse_task` in a worker: the table comes back as an Arrow file the parent maps.

    Pickling a block's table through the pool's pipe costs both processes a copy;
    an IPC file in shared memory costs the worker one write and the parent nothing.
    """
    result = parse_task(block, info)
    handle, name = tempfile.mkstemp(prefix="novatrace-", suffix=".arrow", dir=_SHARED)
    with os.fdopen(handle, "wb") as sink, pa.ipc.new_file(sink, result.table.schema) as writer:
        writer.write_table(result.table)
    result.table = None  # type: ignore[assignment]
    result.table_file = name
    return result


def collect_table(result: BlockResult) -> BlockResult:
    """Map a worker's table file back (zero-copy) and remove the file."""
    if result.table_file is not None:
        try:
            with pa.OSFile(result.table_file) as source:  # one sequential read beats faulting in a map
                result.table = pa.ipc.open_file(source).read_all()
        finally:
            os.unlink(result.table_file)
        result.table_file = None
    return result


class Pool:
    """Workers (threads or processes) plus the reading thread itself, which parses too.

    With `--jobs N` there are N-1 workers; the reading thread hands them blocks
    while fewer than three per worker are unfinished, keeps the others, and parses
    one itself whenever the result it needs next is not ready yet, so nobody waits
    while there is a block nobody has started.
    """

    def __init__(self, jobs: int, threads: bool) -> None:
        self.workers = jobs - 1
        self.threads = threads
        self.executor: Executor | None = None
        if self.workers and threads:
            self.executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="novatrace")
        elif self.workers:
            self.executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=get_context("fork"))
        self.uncollected: set[Future[BlockResult]] = set()

    def wants_more(self) -> bool:
        """Whether a worker would be idle soon: fewer than three blocks each unfinished."""
        if self.executor is None:
            return False
        unfinished = sum(1 for future in self.uncollected if not future.done())
        return unfinished < 3 * self.workers

    def submit(self, block: Block, info: SourceInfo) -> Future[BlockResult]:
        assert self.executor is not None
        task = parse_task if self.threads else _parse_task_remote
        future = self.executor.submit(task, block, info)
        self.uncollected.add(future)
        return future

    def collect(self, future: Future[BlockResult]) -> BlockResult:
        self.uncollected.discard(future)
        return collect_table(future.result())

    def shutdown(self) -> None:
        """Stop the workers; remove the table files of results nobody collected."""
        if self.executor is None:
            return
        self.executor.shutdown(cancel_futures=True)
        for future in self.uncollected:
            if future.done() and not future.cancelled() and future.exception() is None:
                name = future.result().table_file
                if name is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(name)
        self.uncollected.clear()
