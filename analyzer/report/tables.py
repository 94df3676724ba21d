"""The report's HTML tables: inputs, operations per type, steps, deviations with their evidence,
unrecognized templates and instances.  Every cell is escaped; links carry data attributes
the page's script reads, never markup from the logs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from analyzer.lifecycle import deviations as dv
from analyzer.lifecycle.machine import DEVIATION, FAILED, INCOMPLETE, OK, Checked
from analyzer.lifecycle.records import Record
from analyzer.lifecycle.text import counted
from analyzer.report._text import clip, esc, line_of, stamp, where
from analyzer.report.scope import Limits, Scope

STATUSES = (OK, DEVIATION, FAILED, INCOMPLETE)
STAT_KEYS = ("min", "median", "p90", "p95", "max")
_NO_TIME = float("-inf")


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]], css: str = "") -> str:
    """A table from already escaped cells."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "\n".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>'


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return esc(value) if value is not None else "-"


def inputs_table(scope: Scope) -> str:
    """Files (with the format read), lines, time span, services, hosts, release and what was found."""
    summary = scope.result.summary
    span = "-"
    if summary.first_time and summary.last_time:
        span = (f"{summary.first_time:%Y-%m-%d %H:%M:%S} → {summary.last_time:%Y-%m-%d %H:%M:%S} UTC "
                f"({_duration(summary.last_time.timestamp() - summary.first_time.timestamp())})")
    files = "<br>".join(f"<code>{esc(name)}</code> ({esc(kind)})"
                        for name, kind in sorted(summary.formats.items()))
    levels = scope.result.facts.levels
    services = ", ".join(f"{esc(name)} ({esc('/'.join(sorted(levels[name])))})" for name in sorted(levels))
    hosts = sorted({s.record.host for c in scope.checked for s in c.steps if s.record.host})
    statuses = Counter(c.status for c in scope.checked)
    rows = [
        ("files", f"{summary.files:,}<br>{files}" if files else f"{summary.files:,}"),
        ("lines", f"{summary.lines:,} ({summary.records:,} records, {summary.recognized_share:.1%} "
                  f"recognized, {summary.unrecognized:,} unrecognized, {summary.malformed:,} malformed)"),
        ("time span", esc(span)),
        ("services (levels logged)", services or "-"),
        ("hosts", esc(", ".join(hosts)) if hosts
         else "not named in these logs (lanes show the service only)"),
        ("release", esc(scope.result.release)),
        ("instances", f"{len(scope.stories):,}"),
        ("operations", f"{len(scope.checked):,} (" + ", ".join(
            f"{s} {statuses.get(s, 0):,}" for s in STATUSES) + ")"),
    ]
    if scope.since is not None or scope.until is not None:
        rows.append(("window", f"{esc(stamp(scope.since) or '…')} → {esc(stamp(scope.until) or '…')} UTC"))
    for warning in summary.warnings:
        rows.append(("warning", esc(warning)))
    return _table(("", ""), rows, "facts")


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def operations_table(scope: Scope) -> str:
    """Per operation type: count, statuses, and duration statistics of complete operations."""
    statuses: dict[str, Counter[str]] = {}
    for item in scope.checked:
        statuses.setdefault(item.flow.name, Counter())[item.status] += 1
    rows = []
    for name, stats in scope.durations.items():
        counts = statuses.get(name, Counter())
        rows.append([esc(name), _number(stats.get("count"))] + [f"{counts.get(s, 0):,}" for s in STATUSES]
                    + [_number(stats.get(k)) for k in STAT_KEYS])
    return _table(["operation", "count", *STATUSES, *(f"{k} s" for k in STAT_KEYS)], rows, "numbers")


def steps_tables(scope: Scope) -> str:
    """Per operation type, its steps' durations (seconds since the step before), folded."""
    parts = []
    for name, stats in scope.durations.items():
        steps = stats.get("steps") or {}
        if not steps:
            continue
        rows = [[esc(step), _number(values.get("count"))] + [_number(values.get(k)) for k in STAT_KEYS]
                for step, values in steps.items()]  # type: ignore[union-attr]
        parts.append(f"<details><summary>{esc(name)}: {len(rows)} steps</summary>"
                     + _table(["step", "count", *(f"{k} s" for k in STAT_KEYS)], rows, "numbers")
                     + "</details>")
    return "\n".join(parts) or "<p>No step durations.</p>"


