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
from analyzer.cli_practice import app as practice_app
from analyzer.errors import InputError, NovatraceError
from analyzer.parse.formats import FORMAT_CHOICES
from analyzer.parse.pipeline import ParseSummary, Progress, parse_stream

app = typer.Typer(
    name="novatrace",
    help="Trace what really happened to OpenStack Nova instances, from their logs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.add_typer(practice_app)  # novatrace practice list|show|quiz

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
SlowOption = Annotated[
    float | None,
    typer.Option("--slow", help="Also call slow any operation or step over this many seconds."),
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


FlowsOption = Annotated[
    Path | None,
    typer.Option("--flows", help="Directory of *.flow specs to use instead of grammars/flows."),
]
ReleaseOption = Annotated[
    str, typer.Option("--release", help="Which wording and routing to expect: auto, 2016, current."),
]


@app.command()
def check(
    paths: Annotated[list[str], typer.Argument(help="Log files, directories, .gz files or - for stdin.")],
    json_output: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    flows: FlowsOption = None,
    release: ReleaseOption = "auto",
    slow: SlowOption = None,
    steps: Annotated[bool, typer.Option("--steps", help="Also print durations per step.")] = False,
    format: FormatOption = "auto",
    tz: TzOption = None,
    host: HostOption = None,
    jobs: JobsOption = 1,
) -> None:
    """Rebuild every instance's operations and check them against the documented flows.

    Exit 0 when every operation follows its flow, 1 when there are deviations, 2 on a
    usage or input error.  Example: novatrace check sample_logs/devstack_2016 --json
    """
    from analyzer.lifecycle import check as run_check  # noqa: PLC0415
    from analyzer.lifecycle.text import summary  # noqa: PLC0415

    try:
        with _progress_bar(True) as progress:
            result = run_check(paths, flows_dir=flows, release=release, slow=slow, format=format,
                               tz=tz, host=host, jobs=jobs, progress=progress)
    except NovatraceError as error:
        _fail(error)
    for warning in result.summary.warnings:
        typer.echo(f"novatrace: warning: {warning}", err=True)
    try:
        if json_output:
            sys.stdout.write(_json(result.as_dict()) + "\n")
        else:
            sys.stdout.write(summary(result, steps=steps) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stderr.close()
    raise typer.Exit(1 if result.deviation_count else 0)


@app.command()
def lifecycle(
    paths: Annotated[list[str], typer.Argument(help="Log files, directories, .gz files or - for stdin.")],
    instance: Annotated[
        list[str], typer.Option("--instance", "-i", help="Instance UUID (or a unique prefix of one).")
    ],
    flows: FlowsOption = None,
    release: ReleaseOption = "auto",
    format: FormatOption = "auto",
    tz: TzOption = None,
    host: HostOption = None,
    jobs: JobsOption = 1,
) -> None:
    """Tell an instance's story: operation by operation, its steps, timings and states.

    Example: novatrace lifecycle sample_logs/devstack_2016 --instance 4c45d1e7
    """
    from analyzer.lifecycle import check as run_check  # noqa: PLC0415
    from analyzer.lifecycle.text import story  # noqa: PLC0415

    try:
        with _progress_bar(True) as progress:
            result = run_check(paths, flows_dir=flows, release=release, format=format, tz=tz,
                               host=host, jobs=jobs, progress=progress)
        chosen = [_one_instance(result.stories, wanted) for wanted in instance]
    except NovatraceError as error:
        _fail(error)
    try:
        sys.stdout.write("\n".join(story(result, uuid) for uuid in chosen))
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stderr.close()


@app.command()
def report(
    paths: Annotated[list[str], typer.Argument(help="Log files, directories, .gz files or - for stdin.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The HTML file to write, e.g. reports/timeline.html.")
    ],
    instance: Annotated[
        list[str] | None,
        typer.Option("--instance", "-i", help="Only this instance (UUID or a unique prefix); repeatable."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only operations still running at or after this time "
                     "(ISO 8601, UTC unless it says, e.g. 2016-06-28T13:57:00)."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Only operations begun at or before this time."),
    ] = None,
    png: Annotated[
        bool, typer.Option("--png", help="Also write the first instance's timeline as a PNG beside the "
                           "HTML (needs Chromium or Chrome).")
    ] = False,
    flows: FlowsOption = None,
    release: ReleaseOption = "auto",
    slow: SlowOption = None,
    format: FormatOption = "auto",
    tz: TzOption = None,
    host: HostOption = None,
    jobs: JobsOption = 1,
) -> None:
    """Write an interactive HTML report: timelines, request waterfalls, tables and plots in one file.

    The file works offline (plotly.js is inside it).  Example:
    novatrace report sample_logs/ -o reports/timeline.html --png
    """
    from analyzer.lifecycle.text import counted  # noqa: PLC0415
    from analyzer.report import render  # noqa: PLC0415

    try:
        with _progress_bar(True) as progress:
            written = render(paths, output, instances=instance or None, since=since, until=until, png=png,
                             flows_dir=flows, release=release, slow=slow, format=format, tz=tz, host=host,
                             jobs=jobs, progress=progress)
    except NovatraceError as error:
        _fail(error)
    for warning in written.warnings:
        typer.echo(f"novatrace: warning: {warning}", err=True)
    drawn = "" if written.drawn == written.instances else f" ({written.drawn:,} drawn)"
    typer.echo(f"wrote {written.path} ({written.size / 1e6:.1f} MB): {written.instances:,} instances{drawn}, "
               f"{counted(written.operations, 'operation')}, {counted(written.deviations, 'deviation')} "
               f"in {counted(written.deviating, 'operation')}", err=True)
    for notice in written.notices:
        typer.echo(f"note: {notice}", err=True)
    if written.png is not None:
        typer.echo(f"wrote {written.png}", err=True)


def _one_instance(known: dict[str, object], wanted: str) -> str:
    from analyzer.errors import InputError  # noqa: PLC0415

    matches = [uuid for uuid in known if uuid.startswith(wanted.lower())]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        listed = ", ".join(sorted(known)[:10]) or "none"
        raise InputError(f"no instance {wanted!r} in these logs; instances: {listed}"
                         + (" …" if len(known) > 10 else ""))
    raise InputError(f"{wanted!r} matches {len(matches)} instances: {', '.join(sorted(matches))}")


LogStyleOption = Annotated[
    str, typer.Option("--log-style", help="Log wording and context layout: 2016 (Mitaka) or current.")
]
DriverOption = Annotated[
    str, typer.Option("--driver", help="Compute driver: fake, or libvirt (libvirt domains, qcow2 disks).")
]
LibvirtUriOption = Annotated[
    str | None, typer.Option("--libvirt-uri", help="With --driver libvirt: the hypervisor, e.g. "
                             "qemu:///system (default: a private libvirt test-driver host per compute).")
]
TimingOption = Annotated[
    str, typer.Option("--timing", help="Step durations: fast, or realistic (close to real logs).")
]


def _replay_errors() -> tuple[type[Exception], ...]:
    from analyzer.replay.drivers import DriverError  # noqa: PLC0415
    from analyzer.replay.scenarios import ScenarioError  # noqa: PLC0415

    return (ScenarioError, ValueError, DriverError)


def _start_failure(error: Exception) -> InputError | None:
    """What keeps mini-Nova from starting (a bad --db, --transport, driver), as one line; None
    for anything else."""
    import oslo_messaging  # noqa: PLC0415
    import sqlalchemy  # noqa: PLC0415

    if isinstance(error, (oslo_messaging.InvalidTransportURL, oslo_messaging.DriverLoadFailure)):
        return InputError(f"--transport: {error}")
    if isinstance(error, sqlalchemy.exc.ArgumentError):  # an unknown database kind or a malformed URL
        return InputError(f"--db: {error}")
    if isinstance(error, sqlalchemy.exc.OperationalError):  # the database does not answer
        return InputError(f"--db: {str(error.orig).strip().splitlines()[0]}")
    if isinstance(error, _replay_errors()):
        return InputError(str(error))
    return None


@app.command()
def serve(
    listen: Annotated[str, typer.Option("--listen", help="HOST:PORT the API binds to.")] = "127.0.0.1:8774",
    driver: DriverOption = "fake",
    libvirt_uri: LibvirtUriOption = None,
    transport: Annotated[
        str, typer.Option("--transport", help="oslo.messaging URL: fake:// (in-process) or rabbit://…")
    ] = "fake://",
    db: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy URL; default SQLite in the state directory.")
    ] = None,
    state_dir: Annotated[
        Path, typer.Option("--state-dir", help="Database, instance disks, images.")
    ] = Path("mini-nova-state"),
    log_dir: Annotated[Path, typer.Option("--log-dir", help="One log file per service.")] = Path("logs"),
    computes: Annotated[int, typer.Option("--computes", help="Number of compute hosts.", min=1)] = 1,
    log_style: LogStyleOption = "2016",
    timing: TimingOption = "fast",
    token: Annotated[
        str | None, typer.Option("--token", help="Require this X-Auth-Token (default: no authentication).")
    ] = None,
    role: Annotated[
        str, typer.Option("--role", help="all (one process), or one service: api, scheduler, conductor, "
                                         "compute (with --transport rabbit://… and a shared --db).")
    ] = "all",
    compute_host: Annotated[
        str | None, typer.Option("--host", help="The compute host (--role compute; default: the hostname).")
    ] = None,
) -> None:
    """Run the whole mini-Nova (api, scheduler, conductor, computes) in one process, or one service.

    Any OpenStack client can talk to it, e.g. openstack.connect(auth_type="none",
    compute_endpoint_override="http://127.0.0.1:8774/v2.1").
    Example: novatrace serve --log-dir logs --computes 2 --log-style current
    One service per process: novatrace serve --role compute --host compute1
    --transport rabbit://guest:guest@127.0.0.1:5672/ --db postgresql://nova:pw@127.0.0.1/nova
    """
    import warnings  # noqa: PLC0415

    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        _fail(InputError(f"--listen takes HOST:PORT, not {listen!r}"))
    from analyzer.replay.roles import ROLES  # noqa: PLC0415

    if role != "all" and role not in ROLES:
        _fail(InputError(f"unknown role {role!r} (expected one of all, {', '.join(ROLES)})"))
    if role != "all":
        _serve_role(role, compute_host, host, int(port), log_dir=log_dir, state_dir=state_dir,
                    transport_url=transport, db_url=db, style=log_style, driver=driver, timing=timing,
                    token=token, libvirt_uri=libvirt_uri)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from analyzer.replay import MiniNova  # noqa: PLC0415
    try:
        nova = MiniNova(log_dir=log_dir, state_dir=state_dir, db_url=db, transport_url=transport,
                        style=log_style, computes=computes, driver=driver, timing=timing, token=token,
                        libvirt_uri=libvirt_uri)
    except Exception as error:
        failure = _start_failure(error)
        if failure is None:
            raise
        _fail(failure)
    typer.echo(f"mini-Nova on http://{host}:{port}/v2.1 ({computes} compute host(s), driver {driver}, "
               f"logs in {log_dir}/); Ctrl-C stops it", err=True)
    with nova:
        nova.serve(host, int(port))


def _serve_role(role: str, compute_host: str | None, listen_host: str, port: int, **settings) -> None:
    """`serve --role`: one service in this process until SIGTERM or Ctrl-C (analyzer.replay.roles)."""
    import warnings  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        from analyzer.replay.roles import run_role  # noqa: PLC0415
    typer.echo(f"mini-Nova {role}{f' on {compute_host}' if compute_host else ''}: logs in "
               f"{settings['log_dir']}/; Ctrl-C stops it", err=True)
    try:
        run_role(role, host=compute_host, listen=(listen_host, port), **settings)
    except Exception as error:
        failure = _start_failure(error)
        if failure is None:
            raise
        _fail(failure)


@app.command()
def replay(
    scenarios: Annotated[
        list[Path] | None,
        typer.Argument(help="Scenario YAML files (see sample_logs/scenarios/); with --from-log, the logs to "
                       "replay (files or directories)."),
    ] = None,
    all_operations: Annotated[
        bool, typer.Option("--all-operations", help="Replay one instance through every operation.")
    ] = False,
    from_log: Annotated[
        bool, typer.Option("--from-log", help="Replay the operations novatrace check finds in the given logs "
                           "and compare the original and replayed lifecycles.")
    ] = False,
    speed: Annotated[
        float, typer.Option("--speed", help="With --from-log: the original's gaps between operations divided "
                            "by this (1 = as logged, 10 = ten times faster); 0 = no waits.")
    ] = 0.0,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="With --from-log: also write the comparison as HTML."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="With --from-log: the comparison as one JSON object on stdout.")
    ] = False,
    log_dir: Annotated[Path, typer.Option("--log-dir", help="Where the logs are written.")] = Path("logs"),
    endpoint: Annotated[
        str | None, typer.Option("--endpoint", help="Use a running mini-Nova (or Nova) at this URL.")
    ] = None,
    driver: DriverOption = "fake",
    libvirt_uri: LibvirtUriOption = None,
    state_dir: Annotated[
        Path | None, typer.Option("--state-dir", help="Keep the database, disks and images here "
                                  "(default: a temporary directory, removed at the end).")
    ] = None,
    log_style: Annotated[
        str | None,
        typer.Option("--log-style", help="Log wording and context layout: 2016 (Mitaka) or current; default "
                     "2016, with --from-log the original's release."),
    ] = None,
    timing: TimingOption = "fast",
) -> None:
    """Replay scenarios through the HTTP API of an embedded mini-Nova and leave its logs.

    Each operation is sent as Nova's REST call and waited for until it settles.
    Example: novatrace replay --all-operations --log-dir logs && novatrace check logs
    With --from-log, replays a real (or generated) log and compares the lifecycles; exit 1 when
    they differ.  Example: novatrace replay --from-log ../shared/real_logs/devstack_gate_2016 -o cmp.html
    """
    if from_log:
        _replay_from_log(scenarios or [], all_operations=all_operations, endpoint=endpoint, speed=speed,
                         output=output, json_output=json_output, log_dir=log_dir, driver=driver,
                         libvirt_uri=libvirt_uri, state_dir=state_dir, log_style=log_style, timing=timing)
        return
    if speed or output is not None or json_output:
        _fail(InputError("--speed, -o and --json go with --from-log"))
    import warnings  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from analyzer.replay import scenarios as library  # noqa: PLC0415
    try:
        chosen = [library.load_scenario(path) for path in scenarios or []]
        if all_operations:
            chosen.append(library.all_operations())
        if not chosen:
            raise InputError("give scenario files, --all-operations or --from-log LOGS")
        results = library.replay(chosen, log_dir, style=log_style or "2016", endpoint=endpoint, driver=driver,
                                 timing=timing, libvirt_uri=libvirt_uri, state_dir=state_dir)
    except NovatraceError as error:
        _fail(error)
    except _replay_errors() as error:
        _fail(InputError(str(error)))
    except library.ScenarioFailed as error:
        _fail(NovatraceError(str(error)))
    for name, steps in results.items():
        done = [step for step in steps if step.operation != "wait"]
        refused = sum(1 for step in done if step.status is not None and step.status >= 400)
        typer.echo(f"{name}: {len(done)} operations ({refused} refused as expected)")
    if not endpoint:
        typer.echo(f"logs in {log_dir}/; check them with: novatrace check {log_dir}")


def _replay_from_log(paths: list[Path], *, all_operations: bool, endpoint: str | None, speed: float,
                     output: Path | None, json_output: bool, log_dir: Path, driver: str,
                     libvirt_uri: str | None, state_dir: Path | None, log_style: str | None,
                     timing: str) -> None:
    """`replay --from-log`: replay the logs' operations, print (and write) the comparison."""
    from analyzer.fromlog import replay_from_log  # noqa: PLC0415
    from analyzer.fromlog.page import check_output, write_page  # noqa: PLC0415
    from analyzer.fromlog.text import describe  # noqa: PLC0415
    from analyzer.replay.scenarios import ScenarioFailed  # noqa: PLC0415

    try:
        if not paths:
            raise InputError("--from-log needs the logs to replay: novatrace replay --from-log PATH...")
        if all_operations or endpoint:
            raise InputError("--from-log replays on an embedded mini-Nova: no --all-operations or --endpoint")
        if output is not None:
            check_output(output)
        with _replay_bar(True) as progress:
            comparison = replay_from_log([str(path) for path in paths], log_dir, speed=speed, style=log_style,
                                         timing=timing, driver=driver, libvirt_uri=libvirt_uri,
                                         state_dir=state_dir, progress=progress)
        if output is not None:
            size = write_page(comparison, output)
    except NovatraceError as error:
        _fail(error)
    except ScenarioFailed as error:
        _fail(NovatraceError(str(error)))
    for warning in comparison.original.summary.warnings:
        typer.echo(f"novatrace: warning: {warning}", err=True)
    try:
        sys.stdout.write((_json(comparison.as_dict()) if json_output else describe(comparison)) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stderr.close()
    if output is not None:
        typer.echo(f"wrote {output} ({size / 1e3:.0f} kB)", err=True)
    raise typer.Exit(1 if comparison.differing else 0)


_PHASES = {"reading": "reading the original logs", "replaying": "replaying on mini-Nova",
           "checking": "checking the replayed logs"}


@contextmanager
def _replay_bar(enabled: bool):  # type: ignore[no-untyped-def]
    """A progress callback for --from-log (phase, done, total) drawing a bar on stderr when a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn  # noqa: PLC0415
    from rich.progress import Progress as Bar  # noqa: PLC0415

    with Bar(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[count]}"),
             TimeElapsedColumn(), transient=True, console=_stderr_console()) as bar:
        task = bar.add_task(_PHASES["reading"], total=None, count="")

        def update(phase: str, done: int, total: int | None) -> None:
            count = f"{done}/{total} operations" if phase == "replaying" else f"{done / 1e6:.1f} MB"
            bar.update(task, description=_PHASES.get(phase, phase), completed=done, total=total, count=count)

        yield update


def _json(value: object) -> str:
    import json  # noqa: PLC0415

    return json.dumps(value, ensure_ascii=False, check_circular=False)  # trees built here: no cycles


@app.callback()
def _root() -> None:
    """novatrace: parse, check, report and replay OpenStack Nova logs."""


def main() -> None:
    """Entry point of the `novatrace` console script."""
    app()
