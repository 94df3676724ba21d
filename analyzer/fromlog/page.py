"""The comparison as one self-contained HTML page (`novatrace replay --from-log … -o FILE.html`).

No script and no fetch (the report's Content-Security-Policy and style sheet); every
string that comes from a log — messages, uuids, file names — goes through `html.escape`.
Per operation, a `<details>` holds the two step sequences aligned step by step
(`difflib` opcodes on the step names), each step with its time since the operation
began and its log line.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import UTC, datetime
from difflib import SequenceMatcher
from pathlib import Path

from analyzer.errors import InputError, OutputError
from analyzer.fromlog.compare import Comparison, OperationDiff
from analyzer.fromlog.text import listed as _listed
from analyzer.fromlog.text import optional as _text_optional
from analyzer.lifecycle.machine import Checked, StepSeen
from analyzer.report import shell

_EXTRA_STYLE = """
tr.differs td:first-child { border-left: 3px solid #d62728; }
.only-original { background: #fde2e1; }
.only-replayed { background: #e3f4e1; }
td.unlogged { color: #777; background: #f3f3f3; }
table.steps td { font-family: monospace; font-size: 12px; }
table.steps td:not(:nth-child(3n)), table.steps th { white-space: nowrap; overflow-wrap: normal; }
.scroll th { top: 0; }
table.operations td, table.operations th { overflow-wrap: normal; white-space: nowrap; }
table.operations td.steps-list { white-space: normal; }
table.operations td.optional-list { white-space: normal; min-width: 14em; }
"""


def check_output(path: Path) -> None:
    """Refuse, before any work, an output that is not `.html` or whose directory is missing."""
    if path.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"-o takes an .html file, not {str(path)!r}")
    if not path.parent.is_dir():
        raise InputError(f"{path.parent}: no such directory for {path.name}")


def write_page(comparison: Comparison, path: Path) -> int:
    """Write the page to `path`; its size in bytes.  OutputError when it cannot be written."""
    text = page(comparison)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    return len(text.encode("utf-8"))


def page(comparison: Comparison) -> str:
    """The whole HTML document."""
    esc = _esc
    original = comparison.original
    subtitle = (f"original: {len(original.stories)} instances, {len(original.checked)} operations, release "
                f"{original.release} ({original.summary.files} files, {original.summary.lines:,} lines) · "
                f"replayed {len(comparison.operations)} operations in {comparison.seconds:.1f}s, log style "
                f"{comparison.style}, timing {comparison.timing}, speed {comparison.plan.speed:g} · "
                f"{len(comparison.differing)} differ · {len(comparison.not_replayed)} not replayed")
    nav = """<a href="#operations">operations</a><a href="#steps">step by step</a>
<a href="#not-replayed">not replayed</a><a href="#instances">instances</a>"""
    body = f"""<section id="operations"><h2>Operations</h2>
<p class="help">Steps: how many each side logged; missing: required steps only the original shows; extra:
required steps only the replay shows (steps the original log could not show — its service or level is not in
the input, or the operation began before the log — are not counted); optional: optional steps, or further
sightings of a repeated step, on one side only (the flows allow them either way). Ratio: replayed duration
over original duration.</p>
<div class="scroll">{_operations_table(comparison.operations)}</div>
</section>
<section id="steps"><h2>Step by step</h2>
<p class="help">The two step sequences aligned by step name; +s: seconds since the operation's first
line. <span class="only-original">Red</span>: a step only the original shows here;
<span class="only-replayed">green</span>: only the replay; grey: a step the original log could not show.
Optional steps are coloured too; the table above says which differences count.</p>
{"".join(_steps_details(number, item) for number, item in enumerate(comparison.operations, 1))}
</section>
<section id="not-replayed"><h2>Not replayed</h2>
{_not_replayed(comparison)}
</section>
<section id="instances"><h2>Instances</h2>
{_table(("original", "replayed"), [(esc(a), esc(b or "(not booted)"))
                                   for a, b in comparison.instances.items()])}
{_setup(comparison)}
</section>
"""
    return shell.document("novatrace replay comparison", subtitle, nav, body, style=_EXTRA_STYLE)


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(headers: Iterable[str], rows: Iterable[Iterable[str | tuple[str, str]]], css: str = "",
           row_css: Iterable[str] | None = None) -> str:
    """A table of cells already escaped."""
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    classes = list(row_css) if row_css is not None else None
    body = "".join(f'<tr class="{classes[i] if classes else ""}">' + "".join(_cell(c) for c in row)
                   + "</tr>" for i, row in enumerate(rows))
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _cell(content: str | tuple[str, str]) -> str:
    """A cell; (content, css class) for one with a class."""
    if isinstance(content, tuple):
        return f'<td class="{content[1]}">{content[0]}</td>'
    return f"<td>{content}</td>"


def _uuid(value: str | None) -> str:
    """The first 8 characters of a uuid, the whole of it on hover."""
    if not value:
        return "-"
    return f'<span title="{_esc(value)}">{_esc(value[:8])}</span>'


def _operations_table(items: list[OperationDiff]) -> str:
    esc = _esc
    rows = []
    for number, item in enumerate(items, 1):
        replayed = item.replayed
        end = str(item.end_original) if item.same_end else f"{item.end_original} ≠ {item.end_replayed or '-'}"
        http = (str(item.http_original or "-") if item.same_http
                else f"{item.http_original} ≠ {item.http_replayed}")
        rows.append((
            f'<a href="#op-{number}">{number}</a>', esc(_when(item.original.start)), _uuid(item.instance),
            _uuid(item.replayed_instance), esc(item.name),
            esc(item.original.status), esc(replayed.status if replayed else "missing"), esc(http),
            f"{len(item.original.steps)} / {len(replayed.steps) if replayed else '-'}",
            (esc(_listed(item.only_original)), "steps-list"),
            (esc(_listed(item.only_replayed)), "steps-list"), (esc(_optional(item)), "optional-list"),
            esc(end), esc(_seconds(item.original.duration)),
            esc(_seconds(replayed.duration if replayed else None)),
            f"{item.ratio:.3f}" if item.ratio is not None else "-",
        ))
    return _table(("#", "start", "instance", "replayed as", "operation", "original", "replay", "HTTP",
                   "steps", "missing", "extra", "optional", "end state", "original s", "replay s", "ratio"),
                  rows, "operations", row_css=["differs" if item.differs else "" for item in items])


def _steps_details(number: int, item: OperationDiff) -> str:
    title = (f"{_when(item.original.start)} {item.name} of {item.instance} → {item.replayed_instance or '?'}"
             + (" — differs" if item.differs else " — same"))
    left = item.original.steps
    right = item.replayed.steps if item.replayed else []
    unlogged = set(item.unlogged)
    rows: list[tuple[str, ...]] = []
    css: list[str] = []
    matcher = SequenceMatcher(None, [s.step.name for s in left], [s.step.name for s in right], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        pairs = list(zip(range(i1, i2), range(j1, j2), strict=False)) if tag in ("equal", "replace") else []
        for i, j in pairs:
            rows.append(_step_cells(left[i], item.original) + _step_cells(right[j], item.replayed))
            css.append("" if tag == "equal" else "replaced")
        for i in range(i1 + len(pairs), i2):
            rows.append(_step_cells(left[i], item.original) + ("", "", ""))
            css.append("only-original")
        for j in range(j1 + len(pairs), j2):
            rows.append(("", "", "") + _step_cells(right[j], item.replayed))
            css.append("unlogged" if right[j].step.name in unlogged else "only-replayed")
    body = "".join("<tr>" + "".join(f'<td class="{_side_css(kind, k)}">{cell}</td>'
                                    for k, cell in enumerate(row)) + "</tr>"
                   for row, kind in zip(rows, css, strict=True))
    table = ('<table class="steps"><thead><tr><th>original step</th><th>+s</th><th>log line</th>'
             f'<th>replayed step</th><th>+s</th><th>log line</th></tr></thead><tbody>{body}</tbody></table>')
    return f'<details id="op-{number}"><summary>{_esc(title)}</summary>{table}</details>'


def _side_css(kind: str, column: int) -> str:
    if kind in ("only-original", "replaced") and column < 3:
        return "only-original"
    if kind == "replaced":
        return "only-replayed"
    if kind in ("only-replayed", "unlogged") and column >= 3:
        return kind
    return ""


def _step_cells(seen: StepSeen, checked: Checked | None) -> tuple[str, str, str]:
    start = checked.start if checked is not None else None
    offset = seen.record.t - start if start is not None and seen.record.seconds is not None else None
    return (_esc(seen.step.name), _esc(f"{offset:.3f}" if offset is not None else "?"),
            f'<code class="line">{_esc(seen.record.message[:400])}</code>')


def _not_replayed(comparison: Comparison) -> str:
    if not comparison.not_replayed:
        return "<p>Every operation of the original was replayed.</p>"
    rows = [(_esc(_when(entry.original.start)), _esc(entry.original.operation.instance),
             _esc(entry.original.flow.name), _esc(entry.original.status), _esc(entry.reason))
            for entry in comparison.not_replayed]
    return _table(("start", "instance", "operation", "original status", "why"), rows)


def _setup(comparison: Comparison) -> str:
    parts = []
    if comparison.set_up:
        items = "".join(f"<li>{_esc(c.flow.name)} of {_esc(c.operation.instance)}</li>"
                        for c in comparison.set_up)
        parts.append(f"<h3>Set up for the replay (not compared)</h3><ul>{items}</ul>")
    if comparison.extra:
        items = "".join(f"<li>{_esc(c.flow.name)} of {_esc(c.operation.instance)} [{_esc(c.status)}]</li>"
                        for c in comparison.extra)
        parts.append(f"<h3>Only in the replayed logs</h3><ul>{items}</ul>")
    return "".join(parts)


def _optional(item: OperationDiff) -> str:
    return _text_optional(item) or "-"


def _when(seconds: float) -> str:
    if seconds == float("-inf"):
        return "?"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:23]


def _seconds(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else "-"
