"""The waterfall of one operation, as a tracing UI draws a request: a row per step, each bar
running from the step before to this one, coloured by the service that logged it.

A bar whose step comes from another service than the step before is a hand-off (an RPC
cast, the scheduler's answer, the compute host picking the request up) and is hatched: its
length is the gap between the services, not work inside one.  Time runs in seconds from the
operation's first line.  Steps a deviation names are outlined in red; a missing step gets a
row of its own with a red cross where it was due.
"""

from __future__ import annotations

from analyzer.lifecycle import deviations as dv
from analyzer.lifecycle.machine import Checked
from analyzer.lifecycle.records import Record
from analyzer.report import _style
from analyzer.report._text import clock, esc, line_of, seconds_text, stamp, where, wrapped

ROW_PX = 24
OPERATION_COLOUR = "#4c566a"  # the whole operation's bar: no service's colour
WATERFALL_LINE_LIMIT = 120  # the timeline's label has the whole line; here it is a reminder
MARGIN_PX = 120
_NO_TIME = float("-inf")


def operation_waterfall(item: Checked, number: int, raw: dict[tuple[str, int], str]) -> dict[str, object]:
    """The waterfall figure of operation `number` (its `check --json` id)."""
    steps = [s for s in item.steps if s.record.t != _NO_TIME]
    origin = steps[0].record.t if steps else item.start
    flagged = {d.step for d in item.deviations if d.step}
    rows: list[str] = []
    bars: dict[str, list[object]] = {k: [] for k in ("x", "base", "y", "colour", "pattern", "line_colour",
                                                    "line_width", "hover", "text")}
    total = (steps[-1].record.t - origin) if steps else 0.0
    title = f"#{number} {esc(item.flow.name)}"
    rows.append(title)
    _add(bars, 0.0, total, title, OPERATION_COLOUR, "",
         _style.DEVIATION_RED if item.deviations else "#ffffff", 2 if item.deviations else 0,
         f"<b>{esc(item.flow.name)}</b> #{number} [{esc(item.status)}]<br>{stamp(item.start)}"
         f"<br>{len(steps)} steps over {seconds_text(total)}", f"{total:.3f}s")
    ticks: dict[str, list[object]] = {"x": [], "y": [], "colour": [], "hover": []}
    previous: Record | None = None
    for position, seen in enumerate(steps, 1):
        record = seen.record
        row = f"{position}. {esc(seen.step.name)} ({esc(_style.lane(record))})"
        rows.append(row)
        begin = (previous.t - origin) if previous is not None else record.t - origin
        length = record.t - origin - begin
        hand_off = previous is not None and _style.lane(previous) != _style.lane(record)
        gap = (f"<br>hand-off: {esc(_style.lane(previous))} → {esc(_style.lane(record))}, "
               f"{seconds_text(length)} between the services") if hand_off and previous is not None else ""
        took = "first step"
        if seen.duration is not None:
            took = f"+{seconds_text(seen.duration)} since the step before"
        hover = (f"<b>{esc(seen.step.name)}</b> on {esc(_style.lane(record))}<br>{clock(record.t)} · "
                 f"{took} · {seconds_text(record.t - origin)} from the start{gap}<br>"
                 f"{esc(where(record))}<br>{wrapped(line_of(record, raw), limit=WATERFALL_LINE_LIMIT)}")
        red = seen.step.name in flagged
        _add(bars, begin, length, row, _style.service_colour(record.service), "/" if hand_off else "",
             _style.DEVIATION_RED if red else "#ffffff", 2 if red else 0, hover,
             f"+{length:.3f}s" if previous is not None else "")
        ticks["x"].append(round(record.t - origin, 6))
        ticks["y"].append(row)
        ticks["colour"].append(_style.service_colour(record.service))
        # the bar carries the full label; the first step has no bar, so its tick does
        ticks["hover"].append(hover if previous is None
                              else f"<b>{esc(seen.step.name)}</b> {clock(record.t)}")
        previous = record
    crosses = _missing(item, origin, rows)
    traces: list[dict[str, object]] = [{
        "type": "bar", "orientation": "h", "name": "steps", "showlegend": False,
        "x": bars["x"], "base": bars["base"], "y": bars["y"], "text": bars["text"],
        "textposition": "outside", "textfont": {"size": 10}, "cliponaxis": False,
        "hovertext": bars["hover"], "hoverinfo": "text",
        "marker": {"color": bars["colour"],
                   "line": {"color": bars["line_colour"], "width": bars["line_width"]},
                   "pattern": {"shape": bars["pattern"], "fillmode": "overlay", "size": 5}},
    }]
    traces.append({"type": "scatter", "mode": "markers", "name": "step logged", "showlegend": False,
                   "x": ticks["x"], "y": ticks["y"], "hovertext": ticks["hover"], "hoverinfo": "text",
                   "marker": {"symbol": "line-ns-open", "size": 14, "color": ticks["colour"],
                              "line": {"width": 2, "color": ticks["colour"]}}})
    traces += _legend()
    if crosses["x"]:
        traces.append({"type": "scatter", "mode": "markers", "name": "missing step", "x": crosses["x"],
                       "y": crosses["y"], "hovertext": crosses["hover"], "hoverinfo": "text",
                       "marker": {"symbol": "x", "size": 12, "color": _style.DEVIATION_RED}})
    span = max(total, 0.001)
    layout = {
        "title": {"text": f"waterfall of {title} on {esc(item.operation.instance)}", "x": 0,
                  "font": {"size": 14}},
        "height": MARGIN_PX + ROW_PX * len(rows),
        "margin": {"l": 260, "r": 60, "t": 60, "b": 40},
        "barmode": "overlay", "hovermode": "closest", "bargap": 0.25,
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "font": {"size": 11}},
        "hoverlabel": {"align": "left", "font": {"family": "monospace", "size": 11}},
        "xaxis": {"title": {"text": "seconds from the operation's first line"},
                  "range": [-span * 0.02, span * 1.12], "zeroline": True},
        "yaxis": {"type": "category", "categoryorder": "array", "categoryarray": rows,
                  "autorange": "reversed", "fixedrange": True, "automargin": True},
    }
    return {"data": traces, "layout": layout}


