"""The walkthrough as one self-contained HTML page (no script, no external file).

Every text that comes from a log, a server or a catalogue goes through html.escape: log lines
carry request bodies, XML and whatever a user typed into a server name.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from analyzer.errors import OutputError
from analyzer.lifecycle.text import counted
from analyzer.practice.catalog import Messages
from analyzer.practice.text import comparison_rows
from analyzer.practice.walkthrough import LogLine, OperationView, StepView, Walkthrough

__all__ = ["render_page", "write_page"]

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330;background:#fafbfc}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px}
.meta{color:#5a6273;margin-bottom:12px}.ok{color:#137333}.bad{color:#b3261e}
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0}
td,th{border:1px solid #d9dde5;padding:5px 7px;vertical-align:top;text-align:left}
th{background:#eef1f6;font-weight:600}
td.n{width:2em;color:#5a6273}td.svc{white-space:nowrap}td.what{width:28%}td.lines{width:50%}td.sets{width:1%}
.svc span{display:inline-block;padding:1px 6px;border-radius:8px;font-size:12px}
.nova-api span{background:#dbe8ff}.nova-compute span{background:#dff3e4}
.nova-conductor span{background:#fde9d4}.nova-scheduler span{background:#efe0fb}
tr.message td{background:#f7f9ff}tr.silent td{background:#fff7e6}
code,.log{font:12px/1.4 ui-monospace,monospace}
.log{white-space:pre-wrap;word-break:break-all;margin:2px 0}
.where{color:#3451b2}.none{color:#8a5a00;font-style:italic}.sets{color:#5a6273;white-space:nowrap}
.flags{color:#8a8f99;font-size:12px}
details{margin:6px 0}summary{cursor:pointer;color:#3451b2}
"""


def _e(value: object) -> str:
    return escape(str(value))


def _log(line: LogLine) -> str:
    return (f'<div class="log"><span class="where">{_e(line.where)}</span> {_e(line.time[11:])} '
            f"{_e(line.level)} {_e(line.text)}</div>")


def _lines_cell(step: StepView, text: Messages, max_lines: int) -> str:
    cell = "".join(_log(line) for line in step.lines[:max_lines])
    if len(step.lines) > max_lines:
        more = text("ui", "more_lines", count=len(step.lines) - max_lines)
        cell += f'<div class="flags">{_e(more)}</div>'
    if step.no_line:
        cell += f'<div class="none">{_e(step.no_line)}</div>'
    for proof in step.proofs:
        cell += f"<div><b>{_e(text('ui', 'proof'))}:</b> {_e(proof.text)}</div>"
        cell += "".join(_log(line) for line in proof.lines[:max_lines])
    return cell


def _step_row(number: int, step: StepView, text: Messages, max_lines: int) -> str:
    flags = f'<div class="flags">{_e(", ".join(step.flags))}</div>' if step.flags else ""
    return (f'<tr class="{_e(step.kind)}"><td class="n">{number}</td>'
            f"<td><code>{_e(step.name)}</code>{flags}</td>"
            f'<td class="svc {_e(step.service)}"><span>{_e(step.service)}</span></td>'
            f'<td class="what">{_e(step.explanation)}</td><td class="sets">{_e(step.sets or "")}</td>'
            f'<td class="lines">{_lines_cell(step, text, max_lines)}</td></tr>')


def _operation(op: OperationView, text: Messages, max_lines: int) -> str:
    took = f", {_e(text('ui', 'took'))} {op.duration:.3f}s" if op.duration is not None else ""
    status = "ok" if op.status == "ok" else "bad"
    request = f"<br>{_e(text('ui', 'request'))} <code>{_e(op.request_id)}</code>" if op.request_id else ""
    head = (f'<p><b>{_e(op.flow)}</b> <span class="{status}">[{_e(op.status)}]</span> '
            f"{_e(text('ui', 'instance'))} <code>{_e(op.instance)}</code>: "
            f"{_e(text('ui', 'from_to', before=op.before, after=op.after))}{took}{request}"
            f"<br>{_e(op.title)}</p>")
    rows = "".join(_step_row(n, step, text, max_lines) for n, step in enumerate(op.steps, 1))
    header = "".join(f"<th>{_e(text('ui', key))}</th>" for key in ("step", "who", "what", "sets", "lines"))
    deviations = "".join(f'<p class="bad">{_e(d)}</p>' for d in op.deviations)
    return f"{head}<table><tr><th></th>{header}</tr>{rows}</table>{deviations}"


def _comparison(comparison, text: Messages) -> str:
    head = f"<th>{_e(text('compare', 'aspect'))}</th>"
    head += "".join(f"<th>{_e(side.name)}</th>" for side in comparison.sides)
    rows = "".join(f"<tr><th>{_e(aspect)}</th>" + "".join(f"<td>{_e(cell)}</td>" for cell in cells) + "</tr>"
                   for aspect, cells in comparison_rows(comparison, text))
    return (f"<h2>{_e(text('compare', 'title'))}</h2><table><tr>{head}</tr>{rows}</table>"
            f'<p class="meta">{_e(text("compare", "note", driver=comparison.driver))}</p>')


def render_page(walk: Walkthrough, text: Messages, comparison=None, max_lines: int = 4) -> str:
    """The page's HTML."""
    operations = counted(len(walk.operations), "operation")
    if walk.deviation_count:
        deviations = counted(walk.deviation_count, "deviation")
        verdict = text("ui", "check_bad", operations=operations, deviations=deviations)
    else:
        verdict = text("ui", "check_ok", operations=operations)
    links = " ".join(f'<a href="{_e(name)}">{_e(name)}</a>' for name in walk.log_files)
    parts = [f"<h1>{_e(text('ui', 'walkthrough'))}: {_e(walk.title)}</h1>",
             f'<div class="meta">{_e(walk.description)}<br>{_e(text("ui", "driver"))} {_e(walk.driver)}, '
             f'{_e(text("ui", "log_style"))} {_e(walk.style)} · {links}<br>'
             f'<span class="{"bad" if walk.deviation_count else "ok"}">{_e(verdict)}</span><br>'
             f'{_e(text("ui", "legend_page"))}</div>']
    if comparison is not None:
        parts.append(_comparison(comparison, text))
    for op in walk.practised:
        title = f"{_e(text('ui', 'practised'))}: {_e(op.flow)}"
        parts.append(f"<h2>{title}</h2>{_operation(op, text, max_lines)}")
    for op in walk.operations:
        if not op.practised:
            title = f"{_e(text('ui', 'prerequisite'))}: {_e(op.flow)} [{_e(op.status)}] {_e(op.instance)}"
            parts.append(f"<details><summary>{title}</summary>{_operation(op, text, max_lines)}</details>")
    lang = "zh-Hans" if text.lang == "zh" else text.lang
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>novatrace practice: {_e(walk.title)}</title><style>{_STYLE}</style></head>"
            f"<body>{''.join(parts)}</body></html>\n")


def write_page(walk: Walkthrough, text: Messages, path: str | Path, comparison=None) -> Path:
    target = Path(path)
    try:
        target.write_text(render_page(walk, text, comparison), encoding="utf-8")
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error}") from None
    return target
