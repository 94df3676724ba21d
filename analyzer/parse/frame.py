"""Where parsed events go: a pandas DataFrame, or Parquet, CSV or JSON Lines written in chunks.

Writers take the stream chunk by chunk, so writing a file needs memory for one chunk,
not for the whole input.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from analyzer.errors import InputError, OutputError
from analyzer.parse.block import SCHEMA

OUTPUT_FORMATS = (".parquet", ".csv", ".jsonl")

# What users get: every text column a plain string (the parser keeps the columns
# with few distinct values dictionary-encoded while it merges, see block.CATEGORY).
OUTPUT_SCHEMA = pa.schema([
    pa.field(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type) for f in SCHEMA
])


def plain(table: pa.Table) -> pa.Table:
    """`table` with its dictionary-encoded columns decoded to strings."""
    return table.cast(OUTPUT_SCHEMA)


def to_dataframe(tables: Iterable[pa.Table]) -> pd.DataFrame:
    """One DataFrame of all chunks; text columns stay Arrow strings, `time` is UTC.

    Text columns are `pd.ArrowDtype(pa.string())` (shown as `string[pyarrow]`): the
    parser's Arrow arrays become the DataFrame's without a copy, and they behave as
    pandas strings do (`==`, `+`, `.str`, `isna`).
    """
    chunks = [plain(t) for t in tables]
    table = pa.concat_tables(chunks) if chunks else OUTPUT_SCHEMA.empty_table()
    frame = table.to_pandas(types_mapper={pa.string(): pd.ArrowDtype(pa.string())}.get)
    frame["pid"] = frame["pid"].astype("Int64")
    frame["line"] = frame["line"].astype("int64")
    return frame


def check_output(path: Path) -> str:
    """The output kind of `path` by its extension; InputError for anything else."""
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise InputError(
            f"{path}: unknown output type {suffix or '(none)'}; use one of {', '.join(OUTPUT_FORMATS)}"
        )
    if not path.parent.exists():
        raise InputError(f"{path}: directory {path.parent} does not exist")
    return suffix


def write(tables: Iterable[pa.Table], path: Path) -> int:
    """Write the stream to `path` (type from the extension); returns the rows written."""
    suffix = check_output(path)
    writer: Callable[[Iterable[pa.Table], Path], int] = {
        ".parquet": _write_parquet,
        ".csv": _write_csv,
        ".jsonl": _write_jsonl,
    }[suffix]
    try:
        return writer(tables, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc


def _write_parquet(tables: Iterable[pa.Table], path: Path) -> int:
    rows = 0
    with pq.ParquetWriter(path, OUTPUT_SCHEMA, compression="zstd") as writer:
        for table in tables:
            writer.write_table(plain(table))
            rows += table.num_rows
    return rows


def _text_times(table: pa.Table) -> pa.Table:
    # Arrow's %S carries the fraction at the column's unit (microseconds).
    times = pc.strftime(table.column("time"), format="%Y-%m-%dT%H:%M:%SZ")
    return table.set_column(0, "time", times)


def _write_csv(tables: Iterable[pa.Table], path: Path) -> int:
    rows = 0
    writer = None
    try:
        for table in tables:
            table = _text_times(plain(table))
            if writer is None:
                writer = pacsv.CSVWriter(str(path), table.schema)
            writer.write_table(table)
            rows += table.num_rows
        if writer is None:
            pacsv.write_csv(_text_times(OUTPUT_SCHEMA.empty_table()), str(path))
    finally:
        if writer is not None:
            writer.close()
    return rows


def _write_jsonl(tables: Iterable[pa.Table], path: Path) -> int:
    rows = 0
    with path.open("w", encoding="utf-8") as handle:
        for table in tables:
            rows += _jsonl_lines(_text_times(plain(table)), handle)
    return rows


def _jsonl_lines(table: pa.Table, handle: IO[str]) -> int:
    for row in table.to_pylist():
        if row["fields"]:
            row["fields"] = json.loads(row["fields"])
        handle.write(json.dumps(row, ensure_ascii=False))
        handle.write("\n")
    return table.num_rows
