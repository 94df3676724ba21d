"""Merges the parsed blocks of several files into one stream ordered by time.

Each piece handed in is one block's rows in time order.  Rows are released once no
unread block can come before them (the watermark: the least time any source may
still produce), so memory holds about one block per source however large the
input; a piece's released rows are a prefix of it, so what stays is a zero-copy
slice, and only the rows released are sorted, by (time, source, line).
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

OUTPUT_ROWS = 100_000  # rows per released chunk


def in_time_order(table: pa.Table) -> pa.Table:
    """A block's rows by time (nulls last), stable; a block read in order costs no copy."""
    order = pc.sort_indices(table, sort_keys=[("time", "ascending"), ("line", "ascending")])
    return table if is_identity(order) else table.take(order)


def release(buffered: list[pa.Table], watermark: float,
             final: bool) -> tuple[list[pa.Table], list[pa.Table]]:
    """Split buffered pieces (each in time order) into rows safe to emit, merged, and the rest.

    The rows of a piece at or before the watermark are a prefix of it, so what stays
    buffered is a slice, never a copy; emitted rows are merged with one sort.
    """
    ready: list[pa.Table] = []
    kept: list[pa.Table] = []
    for piece in buffered:
        cut = piece.num_rows if final else rows_until(piece, watermark)
        if cut:
            ready.append(piece.slice(0, cut))
        if cut < piece.num_rows:
            kept.append(piece.slice(cut))
    total = sum(piece.num_rows for piece in ready)
    if total == 0 or (total < OUTPUT_ROWS // 4 and not final):
        return [], buffered
    table = pa.concat_tables(ready)
    if len(ready) > 1:
        keys = pa.table({"time": table.column("time"), "source": source_rank(table.column("source")),
                         "line": table.column("line")})
        order = pc.sort_indices(keys, sort_keys=[("time", "ascending"), ("source", "ascending"),
                                                 ("line", "ascending")])
        if not is_identity(order):
            table = table.take(order)
    chunks = [table.slice(start, OUTPUT_ROWS) for start in range(0, table.num_rows, OUTPUT_ROWS)]
    return chunks, kept


def source_rank(column: pa.ChunkedArray) -> pa.Array:
    """Each row's source as its rank among the source names (sorting ties between files)."""
    names = sorted({name for chunk in column.chunks for name in chunk.dictionary.to_pylist()})
    rank = {name: position for position, name in enumerate(names)}
    parts = []
    for chunk in column.chunks:
        lookup = np.array([rank[name] for name in chunk.dictionary.to_pylist()], dtype=np.int32)
        parts.append(lookup[chunk.indices.to_numpy(zero_copy_only=False)])
    return pa.array(np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32))


def is_identity(order: pa.Array) -> bool:
    """True when sort indices leave the rows where they are (one source, in order)."""
    values = order.to_numpy(zero_copy_only=False)
    return bool(len(values) == 0 or (values[0] == 0 and (values[1:] > values[:-1]).all()))


def rows_until(table: pa.Table, watermark: float) -> int:
    """Number of leading rows (time-sorted, nulls last) at or before `watermark`."""
    if math.isinf(watermark) and watermark > 0:
        return table.num_rows
    if math.isinf(watermark):
        return 0
    limit = pa.scalar(int(watermark * 1_000_000), pa.timestamp("us", tz="UTC"))
    before = pc.less_equal(table.column("time"), limit)
    return int(pc.sum(pc.fill_null(before, False)).as_py() or 0)
