"""Plots over all operations in scope: durations per type, and operations over time.

Both stay small however large the input: a type with many operations gets a box drawn
from its quartiles instead of one point per operation, and operations over time are
counted into bins.  Logs often hold bursts far apart (a CI job in 2016 and a lab in
2026 in one directory): each burst gets its own panel, so none is squeezed into a line.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from analyzer.lifecycle.machine import Checked
from analyzer.report._text import clock, esc, stamp
from analyzer.report.scope import Limits, Scope

BINS_PER_PANEL = 60
MAX_PANELS = 4
BURST_GAP = 6 * 3600.0  # seconds of silence that start a new panel
_NO_TIME = float("-inf")


def durations_figure(scope: Scope, colours: dict[str, str], limits: Limits) -> tuple[dict[str, object], bool]:
    """Box (with every point, when there are few) of complete operations' durations per type.

    Returns the figure and whether some type was drawn from statistics only.
    """
    by_type: dict[str, list[Checked]] = defaultdict(list)
    for item in scope.checked:
        if item.duration is not None:
            by_type[item.flow.name].append(item)
    traces: list[dict[str, object]] = []
    summarised = False
    values_all: list[float] = []
    for name in sorted(by_type):
        items = by_type[name]
        values = np.array([c.duration for c in items], dtype=float)
        values_all += [float(values.min()), float(values.max())]
        colour = colours.get(name, "#7f7f7f")
        if len(items) > limits.box_points:
            summarised = True
            q1, median, q3 = np.percentile(values, [25, 50, 75])
            reach = 1.5 * (q3 - q1)
            low = float(values[values >= q1 - reach].min())
            high = float(values[values <= q3 + reach].max())
            traces.append({"type": "box", "name": esc(name), "x": [esc(name)], "q1": [round(float(q1), 3)],
                           "median": [round(float(median), 3)], "q3": [round(float(q3), 3)],
                           "lowerfence": [round(low, 3)], "upperfence": [round(high, 3)],
                           "marker": {"color": colour}, "showlegend": False,
                           "hoverinfo": "y"})
        else:
            hover = [f"#{scope.op_id(c)} {esc(name)} [{esc(c.status)}] {c.duration:.3f}s<br>"
                     f"{stamp(c.start)}<br>instance {esc(c.operation.instance)}" for c in items]
            traces.append({"type": "box", "name": esc(name), "y": [round(float(v), 3) for v in values],
                           "x": [esc(name)] * len(items), "boxpoints": "all", "jitter": 0.45,
                           "pointpos": 0, "hovertext": hover, "hoverinfo": "text",
                           "customdata": [scope.op_id(c) for c in items],
                           "marker": {"color": colour, "size": 5, "opacity": 0.7}, "showlegend": False})
    logarithmic = bool(values_all) and min(values_all) > 0 and max(values_all) / min(values_all) > 100
    layout = {
        "title": {"text": "duration of complete operations, per type", "x": 0, "font": {"size": 14}},
        "height": 420, "margin": {"l": 60, "r": 20, "t": 50, "b": 80},
        "hovermode": "closest",
        "yaxis": {"title": {"text": "seconds"}, "type": "log" if logarithmic else "linear"},
        "xaxis": {"type": "category"},
    }
    return {"data": traces, "layout": layout}, summarised


def over_time_figure(scope: Scope, colours: dict[str, str]) -> dict[str, object]:
    """Operations started per time bin, stacked by type; one panel per burst of activity."""
    timed = [c for c in scope.checked if c.start != _NO_TIME]
    panels = _bursts(sorted(c.start for c in timed))
    traces: list[dict[str, object]] = []
    layout: dict[str, object] = {
        "title": {"text": "operations started over time, per type", "x": 0, "font": {"size": 14}},
        "height": 380, "margin": {"l": 60, "r": 20, "t": 50, "b": 70}, "barmode": "stack",
        "hovermode": "closest", "bargap": 0.05,
        "legend": {"orientation": "h", "x": 0, "y": -0.25, "font": {"size": 11}},
        "yaxis": {"title": {"text": "operations"}},
    }
    starts = np.array([c.start for c in timed], dtype=float)
    names = [c.flow.name for c in timed]
    width = 1.0 / max(len(panels), 1)
    shown: set[str] = set()
    for index, (low, high) in enumerate(panels):
        axis = "" if index == 0 else str(index + 1)
        edges = np.linspace(low, max(high, low + 1.0), BINS_PER_PANEL + 1)
        inside = (starts >= low) & (starts <= high)
        centres = [stamp(float(v)) for v in (edges[:-1] + edges[1:]) / 2]
        bin_ms = round(float(edges[1] - edges[0]) * 1000 * 0.95, 3)
        counts: dict[str, Counter[int]] = defaultdict(Counter)
        positions = np.clip(np.searchsorted(edges, starts[inside], side="right") - 1, 0, BINS_PER_PANEL - 1)
        for position, name in zip(positions.tolist(), [n for n, ok in zip(names, inside, strict=True) if ok],
                                  strict=True):
            counts[name][position] += 1
        for name in sorted(counts):
            bins = sorted(counts[name])
            traces.append({
                "type": "bar", "name": esc(name), "legendgroup": esc(name), "showlegend": name not in shown,
                "x": [centres[b] for b in bins], "y": [counts[name][b] for b in bins], "width": bin_ms,
                "hovertext": [f"{esc(name)}: {counts[name][b]} started<br>{stamp(float(edges[b]))} → "
                              f"{clock(float(edges[b + 1]))}" for b in bins],
                "hoverinfo": "text", "marker": {"color": colours.get(name, "#7f7f7f")},
                "xaxis": f"x{axis}", "yaxis": "y",
            })
            shown.add(name)
        last = index + 1 == len(panels)
        domain = [index * width + (0.02 if index else 0), (index + 1) * width - (0 if last else 0.02)]
        layout[f"xaxis{axis}"] = {"type": "date", "domain": domain, "anchor": "y",
                                  "range": [stamp(float(edges[0])), stamp(float(edges[-1]))],
                                  "tickformat": "%H:%M\n%Y-%m-%d"}
    return {"data": traces, "layout": layout}


def _bursts(times: list[float]) -> list[tuple[float, float]]:
    """(first, last) of each burst: runs of times split at the longest silences over BURST_GAP."""
    if not times:
        return [(0.0, 1.0)]
    gaps = sorted(((times[i + 1] - times[i], i) for i in range(len(times) - 1)
                   if times[i + 1] - times[i] > BURST_GAP), reverse=True)[: MAX_PANELS - 1]
    cuts = sorted(i for _, i in gaps)
    panels = []
    begin = 0
    for cut in cuts:
        panels.append((times[begin], times[cut]))
        begin = cut + 1
    panels.append((times[begin], times[-1]))
    return [(low - max((high - low) * 0.02, 1.0), high + max((high - low) * 0.02, 1.0))
            for low, high in panels]
