"""The `novatrace` command line: options, one library call, output, exit codes.

Exit codes: 0 done (warnings about the input go to stderr), 1 an output could not be
written, 2 the request cannot be met (missing path, unknown format, bad option).
"""

from __future__ import annotations

import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer

import analyzer
from analyzer.errors import NovatraceError
from analyzer.parse.formats import FORMAT_CHOICES
from analyzer.parse.pipeline import ParseSummary, Progress, parse_stream

app = typer.Typer(
    name="novatrace",
    help="Trace what really happened to OpenStack Nova instances, from their logs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Options several commands share.
FormatOption = Annotated[
    str, typer.Option("--format", "-f", help=f"Log format: {', '.join(FORMAT_CHOICES)}.")
]
TzOption = Annotated[
    str | None,
    typer.Option("--tz", help="Zone the logs were written in (IANA name); default UTC."),
]
HostOption = Annotated[
    str | None, typer.Option("--host", help="Host name for files that do not say.")
]
JobsOption = Annotated[int, typer.Option("--jobs", "-j", help="Worker processes.", min=1)]


def _fail(error: NovatraceError) -> None:
    typer.echo(f"novatrace: error: {error}", err=True)
    raise typer.Exit(error.exit_code)


@contextmanager
def _progress_bar(enabled: bool):  # type: ignore[no-untyped-def]
    """A progress callback drawing a bar on stderr when it is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.progress import (
        Progress as Bar,
    )

    with Bar(TextColumn("parsing"), BarColumn(), TransferSpeedColumn(),
             TextColumn("{task.fields[lines]} lines"), TimeRemainingColumn(),
             transient=True, console=_stderr_console()) as bar:
        task = bar.add_task("parse", total=None, lines=0)

        def update(progress: Progress) -> None:
            bar.update(task, completed=progress.bytes_done, total=progress.bytes_total,
                       lines=f"{progress.lines:,}")

        yield update


def _stderr_console():  # type: ignore[no-untyped-def]
    from rich.console import Console  # noqa: PLC0415

    return Console(stderr=True)


def _report(summary: ParseSummary) -> None:
    for warning in summary.warnings:
        typer.echo(f"novatrace: warning: {warning}", err=True)
    typer.echo(f"parsed {summary.describe()} in {summary.seconds:.1f}s", err=True)


_TABLE_COLUMNS = (("time", 23), ("service", 14), ("level", 7), ("instance", 8), ("event", 20))


def _print_table(tables: list[pa.Table] | object) -> None:
    width = shutil.get_terminal_size((160, 24)).columns
    fixed = sum(w + 1 for _, w in _TABLE_COLUMNS)
    message_width = max(30, width - fixed)
    header = " ".join(name.ljust(w) for name, w in _TABLE_COLUMNS) + " message"
    out = sys.stdout
    started = False
    for table in tables:  # type: ignore[attr-defined]
        if not started:  # only once the input is known to be readable
            out.write(header + "\n")
            started = True
        for row in table.select(["time", "service", "level", "instance", "event", "message"]).to_pylist():
            time = row["time"].strftime("%Y-%m-%d %H:%M:%S.%f")[:23] if row["time"] else "-"
            cells = (time, row["service"] or "-", row["level"] or "-",
                     (row["instance"] or "-")[:8], row["event"])
            line = " ".join(str(c).ljust(w)[:w] for c, (_, w) in zip(cells, _TABLE_COLUMNS, strict=True))
            message = row["message"].replace("\t", " ")
            if len(message) > message_width:
                message = message[: message_width - 1] + "…"
            out.write(f"{line} {message}\n")
    if not started:
        out.write(header + "\n")


def _print_unknown(summary: ParseSummary, limit: int) -> None:
    rows = summary.unknown.most_common(limit)
    if not rows:
        typer.echo("no unrecognized lines")
        return
    width = max(60, shutil.get_terminal_size((160, 24)).columns - 23)
    typer.echo(f"{'count':>8}  template_id  template  (example)")
    for tid, count, template, example in rows:
        typer.echo(f"{count:>8}  {tid}     {_clip(template, width)}")
        if example != template:
            typer.echo(f"{'':>8}  {'':11}  e.g. {_clip(example, width - 5)}")


def _clip(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


@app.command()
def parse(
    paths: Annotated[list[str], typer.Argument(help="Log files, directories, .gz files or - for stdin.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write events to .parquet, .csv or .jsonl."),
    ] = None,
    format: FormatOption = "auto",
    tz: TzOption = None,
    host: HostOption = None,
    unknown: Annotated[
        bool, typer.Option("--unknown", help="List the most frequent unrecognized templates.")
    ] = False,
    top: Annotated[int, typer.Option("--top", help="How many templates --unknown lists.", min=1)] = 25,
    jobs: JobsOption = 1,
) -> None:
    """Parse Nova logs into typed events.

    Example: novatrace parse sample_logs/ -o events.parquet --jobs 2
    """
    summary = ParseSummary()
    try:
        with _progress_bar(True) as progress:
            if output is not None:
                analyzer.parse_to_file(paths, output, format=format, tz=tz, host=host,
                                       jobs=jobs, progress=progress, summary=summary)
            elif unknown:
                for _ in parse_stream(paths, format=format, tz=tz, host=host, jobs=jobs,
                                      progress=progress, summary=summary):
                    pass
            else:
                _print_table(parse_stream(paths, format=format, tz=tz, host=host, jobs=jobs,
                                          progress=progress, summary=summary))
    except NovatraceError as error:
        _fail(error)
    except BrokenPipeError:  # `novatrace parse … | head`
        sys.stderr.close()
        raise typer.Exit(0) from None
    if unknown:
        _print_unknown(summary, top)
    _report(summary)
    if output is not None:
        typer.echo(f"wrote {summary.records} events to {output}", err=True)


@app.callback()
def _root() -> None:
    """novatrace: parse, check, report and replay OpenStack Nova logs."""


def main() -> None:
    """Entry point of the `novatrace` console script."""
    app()
