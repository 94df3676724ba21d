"""The report page: one self-contained HTML file, plotly.js inlined once, no fetch of any kind.

Figures travel as one JSON document in a `<script type="application/json">` element and
are drawn by a short script: the timeline and the waterfall only for the instance and
operation picked, so a page holding hundreds of instances draws two figures, not hundreds.
The JSON is written with `<`, `>` and `&` as \\u escapes, so no log text can end the
element, and every log string in it is HTML-escaped already for plotly's labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

import orjson

from analyzer.report import _assets, shell
from analyzer.report._text import esc
from analyzer.report.scope import Scope

PLOT_IDS = ("nt-durations", "nt-overtime")


@dataclass
class Parts:
    """What page() lays out: figures as plotly dicts, tables as escaped HTML."""

    instances: dict[str, dict[str, object]]  # uuid -> {"figure", "operations"}
    waterfalls: dict[str, dict[str, object]]  # operation id (as text) -> figure
    plots: dict[str, dict[str, object]]  # element id -> figure
    inputs: str
    operations: str
    steps: str
    deviations: str
    unknown: str
    instances_table: str
    notices: list[str] = field(default_factory=list)


def page(scope: Scope, parts: Parts, template: dict[str, object], plotly_js: str) -> str:
    """The whole HTML document."""
    data = {"template": template, "instances": parts.instances, "waterfalls": parts.waterfalls,
            "plots": parts.plots}
    summary = scope.result.summary
    span = ""
    if summary.first_time and summary.last_time:
        span = f", {summary.first_time:%Y-%m-%d %H:%M} → {summary.last_time:%Y-%m-%d %H:%M} UTC"
    deviating = sum(1 for c in scope.checked if c.deviations)
    subtitle = (f"{len(scope.stories):,} instances, {len(scope.checked):,} operations, {deviating:,} with "
                f"deviations · {summary.files:,} files, {summary.lines:,} lines{span} · release "
                f"{scope.result.release}")
    notices = "".join(f'<p class="notice">{esc(text)}</p>' for text in parts.notices)
    nav = ('<a href="#timeline">timeline</a><a href="#waterfall">waterfall</a>'
           '<a href="#operations">operations</a>\n'
           '<a href="#plots">plots</a><a href="#deviations">deviations</a>'
           '<a href="#instances">instances</a>\n'
           '<a href="#unknown">unrecognized</a><a href="#inputs">inputs</a>')
    body = f"""{notices}
<section id="timeline"><h2>Timeline per instance</h2>
{_controls(scope, parts)}
<div id="nt-timeline" class="figure"></div>
</section>
<section id="waterfall"><h2>Request waterfall</h2>
<p class="help">Each step of the operation across the services: a bar runs from the step before to this one
(its duration); a hatched bar is a hand-off between services (the gap an RPC or the next service's pick-up
took). Steps a deviation names are outlined in red.</p>
<p id="nt-waterfall-note" class="help"></p>
<div id="nt-waterfall" class="figure"></div>
</section>
<section id="operations"><h2>Operations per type</h2>
<p class="help">Durations of complete operations, in seconds; steps: seconds since the step before.</p>
{parts.operations}
<h3>Steps</h3>
{parts.steps}
</section>
<section id="plots"><h2>Durations and activity</h2>
<div id="nt-durations" class="figure"></div>
<div id="nt-overtime" class="figure"></div>
</section>
<section id="deviations"><h2>Deviations</h2>
{parts.deviations}
</section>
<section id="instances"><h2>Instances</h2>
<div class="scroll">{parts.instances_table}</div>
</section>
<section id="unknown"><h2>Most frequent unrecognized templates</h2>
{parts.unknown}
</section>
<section id="inputs"><h2>Inputs</h2>
{parts.inputs}
</section>
"""
    scripts = (f'<script type="application/json" id="nt-data">{_script_json(data)}</script>\n'
               f"<script>{_assets.SCRIPT}</script>\n")
    return shell.document("novatrace report", subtitle, nav, body,
                          meta=f'<meta name="generator" content="novatrace {esc(_version())}">\n',
                          head=f"<script>{plotly_js}</script>\n", scripts=scripts)


def _controls(scope: Scope, parts: Parts) -> str:
    if not parts.instances:
        return "<p>No operations to draw in this window.</p>"
    per_instance: dict[str, tuple[int, int]] = {}
    for uuid in parts.instances:
        items = scope.shown_operations.get(uuid, [])
        per_instance[uuid] = (len(items), sum(len(c.deviations) for c in items))
    options = []
    for uuid in parts.instances:
        count, deviations = per_instance[uuid]
        flag = f", ⚠ {deviations} deviations" if deviations else ""
        options.append(f'<option value="{esc(uuid)}">{esc(uuid)} ({count} operations{flag})</option>')
    return f"""<div class="controls">
<label>instance <select id="nt-instance">{"".join(options)}</select></label>
<label>operation <select id="nt-operation"></select></label>
</div>
<p class="help">Swimlanes per service (nova-compute per host); bars are operations (hatched: unfinished or
begun before the log; red outline: deviations), ticks are their steps, red crosses the lines that prove a
deviation; the band beneath shows vm_state, task_state and power_state. Hover for the step, its duration
and its log line; drag to zoom, double-click to zoom out; click an operation for its waterfall.</p>"""


def _script_json(value: object) -> str:
    """JSON that can sit inside a <script> element whatever strings it holds."""
    text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _version() -> str:
    try:
        return version("novatrace")
    except PackageNotFoundError:
        return "unknown"
