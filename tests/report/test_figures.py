"""The figures and tables of a report, read as data: valid plotly figures, swimlanes per service
and compute host, raw log lines in the labels, waterfalls that add up, tables that agree with check."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import pytest

from analyzer.lifecycle import CheckResult, check
from analyzer.report import Limits, build
from analyzer.report.scope import scope
from analyzer.report.timeline import STATE_LANES

MAIN = Path(__file__).resolve().parents[2]
SAMPLES = MAIN / "sample_logs"
REAL = MAIN.parent / "shared" / "real_logs"
LOGHUB = REAL / "loghub_openstack_2k" / "OpenStack_2k.log"


@pytest.fixture(scope="module")
def samples() -> CheckResult:
    return check([SAMPLES])


def _figures(parts) -> list[dict]:  # type: ignore[no-untyped-def]
    figures = [entry["figure"] for entry in parts.instances.values()]
    return figures + list(parts.waterfalls.values()) + list(parts.plots.values())


def test_every_figure_is_a_valid_plotly_figure(samples: CheckResult) -> None:
    parts, template = build(scope(samples), Limits())
    figures = _figures(parts)
    assert len(figures) == len(samples.stories) + len(samples.checked) + 2
    for figure in figures:
        go.Figure(figure)  # raises on any property plotly does not know or a value it refuses
    go.layout.Template(template)


def test_timeline_has_a_lane_per_service_and_one_per_compute_host() -> None:
    result = check([REAL / "kilo_live_migration"])
    parts, _ = build(scope(result), Limits())
    migrated = next(uuid for uuid, story in result.stories.items() if story.checked)
    layout = parts.instances[migrated]["figure"]["layout"]
    lanes = layout["yaxis"]["categoryarray"]
    assert lanes[0] == "operations" and lanes[1] == "nova-api"
    assert {"nova-compute hp-ms-01-c29", "nova-compute hp-ms-01-c30"} <= set(lanes)
    assert layout["yaxis2"]["categoryarray"] == list(STATE_LANES)
    # instances the logs only observe (no operation) are drawn too, with their state band
    assert set(parts.instances) == set(result.stories)


def test_step_labels_carry_the_raw_log_line() -> None:
    result = check([LOGHUB])
    parts, _ = build(scope(result), Limits())
    lines = LOGHUB.read_text(encoding="utf-8").splitlines()
    uuid, story = next(iter(result.stories.items()))
    figure = parts.instances[uuid]["figure"]
    steps = next(trace for trace in figure["data"] if trace["name"] == "steps")
    first = story.checked[0].steps[0].record
    raw = lines[first.line - 1]
    assert raw.startswith("nova-api.log") and raw != first.message  # the line as written, prefix and all
    label = steps["hovertext"][0]
    assert f"OpenStack_2k.log:{first.line}" in label
    assert raw[:100].replace('"', "&quot;") in label.replace("<br>", "")
    assert len(steps["x"]) == sum(len(c.steps) for c in story.checked)


def test_waterfall_bars_run_from_step_to_step(samples: CheckResult) -> None:
    chosen = scope(samples)
    parts, _ = build(chosen, Limits())
    item = next(c for c in samples.checked if c.flow.name == "boot" and c.status == "ok")
    figure = parts.waterfalls[str(chosen.op_id(item))]
    bars = figure["data"][0]
    origin = item.steps[0].record.t
    assert len(bars["x"]) == len(item.steps) + 1
    assert bars["x"][0] == pytest.approx(item.duration, abs=1e-3)  # the whole operation first
    for position, seen in enumerate(item.steps[1:], 1):
        end = bars["base"][position + 1] + bars["x"][position + 1]
        assert end == pytest.approx(seen.record.t - origin, abs=1e-3)
        assert bars["x"][position + 1] == pytest.approx(seen.duration, abs=1e-3)
    rows = figure["layout"]["yaxis"]["categoryarray"]
    assert rows[1].startswith("1. request (nova-api")


def test_missing_steps_get_a_row_in_the_waterfall(samples: CheckResult) -> None:
    chosen = scope(samples)
    parts, _ = build(chosen, Limits())
    missing = [(c, d) for c in samples.checked for d in c.deviations if d.kind == "missing_step"]
    for item, deviation in missing:
        rows = parts.waterfalls[str(chosen.op_id(item))]["layout"]["yaxis"]["categoryarray"]
        assert f"missing: {deviation.step}" in rows


def test_tables_agree_with_check(samples: CheckResult) -> None:
    parts, _ = build(scope(samples), Limits())
    for name, stats in samples.durations.items():
        assert f"<td>{name}</td><td>{stats['count']}</td>" in parts.operations
    deviating = [c for c in samples.checked if c.deviations]
    assert parts.deviations.count('<tr class="op ') == len(deviating)
    for tid, count, _, _ in samples.summary.unknown.most_common(25):
        assert f"<td>{count:,}</td><td><code>{tid}</code></td>" in parts.unknown
    assert parts.instances_table.count("data-instance=") == len(samples.stories)
    assert f"{samples.summary.lines:,}" in parts.inputs


def test_far_apart_bursts_get_their_own_panel(samples: CheckResult) -> None:
    # the samples hold a 2016 job and a 2026 one: two panels, not one axis ten years wide
    parts, _ = build(scope(samples), Limits())
    layout = parts.plots["nt-overtime"]["layout"]
    assert layout["xaxis"]["range"][0].startswith("2016-06-28")
    assert layout["xaxis2"]["range"][0].startswith("2026-10-10")


def test_raw_lines_are_read_back_from_gz_files_and_kept_only_when_they_agree(tmp_path: Path) -> None:
    import gzip

    from analyzer.report.lines import raw_lines

    packed = tmp_path / "OpenStack_2k.log.gz"
    packed.write_bytes(gzip.compress(LOGHUB.read_bytes()))
    result = check([packed])
    records = [s.record for c in result.checked for s in c.steps]
    found = raw_lines(records)
    lines = LOGHUB.read_text(encoding="utf-8").splitlines()
    assert len(found) == len({(r.source, r.line) for r in records})
    assert all(found[(r.source, r.line)] == lines[r.line - 1] for r in records)
    # a file changed since the check: lines that no longer hold the record's message are not shown
    packed.write_bytes(gzip.compress(b"something else\n" * 2000))
    assert raw_lines(records) == {}
