"""novatrace: log-driven trace analyzer for OpenStack Nova.

The library surface:

    >>> import analyzer
    >>> frame = analyzer.parse_logs(["sample_logs/devstack_2016"])   # doctest: +SKIP
    >>> frame[frame.event == "lifecycle"][["time", "instance", "fields"]]  # doctest: +SKIP
    >>> analyzer.render_report(["sample_logs/"], "reports/timeline.html")   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analyzer.errors import GrammarError, InputError, NovatraceError, OutputError
from analyzer.parse.frame import plain, to_dataframe, write
from analyzer.parse.pipeline import ParseSummary, Progress, parse_stream

__all__ = [
    "GrammarError",
    "InputError",
    "NovatraceError",
    "OutputError",
    "ParseSummary",
    "Progress",
    "parse_logs",
    "parse_to_file",
    "render_report",
]


def parse_logs(
    paths: list[str | Path] | str | Path,
    *,
    format: str = "auto",
    tz: str | None = None,
    host: str | None = None,
    jobs: int = 1,
    progress: Callable[[Progress], None] | None = None,
    summary: ParseSummary | None = None,
) -> pd.DataFrame:
    """Parse Nova logs into one time-ordered DataFrame of typed events.

    `paths` are files, directories (walked recursively), `.gz` files or `-` for
    standard input.  Columns: see `analyzer.vocab.COLUMNS`; `fields` holds the
    event's fields as JSON.  Pass a `ParseSummary` to get the counts and warnings.
    Raises InputError for a missing path or a bad option value.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    stream = parse_stream(list(paths), format=format, tz=tz, host=host, jobs=jobs,
                          progress=progress, summary=summary)
    # decoded chunk by chunk while the parse runs, not all at the end
    return to_dataframe([plain(table) for table in stream])


def parse_to_file(
    paths: list[str | Path],
    output: str | Path,
    *,
    format: str = "auto",
    tz: str | None = None,
    host: str | None = None,
    jobs: int = 1,
    progress: Callable[[Progress], None] | None = None,
    summary: ParseSummary | None = None,
) -> int:
    """Parse Nova logs straight into a `.parquet`, `.csv` or `.jsonl` file, chunk by chunk.

    Memory stays bounded by the chunk size, not the input size.  Returns the rows written.
    """
    from analyzer.parse.frame import check_output  # noqa: PLC0415

    target = Path(output)
    check_output(target)
    stream = parse_stream(list(paths), format=format, tz=tz, host=host, jobs=jobs,
                          progress=progress, summary=summary)
    return write(stream, target)


def render_report(source: object, output: str | Path, **options: object) -> object:
    """Write the interactive HTML report of `source` (log paths, or a CheckResult) to `output`.

    Timelines per instance, request waterfalls, tables and plots in one offline file; returns
    an `analyzer.report.Rendered`.  The options are those of `analyzer.report.render`
    (instances, since, until, png, and the check options); imported on first use, so
    `import analyzer` stays light.
    """
    from analyzer.report import render  # noqa: PLC0415

    return render(source, output, **options)  # type: ignore[arg-type]
