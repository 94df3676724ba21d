"""The reports of the real loghub and devstack logs, opened in headless Chromium: the timeline,
the waterfall, the plots and the tables are drawn, every instance can be picked, and the page
asks for nothing but itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.support.ui import Select

from analyzer.lifecycle import CheckResult, check
from analyzer.report import render

from .conftest import Opened, count, open_report

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "real_logs"
LOGHUB = REAL / "loghub_openstack_2k" / "OpenStack_2k.log"
DEVSTACK = REAL / "devstack_gate_2016"


@pytest.fixture(scope="module")
def loghub(tmp_path_factory: pytest.TempPathFactory) -> tuple[CheckResult, Path]:
    result = check([LOGHUB])
    target = tmp_path_factory.mktemp("loghub") / "loghub.html"
    render(result, target)
    return result, target


@pytest.fixture(scope="module")
def devstack(tmp_path_factory: pytest.TempPathFactory) -> tuple[CheckResult, Path]:
    result = check([DEVSTACK])
    target = tmp_path_factory.mktemp("devstack") / "devstack.html"
    render(result, target)
    return result, target


def _offline(opened: Opened) -> None:
    assert opened.requests[0] == opened.url  # the log of requests works: it holds the page itself
    assert [u for u in opened.requests if u != opened.url and not u.startswith(("data:", "blob:"))] == []
    assert opened.console_errors == []


def _title(driver) -> str:  # type: ignore[no-untyped-def]
    return driver.execute_script("return document.querySelector('#nt-timeline .gtitle').textContent")


def test_loghub_report_draws_timeline_waterfall_plots_and_tables_offline(chromium, loghub) -> None:
    result, path = loghub
    opened = open_report(chromium, path)
    _offline(opened)
    first = Select(chromium.find_element("id", "nt-instance")).first_selected_option.get_attribute("value")
    story = result.stories[first]
    assert _title(chromium) == f"instance {first}"
    # one tick per step of the instance's operations, one bar per operation (and per service it touched)
    steps = sum(len(c.steps) for c in story.checked)
    assert count(chromium, "#nt-timeline .scatterlayer .trace:first-child .point") == steps
    assert count(chromium, "#nt-timeline .barlayer .point") >= len(story.checked)
    lanes = chromium.execute_script(
        "return Array.from(document.querySelectorAll('#nt-timeline .yaxislayer-above text'))"
        ".map(t => t.textContent)")
    assert {"operations", "nova-api", "nova-compute", "vm_state", "task_state", "power_state"} <= set(lanes)
    # the waterfall of its first operation: the operation's bar and one per step
    boot = story.checked[0]
    assert count(chromium, "#nt-waterfall .barlayer .trace:first-child .point") == len(boot.steps) + 1
    timed = [c for c in result.checked if c.duration is not None]
    assert len(timed) >= 40 and count(chromium, "#nt-durations .point") == len(timed)  # a point each
    assert count(chromium, "#nt-overtime .barlayer .point") > 0
    # tables: a row per operation type, per instance, and the one deviating operation
    assert count(chromium, "#operations > table tbody tr") == 2
    assert count(chromium, "#instances table tbody tr") == 22
    assert count(chromium, "#deviations table tr.op") == 1
    assert count(chromium, "#unknown table tbody tr") == len(result.summary.unknown.counts)
    assert "OpenStack_2k.log" in chromium.find_element("id", "inputs").text


@pytest.mark.parametrize("which", ["loghub", "devstack"])
def test_every_instance_can_be_picked_and_drawn(chromium, which: str, request: pytest.FixtureRequest) -> None:
    result, path = request.getfixturevalue(which)
    open_report(chromium, path)
    picker = Select(chromium.find_element("id", "nt-instance"))
    listed = [option.get_attribute("value") for option in picker.options]
    assert sorted(listed) == sorted(result.stories)  # 22 for loghub, 12 for devstack
    for uuid in listed:
        picker.select_by_value(uuid)
        assert _title(chromium) == f"instance {uuid}"
        operations = len(result.stories[uuid].checked)
        assert count(chromium, "#nt-operation option") == operations + 1  # and "whole instance"
        assert count(chromium, "#nt-timeline .barlayer .point") >= operations
        assert count(chromium, "#nt-waterfall .barlayer .point") > 0


def test_picking_an_operation_zooms_the_timeline_and_draws_its_waterfall(chromium, devstack) -> None:
    result, path = devstack
    open_report(chromium, path)
    busiest = max(result.stories, key=lambda uuid: len(result.stories[uuid].checked))
    Select(chromium.find_element("id", "nt-instance")).select_by_value(busiest)
    operations = Select(chromium.find_element("id", "nt-operation"))
    whole = chromium.execute_script("return document.getElementById('nt-timeline').layout.xaxis.range")
    last = operations.options[-1]
    label, number = last.text, last.get_attribute("value")
    operations.select_by_value(number)
    zoomed = chromium.execute_script("return document.getElementById('nt-timeline').layout.xaxis.range")
    assert zoomed != whole and zoomed[0] >= whole[0] and zoomed[1] <= whole[1]
    title = chromium.execute_script("return document.querySelector('#nt-waterfall .gtitle').textContent")
    assert title.startswith(f"waterfall of #{number} ") and label.startswith(f"#{number} ")


def test_a_table_link_shows_the_operation_in_the_timeline(chromium, devstack) -> None:
    _, path = devstack
    open_report(chromium, path)
    link = chromium.find_element("css selector", "#deviations a[data-op]")
    uuid, number = link.get_attribute("data-instance"), link.get_attribute("data-op")
    chromium.execute_script("arguments[0].click()", link)
    assert _title(chromium) == f"instance {uuid}"
    assert Select(chromium.find_element("id", "nt-operation")).first_selected_option.get_attribute("value") \
        == number
