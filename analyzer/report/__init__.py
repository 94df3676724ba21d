"""Timeline reports: one self-contained interactive HTML file per check.

    >>> from analyzer.report import render
    >>> render(["sample_logs/"], "reports/timeline.html")          # doctest: +SKIP
    Rendered(path=PosixPath('reports/timeline.html'), size=6012027, instances=11, drawn=11, …)

    scope (instances, window, what is drawn in detail)
      -> timeline (per instance) + waterfall (per operation) + plots + tables
      -> page (HTML, plotly.js inlined) [-> png (kaleido, headless Chromium)]

`render` takes log paths (it runs `analyzer.lifecycle.check` itself, after checking its
own options, so a typo fails before a long parse) or a `CheckResult` already made.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from analyzer.errors import InputError, OutputError
from analyzer.lifecycle import CheckResult, check
from analyzer.lifecycle.machine import Checked
from analyzer.lifecycle.records import Record
from analyzer.parse.pipeline import Progress
from analyzer.report import lines, page, plots, tables, timeline, waterfall
from analyzer.report._style import operation_colours
from analyzer.report.png import require_browser, write_png
from analyzer.report.scope import Limits, Scope, parse_time, scope

__all__ = ["Limits", "Rendered", "render"]

OUTPUT_SUFFIXES = (".html", ".htm")
DEFAULT_LIMITS = Limits()


@dataclass
class Rendered:
    """What `render` wrote and what the page shows."""

    path: Path
    size: int  # bytes of the HTML file
    instances: int  # instances in scope
    drawn: int  # instances with a timeline in the page
    operations: int
    deviating: int  # operations with deviations
    deviations: int
    png: Path | None = None
    notices: list[str] = field(default_factory=list)  # what the page sampled or left out
    warnings: list[str] = field(default_factory=list)  # the parse's warnings about the input


TimeArg = str | datetime | float | None


def render(
    source: CheckResult | Sequence[str | Path] | str | Path,
    output: str | Path,
    *,
    instances: list[str] | None = None,
    since: TimeArg = None,
    until: TimeArg = None,
    png: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    flows_dir: str | Path | None = None,
    release: str = "auto",
    slow: float | None = None,
    format: str = "auto",
    tz: str | None = None,
    host: str | None = None,
    jobs: int = 1,
    progress: Callable[[Progress], None] | None = None,
) -> Rendered:
    """Write the report of `source` (log paths, or a CheckResult) to `output` (.html).

    `instances`: UUIDs or unique prefixes to report on (default: all).  `since`/`until`:
    keep operations that overlap the window (ISO 8601 text, UTC unless it says; a datetime;
    or epoch seconds).  `png`: also write the first instance's timeline beside it as .png.
    The check options (`flows_dir` … `progress`) are those of `analyzer.lifecycle.check`.
    Raises InputError for a bad option, an unwritable output or --png without a browser,
    before reading any log; OutputError when writing fails.
    """
    target = check_target(Path(output))
    window = (_when(since, "--since"), _when(until, "--until"))
    if window[0] is not None and window[1] is not None and window[0] > window[1]:
        raise InputError("--since is after --until")
    browser = require_browser() if png else None
    if isinstance(source, CheckResult):
        result = source
    else:
        paths = [source] if isinstance(source, (str, Path)) else list(source)
        result = check(paths, flows_dir=flows_dir, release=release, slow=slow, format=format, tz=tz,
                       host=host, jobs=jobs, progress=progress)
    chosen = scope(result, instances=instances, since=window[0], until=window[1], limits=limits)
    parts, template = build(chosen, limits)
    html = page.page(chosen, parts, template, _plotly_js())
    try:
        target.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from exc
    written = Rendered(target, target.stat().st_size, len(chosen.stories), len(chosen.detailed),
                       len(chosen.checked), sum(1 for c in chosen.checked if c.deviations),
                       sum(len(c.deviations) for c in chosen.checked), notices=parts.notices,
                       warnings=list(result.summary.warnings))
    if browser is not None and chosen.detailed:
        image = target.with_suffix(".png")
        write_png(parts.instances[chosen.detailed[0]]["figure"], template, image, browser)  # type: ignore[arg-type]
        written.png = image
    return written


def build(chosen: Scope, limits: Limits) -> tuple[page.Parts, dict[str, object]]:
    """Every figure and table of the page (plain data; `page.page` lays them out)."""
    colours = operation_colours([flow.name for flow in chosen.result.flows])
    deviating = [c for c in chosen.checked if c.deviations][: limits.table_deviations]
    raw = lines.raw_lines(_shown_records(chosen, deviating))
    drawn: dict[str, dict[str, object]] = {}
    waterfalls: dict[str, dict[str, object]] = {}
    for uuid in chosen.detailed:
        items = chosen.shown_operations[uuid]
        drawn[uuid] = timeline.instance_timeline(uuid, chosen.stories[uuid], items, chosen, raw, colours)
        for item in items:
            number = chosen.op_id(item)
            waterfalls[str(number)] = waterfall.operation_waterfall(item, number, raw)
    durations, summarised = plots.durations_figure(chosen, colours, limits)
    notices = list(chosen.notices)
    if summarised:
        notices.append(f"Types with more than {limits.box_points:,} complete operations are drawn as a box "
                       "from their quartiles, without a point per operation.")
    deviations_html, left_out = tables.deviations_table(chosen, raw, limits)
    if left_out:
        notices.append(f"The deviations table lists the first {limits.table_deviations:,} operations with "
                       f"deviations; {left_out:,} more are counted but not listed.")
    instances_html, unlisted = tables.instances_table(chosen, limits)
    if unlisted:
        notices.append(f"The instances table lists the first {limits.table_instances:,} instances; "
                       f"{unlisted:,} more are not listed.")
    parts = page.Parts(
        instances=drawn, waterfalls=waterfalls,
        plots={"nt-durations": durations, "nt-overtime": plots.over_time_figure(chosen, colours)},
        inputs=tables.inputs_table(chosen), operations=tables.operations_table(chosen),
        steps=tables.steps_tables(chosen), deviations=deviations_html,
        unknown=tables.unknown_table(chosen, limits), instances_table=instances_html, notices=notices)
    return parts, _template()


def check_target(target: Path) -> Path:
    """`target` when an HTML report can be written there; InputError saying why not."""
    if target.suffix.lower() not in OUTPUT_SUFFIXES:
        raise InputError(f"{target}: a report is an HTML file; name it *.html")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{target}: directory {parent} does not exist")
    if target.is_dir():
        raise InputError(f"{target}: is a directory")
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise InputError(f"{target}: cannot write there (permission denied)")
    return target


def _when(value: TimeArg, option: str) -> float | None:
    if value is None or isinstance(value, float | int):
        return value
    if isinstance(value, datetime):
        return value.timestamp() if value.tzinfo else parse_time(value.isoformat(), option)
    return parse_time(value, option)


def _shown_records(chosen: Scope, deviating: list[Checked]) -> list[Record]:
    """The records whose raw lines the page shows: steps drawn, and deviation evidence listed."""
    records = [s.record for items in chosen.shown_operations.values() for c in items for s in c.steps]
    records += [r for items in chosen.shown_operations.values() for c in items
                for d in c.deviations for r in d.evidence]
    records += [r for c in deviating for d in c.deviations for r in d.evidence[:5]]
    return records


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs  # noqa: PLC0415

    return get_plotlyjs()


def _template() -> dict[str, object]:
    import plotly.io as pio  # noqa: PLC0415

    return pio.templates["plotly_white"].to_plotly_json()