def _add(bars: dict[str, list[object]], base: float, length: float, row: str, colour: str, pattern: str,
         line_colour: str, line_width: float, hover: str, text: str) -> None:
    bars["x"].append(round(length, 6))
    bars["base"].append(round(base, 6))
    bars["y"].append(row)
    bars["colour"].append(colour)
    bars["pattern"].append(pattern)
    bars["line_colour"].append(line_colour)
    bars["line_width"].append(line_width)
    bars["hover"].append(hover)
    bars["text"].append(text)


def _missing(item: Checked, origin: float, rows: list[str]) -> dict[str, list[object]]:
    """Rows for the steps a `missing_step` deviation names, a cross where the step was due."""
    out: dict[str, list[object]] = {"x": [], "y": [], "hover": []}
    for deviation in item.deviations:
        if deviation.kind != dv.MISSING_STEP or not deviation.step:
            continue
        row = f"missing: {esc(deviation.step)}"
        rows.append(row)
        timed = [r.t for r in deviation.evidence if r.t != _NO_TIME]
        due = (sum(timed) / len(timed) - origin) if timed else 0.0
        out["x"].append(round(due, 6))
        out["y"].append(row)
        out["hover"].append(f"<b>⚠ missing step {esc(deviation.step)}</b><br>"
                            f"{wrapped(deviation.detail, limit=300)}")
    return out


def _legend() -> list[dict[str, object]]:
    """Empty traces that only name the colours (the bars carry their colours per point)."""
    entries = []
    for service in _style.SERVICE_ORDER:
        entries.append({"type": "bar", "orientation": "h", "name": service, "x": [None], "y": [None],
                        "marker": {"color": _style.service_colour(service)}, "hoverinfo": "skip"})
    entries.append({"type": "bar", "orientation": "h", "name": "hand-off between services", "x": [None],
                    "y": [None], "marker": {"color": "#bbbbbb", "pattern": {"shape": "/"}},
                    "hoverinfo": "skip"})
    return entries
