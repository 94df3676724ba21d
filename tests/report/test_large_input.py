"""A report over 100,000 operations stays a page a browser opens: the timelines are drawn for a
sample, the plots and tables aggregate, and the page says what it left out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.lifecycle import check
from analyzer.report import Limits, Rendered, render

from .conftest import count, open_report
from .synthetic import scaled

SAMPLES = Path(__file__).resolve().parents[2] / "sample_logs" / "devstack_2016"
OPERATIONS = 100_000
MAX_PAGE_BYTES = 20_000_000  # plotly.js alone is about 4.8 MB


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Rendered, dict, str]:
    result = scaled(check([SAMPLES]), OPERATIONS)
    assert len(result.checked) >= OPERATIONS
    written = render(result, tmp_path_factory.mktemp("large") / "large.html")
    html = written.path.read_text(encoding="utf-8")
    start = html.index('id="nt-data">') + len('id="nt-data">')
    data = json.loads(html[start:html.index("</script>", start)])
    return written, data, html


def test_the_page_stays_bounded(large: tuple[Rendered, dict, str]) -> None:
    written, data, _ = large
    limits = Limits()
    assert written.operations >= OPERATIONS and written.instances > 10_000
    assert written.size < MAX_PAGE_BYTES
    assert 0 < written.drawn <= limits.detail_instances and len(data["instances"]) == written.drawn
    marks = sum(len(trace["x"]) for entry in data["instances"].values() for trace in entry["figure"]["data"]
                if trace["name"] == "steps")
    assert marks <= limits.detail_steps
    # the plots aggregate: boxes from quartiles, operations counted into bins
    boxes = data["plots"]["nt-durations"]["data"]
    assert boxes and all("q1" in box and "y" not in box for box in boxes)
    bars = sum(len(trace["x"]) for trace in data["plots"]["nt-overtime"]["data"])
    assert bars <= 60 * 4 * len(boxes)


def test_the_page_says_what_it_sampled(large: tuple[Rendered, dict, str]) -> None:
    written, _, html = large
    assert f"drawn for {written.drawn:,} of {written.instances:,} instances" in html
    assert "drawn as a box from their quartiles" in html
    assert html.count('<tr class="op ') == Limits().table_deviations
    links = html.count('<a href="#timeline" data-instance=')
    assert links <= Limits().table_instances + Limits().table_deviations
    assert len(written.notices) == 4


def test_the_large_page_opens_and_draws_in_chromium(chromium, large: tuple[Rendered, dict, str]) -> None:
    written, data, _ = large
    opened = open_report(chromium, written.path)
    assert opened.console_errors == []
    assert count(chromium, "#nt-instance option") == len(data["instances"])
    assert count(chromium, "#nt-timeline .barlayer .point") > 0
    assert count(chromium, "#nt-durations .box") > 0
    assert "drawn for" in chromium.find_element("css selector", "main > p.notice").text
