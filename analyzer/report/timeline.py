"""The timeline of one instance: a swimlane per service, operations as bars, steps as marks,
deviations as red crosses, and the (vm_state, task_state, power_state) band beneath.

Figures are plain plotly figure dicts (no template: the page adds one for all of them),
built without plotly's validators, which would cost seconds on a large input; the tests
check them against plotly's schema instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.lifecycle.deviations import Deviation
from analyzer.lifecycle.machine import INCOMPLETE, Checked, InstanceStory
from analyzer.lifecycle.records import Record
from analyzer.report import _style
from analyzer.report._text import clock, esc, line_of, seconds_text, stamp, where, wrapped
from analyzer.report.scope import Scope
from analyzer.vocab.states import InstanceState

STATE_LANES = ("vm_state", "task_state", "power_state")
LANE_PX = 38  # height of one service lane
BAND_PX = 26  # height of one state lane
MARGIN_PX = 130  # title, legend and time axis
_NO_TIME = float("-inf")


@dataclass
class _Extent:
    start: float
    end: float

    @property
    def span(self) -> float:
        return max(self.end - self.start, 0.001)


def instance_timeline(uuid: str, story: InstanceStory, items: list[Checked], scope: Scope,
                      raw: dict[tuple[str, int], str], colours: dict[str, str]) -> dict[str, object]:
    """`{"figure": …, "operations": [{"id", "label", "from", "to"}]}` for one instance."""
    timed = [c for c in items if c.start != _NO_TIME]
    extent = _extent(story, timed, scope)
    lanes = _lanes(timed)
    traces: list[dict[str, object]] = []
    traces += _operation_bars(timed, scope, colours, extent)
    traces.append(_step_marks(timed, scope, raw, colours))
    traces.append(_deviation_marks(timed, scope, raw))
    traces.append(_state_band(story, scope, extent))
    top = LANE_PX * len(lanes)
    band = BAND_PX * len(STATE_LANES)
    height = top + band + MARGIN_PX
    split = band / (top + band)
    layout: dict[str, object] = {
        "title": {"text": f"instance {esc(uuid)}", "x": 0, "font": {"size": 14}},
        "height": height,
        "margin": {"l": 190, "r": 20, "t": 70, "b": 40},
        "barmode": "overlay",
        "hovermode": "closest",
        "dragmode": "zoom",
        "showlegend": True,
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "font": {"size": 11}},
        "hoverlabel": {"align": "left", "font": {"family": "monospace", "size": 11}},
        "xaxis": {"type": "date", "anchor": "y2", "showspikes": True, "spikemode": "across",
                  "spikethickness": 1, "range": [stamp(extent.start), stamp(extent.end)],
                  "tickformat": "%H:%M:%S.%L\n%Y-%m-%d"},
        "yaxis": {"type": "category", "categoryorder": "array", "categoryarray": lanes,
                  "autorange": "reversed", "domain": [min(0.45, split + 0.04), 1], "fixedrange": True},
        "yaxis2": {"type": "category", "categoryorder": "array", "categoryarray": list(STATE_LANES),
                   "autorange": "reversed", "domain": [0, split], "fixedrange": True},
    }
    return {"figure": {"data": traces, "layout": layout},
            "operations": [_choice(item, scope) for item in timed]}


def _extent(story: InstanceStory, items: list[Checked], scope: Scope) -> _Extent:
    times = [c.start for c in items] + [c.operation.last for c in items]
    times += [t.time for t in story.transitions if t.time is not None
              and (scope.since is None or t.time >= scope.since)
              and (scope.until is None or t.time <= scope.until)]
    if not times:
        return _Extent(0.0, 1.0)
    low, high = min(times), max(times)
    pad = max((high - low) * 0.03, 0.5)
    return _Extent(low - pad, high + pad)


def _lanes(items: list[Checked]) -> list[str]:
    seen = {_style.lane(s.record) for c in items for s in c.steps}
    seen |= {_style.lane(r) for c in items for d in c.deviations for r in d.evidence}
    return [_style.OPERATIONS_LANE] + [esc(name) for name in sorted(seen, key=_style.lane_order)]


def _end(item: Checked) -> float:
    return item.end if item.end is not None else item.operation.last


def _operation_bars(items: list[Checked], scope: Scope, colours: dict[str, str],
                    extent: _Extent) -> list[dict[str, object]]:
    """One bar trace per operation type: the operation on its lane, and its span on each service."""
    least_ms = extent.span * 1000 * 0.004  # shorter bars would not show at the first zoom
    per_type: dict[str, dict[str, list[object]]] = {}
    for item in items:
        name = item.flow.name
        bars = per_type.setdefault(name, {key: [] for key in (
            "x", "base", "y", "width", "text", "hovertext", "customdata", "opacity", "line_colour",
            "line_width", "pattern")})
        number = scope.op_id(item)
        start, end = item.start, _end(item)
        flagged = bool(item.deviations)
        _bar(bars, start, end, least_ms, _style.OPERATIONS_LANE, 0.8, esc(name),
             _operation_hover(item, number), number, 1.0,
             _style.DEVIATION_RED if flagged else "#ffffff", 3 if flagged else 1,
             "/" if item.status == INCOMPLETE or item.begins_before_log else "")
        spans: dict[str, list[float]] = {}
        for seen in item.steps:
            if seen.record.t != _NO_TIME:
                spans.setdefault(_style.lane(seen.record), []).append(seen.record.t)
        for lane_name, times in spans.items():
            hover = (f"<b>{esc(name)}</b> #{number} on {esc(lane_name)}<br>{len(times)} steps, "
                     f"{clock(min(times))} → {clock(max(times))} ({seconds_text(max(times) - min(times))})")
            _bar(bars, min(times), max(times), least_ms, esc(lane_name), 0.34, "", hover, number, 0.45,
                 "#ffffff", 0, "")
    traces = []
    for name, bars in per_type.items():
        # the legend shows a trace's first point; a plain entry keeps outlines and hatching out of it
        traces.append({"type": "bar", "orientation": "h", "name": esc(name), "legendgroup": esc(name),
                       "x": [None], "y": [None], "hoverinfo": "skip", "xaxis": "x", "yaxis": "y",
                       "marker": {"color": colours.get(name, _style.OTHER_SERVICE)}})
        traces.append({
            "type": "bar", "orientation": "h", "name": esc(name), "legendgroup": esc(name),
            "showlegend": False,
            "x": bars["x"], "base": bars["base"], "y": bars["y"], "width": bars["width"],
            "text": bars["text"], "textposition": "inside", "insidetextanchor": "start",
            "textfont": {"size": 11}, "constraintext": "inside", "cliponaxis": True,
            "hovertext": bars["hovertext"], "hoverinfo": "text", "customdata": bars["customdata"],
            "marker": {"color": colours.get(name, _style.OTHER_SERVICE), "opacity": bars["opacity"],
                       "line": {"color": bars["line_colour"], "width": bars["line_width"]},
                       "pattern": {"shape": bars["pattern"], "fillmode": "overlay", "size": 6}},
            "xaxis": "x", "yaxis": "y",
        })
    return traces


def _bar(bars: dict[str, list[object]], start: float, end: float, least_ms: float, lane_name: str,
         width: float, text: str, hover: str, number: int, opacity: float, line_colour: str,
         line_width: float, pattern: str) -> None:
    bars["x"].append(round(max((end - start) * 1000, least_ms), 3))
    bars["base"].append(stamp(start))
    bars["y"].append(lane_name)
    bars["width"].append(width)
    bars["text"].append(text)
    bars["hovertext"].append(hover)
    bars["customdata"].append(number)
    bars["opacity"].append(opacity)
    bars["line_colour"].append(line_colour)
    bars["line_width"].append(line_width)
    bars["pattern"].append(pattern)


def _operation_hover(item: Checked, number: int) -> str:
    duration = seconds_text(item.duration) if item.duration is not None else (
        "unfinished" if item.end is None else "begins before the log")
    lines = [f"<b>{esc(item.flow.name)}</b> #{number} [{esc(item.status)}] {duration}",
             f"{stamp(item.start)} → {clock(_end(item))}",
             f"state {esc(item.before)} → {esc(item.after)}"]
    if item.operation.request_id:
        lines.append(f"request {esc(item.operation.request_id)}")
    for deviation in item.deviations[:6]:
        lines.append(f"⚠ {esc(deviation.kind)}: {wrapped(deviation.detail, limit=220)}")
    if len(item.deviations) > 6:
        lines.append(f"… {len(item.deviations) - 6} more deviations")
    lines.append("click: show its waterfall")
    return "<br>".join(lines)


def _step_marks(items: list[Checked], scope: Scope, raw: dict[tuple[str, int], str],
                colours: dict[str, str]) -> dict[str, object]:
    x: list[str | None] = []
    y: list[str] = []
    hover: list[str] = []
    colour: list[str] = []
    custom: list[int] = []
    for item in items:
        number = scope.op_id(item)
        for seen in item.steps:
            record = seen.record
            if record.t == _NO_TIME:
                continue
            x.append(stamp(record.t))
            y.append(esc(_style.lane(record)))
            colour.append(colours.get(item.flow.name, _style.OTHER_SERVICE))
            custom.append(number)
            took = "first step"
            if seen.duration is not None:
                took = f"+{seen.duration:.3f}s since the step before"
            sets = ""
            if seen.step.sets is not None:
                change = seen.step.sets
                sets = (f"<br>sets ({esc(change.vm or '=')}, {esc(change.task or '=')}, "
                        f"{esc(change.power or '=')})")
            hover.append(f"<b>{esc(seen.step.name)}</b> · {esc(item.flow.name)} #{number}<br>"
                         f"{esc(_style.lane(record))} · {clock(record.t)} · {took}{sets}<br>"
                         f"{esc(where(record))}<br>{wrapped(line_of(record, raw))}")
    return {"type": "scatter", "mode": "markers", "name": "steps", "x": x, "y": y,
            "hovertext": hover, "hoverinfo": "text", "customdata": custom,
            "marker": {"symbol": "line-ns-open", "size": 16, "color": colour, "line": {"width": 2,
                                                                                      "color": colour}},
            "xaxis": "x", "yaxis": "y"}


def _deviation_marks(items: list[Checked], scope: Scope,
                     raw: dict[tuple[str, int], str]) -> dict[str, object]:
    x: list[str | None] = []
    y: list[str] = []
    hover: list[str] = []
    custom: list[int] = []
    for item in items:
        number = scope.op_id(item)
        for deviation in item.deviations:
            timed = [r for r in deviation.evidence if r.t != _NO_TIME]
            if not timed:
                x.append(stamp(_end(item)))
                y.append(_style.OPERATIONS_LANE)
                hover.append(_deviation_hover(item, number, deviation, None, raw))
                custom.append(number)
            for record in timed[:4]:
                x.append(stamp(record.t))
                y.append(esc(_style.lane(record)))
                hover.append(_deviation_hover(item, number, deviation, record, raw))
                custom.append(number)
    return {"type": "scatter", "mode": "markers", "name": "deviations", "x": x, "y": y,
            "hovertext": hover, "hoverinfo": "text", "customdata": custom,
            "marker": {"symbol": "x", "size": 12, "color": _style.DEVIATION_RED,
                       "line": {"width": 1, "color": "#ffffff"}},
            "xaxis": "x", "yaxis": "y"}


def _deviation_hover(item: Checked, number: int, deviation: Deviation, record: Record | None,
                     raw: dict[tuple[str, int], str]) -> str:
    text = (f"<b>⚠ {esc(deviation.kind)}</b> in {esc(item.flow.name)} #{number}<br>"
            f"{wrapped(deviation.detail, limit=300)}")
    if record is not None:
        text += f"<br>{esc(where(record))} · {clock(record.t)}<br>{wrapped(line_of(record, raw))}"
    return text


def _state_band(story: InstanceStory, scope: Scope, extent: _Extent) -> dict[str, object]:
    """Bars on the state lanes: each part of the state from the time it changed to the next change."""
    changes: list[tuple[float, InstanceState, str, Record | None]] = [
        (t.time, t.state, t.cause, t.evidence) for t in story.transitions if t.time is not None]
    changes.sort(key=lambda change: change[0])
    x: list[float] = []
    base: list[str | None] = []
    y: list[str] = []
    text: list[str] = []
    hover: list[str] = []
    colour: list[str] = []
    for lane_name, part in zip(STATE_LANES, ("vm", "task", "power"), strict=True):
        segments: list[tuple[float, str, str, Record | None]] = []
        for moment, state, cause, record in changes:
            value = getattr(state, part)
            if value is None or (segments and segments[-1][1] == value):
                continue
            segments.append((moment, value, cause, record))
        for index, (moment, value, cause, record) in enumerate(segments):
            finish = segments[index + 1][0] if index + 1 < len(segments) else extent.end
            begin = max(moment, extent.start)
            if finish <= extent.start or begin >= extent.end:
                continue
            x.append(round((min(finish, extent.end) - begin) * 1000, 3))
            base.append(stamp(begin))
            y.append(lane_name)
            text.append(esc(value))
            colour.append(_style.state_colour(value))
            evidence = f"<br>{esc(where(record))}: {wrapped(record.message, limit=200)}" if record else ""
            hover.append(f"{lane_name} <b>{esc(value)}</b> from {clock(moment)}<br>"
                         f"{wrapped(cause, limit=200)}{evidence}")
    return {"type": "bar", "orientation": "h", "name": "state", "showlegend": False,
            "x": x, "base": base, "y": y, "text": text, "textposition": "inside",
            "insidetextanchor": "middle", "textfont": {"size": 10}, "constraintext": "inside",
            "hovertext": hover, "hoverinfo": "text", "width": 0.9,
            "marker": {"color": colour, "line": {"color": "#ffffff", "width": 1}},
            "xaxis": "x", "yaxis": "y2"}


def _choice(item: Checked, scope: Scope) -> dict[str, object]:
    """An entry of the operation selector (plain text: the page sets it as text, never as HTML)."""
    duration = f"{item.duration:.2f}s" if item.duration is not None else "unfinished"
    start, end = item.start, _end(item)
    pad = max((end - start) * 0.05, 0.2)
    flag = f", {len(item.deviations)} deviations" if item.deviations else ""
    return {"id": scope.op_id(item),
            "label": f"#{scope.op_id(item)} {clock(start)} {item.flow.name} [{item.status}{flag}] {duration}",
            "from": stamp(start - pad), "to": stamp(end + pad)}