def deviations_table(scope: Scope, raw: dict[tuple[str, int], str], limits: Limits) -> tuple[str, int]:
    """Each operation with deviations, each deviation with its evidence lines.

    Returns the HTML and how many deviating operations were left out past the limit.
    """
    deviating = [c for c in scope.checked if c.deviations]
    if not deviating:
        return "<p>Every operation follows its flow.</p>", 0
    kinds = Counter(d.kind for c in deviating for d in c.deviations)
    counts = ", ".join(f"{esc(kind)} {kinds[kind]:,}" for kind in dv.KINDS if kinds.get(kind))
    shown = deviating[: limits.table_deviations]
    detailed = set(scope.detailed)
    rows = []
    for item in shown:
        number = scope.op_id(item)
        link = _op_link(item, number, detailed)
        rows.append(f'<tr class="op status-{esc(item.status)}"><td>{link}</td>'
                    f'<td>{esc(stamp(item.start) or "?")}</td>'
                    f"<td><code>{esc(item.operation.instance)}</code></td><td>{esc(item.flow.name)}</td>"
                    f"<td>{esc(item.status)}</td>"
                    f"<td><code>{esc(item.operation.request_id or '-')}</code></td></tr>")
        details = "".join(_deviation_item(d, raw) for d in item.deviations)
        rows.append(f'<tr class="evidence"><td></td><td colspan="5"><ul>{details}</ul></td></tr>')
    head = "".join(f"<th>{h}</th>"
                   for h in ("operation", "start (UTC)", "instance", "type", "status", "request"))
    more = len(deviating) - len(shown)
    note = (f'<p class="notice">The first {len(shown):,} of {len(deviating):,} operations with deviations '
            f"are listed; <code>novatrace check --json</code> has them all.</p>") if more else ""
    html = (f"<p>{counted(sum(kinds.values()), 'deviation')} in {counted(len(deviating), 'operation')} "
            f"({counts}).</p>{note}"
            f'<table class="deviations"><thead><tr>{head}</tr></thead><tbody>\n' + "\n".join(rows)
            + "\n</tbody></table>")
    return html, more


def _op_link(item: Checked, number: int, detailed: set[str]) -> str:
    if item.operation.instance in detailed:
        return (f'<a href="#timeline" data-instance="{esc(item.operation.instance)}" '
                f'data-op="{number}">#{number}</a>')
    return f"#{number}"


def _deviation_item(deviation: dv.Deviation, raw: dict[tuple[str, int], str]) -> str:
    step = f" (step {esc(deviation.step)})" if deviation.step else ""
    evidence = "".join(f"<li>{_evidence(record, raw)}</li>" for record in deviation.evidence[:5])
    if len(deviation.evidence) > 5:
        evidence += f"<li>… {len(deviation.evidence) - 5} more lines</li>"
    listed = f'<ul class="lines">{evidence}</ul>' if evidence else ""
    return (f'<li><b class="kind">{esc(deviation.kind)}</b>{step}: {esc(clip(deviation.detail, 400))}'
            f"{listed}</li>")


def _evidence(record: Record, raw: dict[tuple[str, int], str]) -> str:
    return (f'<span class="where">{esc(where(record))}</span> '
            f'<code class="line">{esc(clip(line_of(record, raw), 1000))}</code>')


def unknown_table(scope: Scope, limits: Limits) -> str:
    """The most frequent templates of lines the catalogue does not know (as `parse --unknown`)."""
    frequent = scope.result.summary.unknown.most_common(limits.unknown_templates)
    rows = [[f"{count:,}", f"<code>{esc(tid)}</code>", f"<code>{esc(clip(template, 300))}</code>",
             f"<code>{esc(clip(example, 300))}</code>" if example != template else ""]
            for tid, count, template, example in frequent]
    if not rows:
        return "<p>Every line was recognized.</p>"
    return _table(("count", "template id", "template", "example"), rows, "unknown")


def instances_table(scope: Scope, limits: Limits) -> tuple[str, int]:
    """One row per instance: first time seen, its operations in order, deviations, final state."""
    per_instance: dict[str, list[Checked]] = {name: [] for name in scope.stories}
    for item in scope.checked:
        per_instance.setdefault(item.operation.instance, []).append(item)
    detailed = set(scope.detailed)
    order = sorted(per_instance, key=lambda n: (min((c.start for c in per_instance[n]), default=_NO_TIME), n))
    rows = []
    for name in order[: limits.table_instances]:
        items = per_instance[name]
        story = scope.stories.get(name)
        sequence = ", ".join(c.flow.name for c in items[:12]) + (" …" if len(items) > 12 else "")
        deviations = sum(len(c.deviations) for c in items)
        cell = f"<code>{esc(name)}</code>"
        if name in detailed:
            cell = f'<a href="#timeline" data-instance="{esc(name)}">{cell}</a>'
        first = min((c.start for c in items), default=_NO_TIME)
        rows.append([cell, esc(stamp(first) or "-"), f"{len(items):,}", esc(sequence),
                     f'<span class="bad">{deviations:,}</span>' if deviations else "0",
                     esc(story.final_state) if story else "-"])
    headers = ("instance", "first operation (UTC)", "operations", "in order", "deviations", "final state")
    return _table(headers, rows, "instances"), max(0, len(order) - limits.table_instances)
