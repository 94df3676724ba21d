"""The parser on real Nova logs (../shared/real_logs, see its README for provenance)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

import analyzer

REAL_LOGS = Path(__file__).resolve().parents[2].parent / "shared" / "real_logs"
if not REAL_LOGS.is_dir():
    pytest.fail(f"real logs not found at {REAL_LOGS}: CI always has ../shared/real_logs; "
                "check out the shared folder beside the repository", pytrace=False)

# Header regexes written independently of grammars/records.lark.
_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ "
_OSLO = _TIME + r"\d+ (?:DEBUG|INFO|AUDIT|WARNING|ERROR|CRITICAL|TRACE) \S+ "
HEADERS = {
    "oslo": re.compile(_OSLO),
    "loghub": re.compile(r"nova-\S+\.log\S* " + _OSLO),
    "merged": re.compile(_TIME + r"\[[^\]\s]*\] |" + _OSLO),
}
LOG_FILES = sorted(p for p in REAL_LOGS.rglob("*") if p.is_file() and p.suffix in (".log", ".txt"))
EXPECTED_FORMAT = {"loghub_openstack_2k": "loghub", "mergedlogs-compute.log": "merged"}

LOGHUB = REAL_LOGS / "loghub_openstack_2k"
DEVSTACK = REAL_LOGS / "devstack_gate_2016"


@cache
def parsed(path: Path) -> tuple[pd.DataFrame, analyzer.ParseSummary]:
    summary = analyzer.ParseSummary()
    return analyzer.parse_logs(path, summary=summary), summary


def expected_format(path: Path) -> str:
    return EXPECTED_FORMAT.get(path.name, EXPECTED_FORMAT.get(path.parent.name, "oslo"))


def file_param(path: Path) -> pytest.param:
    name = path.relative_to(REAL_LOGS).as_posix()
    return pytest.param(path, id=name)


@pytest.mark.parametrize("path", [file_param(p) for p in LOG_FILES])
def test_every_header_bearing_line_of_a_real_log_becomes_a_record(path: Path) -> None:
    frame, summary = parsed(path)
    fmt = expected_format(path)
    assert summary.formats[str(path)] == fmt
    text = path.read_bytes().decode("utf-8", errors="replace").replace("\r\n", "\n")
    headers = [n for n, line in enumerate(text.split("\n"), 1) if HEADERS[fmt].match(line)]

    assert summary.records == len(frame) == len(headers)
    assert sorted(frame["line"]) == headers


def test_the_real_logs_hold_every_kind_of_file_the_readme_lists() -> None:
    folders = {p.relative_to(REAL_LOGS).parts[0] for p in LOG_FILES}
    assert folders == {"devstack_gate_2016", "havana_lab", "kilo_lab_controller",
                       "kilo_live_migration", "loghub_openstack_2k"}


# --- loghub OpenStack_2k: template grouping against the labelled ground truth ----------------


def grouping_accuracy(predicted: list[str], truth: list[str]) -> float:
    """Share of lines whose predicted group holds exactly the lines of their true group."""
    by_predicted, by_truth = defaultdict(set), defaultdict(set)
    for index, (p, t) in enumerate(zip(predicted, truth, strict=True)):
        by_predicted[p].add(index)
        by_truth[t].add(index)
    right = sum(by_predicted[p] == by_truth[t] for p, t in zip(predicted, truth, strict=True))
    return right / len(truth)


def test_grouping_accuracy_helper_counts_a_split_group_as_wrong() -> None:
    assert grouping_accuracy(["a", "a", "b"], ["x", "x", "y"]) == 1.0
    assert grouping_accuracy(["a", "b", "c"], ["x", "x", "y"]) == pytest.approx(1 / 3)


def test_loghub_lines_group_by_event_and_template_like_the_labelled_templates() -> None:
    frame, _ = parsed(LOGHUB / "OpenStack_2k.log")
    truth = pd.read_csv(LOGHUB / "OpenStack_2k.log_structured_corrected.csv")
    frame = frame.sort_values("line")
    assert len(frame) == len(truth) == 2000
    predicted = (frame["event"] + "|" + frame["template_id"]).tolist()

    assert grouping_accuracy(predicted, truth["EventId"].tolist()) >= 0.99


def test_the_crlf_2023_file_and_the_lf_2018_file_give_the_same_events() -> None:
    crlf, _ = parsed(LOGHUB / "OpenStack_2k.log")
    lf, _ = parsed(LOGHUB / "OpenStack_2k.2018-LF.log")
    # `line` is left out: see test_sources.py::test_crlf_and_lf_files_give_identical_events.
    columns = [c for c in crlf.columns if c not in ("source", "line")]
    pd.testing.assert_frame_equal(crlf[columns].reset_index(drop=True),
                                  lf[columns].reset_index(drop=True))


def test_boot_time_paused_and_resumed_are_lifecycle_events_not_pauses() -> None:
    frame, _ = parsed(LOGHUB / "OpenStack_2k.log")
    observed = frame[frame["message"].str.match(r"VM (Paused|Resumed) \(Lifecycle Event\)")]
    assert len(observed) == 66  # 22 boots: one Paused, two Resumed each
    assert set(observed["event"]) == {"lifecycle"}
    states = [json.loads(f)["state"] for f in observed["fields"]]
    assert states.count("Paused") == 22 and states.count("Resumed") == 44
    assert not frame["event"].isin(["pause_start", "unpause_start"]).any()


# --- devstack-gate 2016: per-instance steps, checked against tempest.txt ----------------------

REBUILT = "8661f614-47e7-46dc-ac79-3b542dc73a0d"  # ServerActionsTestJSON.test_rebuild_server
RESCUED_ONCE = "07441c4a-0a72-46fc-83bd-dd13f62b0ac3"  # ServerRescueNegativeTestJSON setUpClass
RESCUED_TWICE = "4c45d1e7-8058-4189-9a77-7a6154b8133d"  # rescued, unrescued, twice
DELETED_ONLY = "4f1713a9-2ad0-4dce-8b3d-30dea178e0a5"  # DeleteServersTestJSON


@pytest.fixture(scope="module")
def compute_steps() -> dict[str, list[str]]:
    frame, _ = parsed(DEVSTACK)
    compute = frame[(frame["service"] == "nova-compute") & frame["instance"].notna()]
    steps: dict[str, list[str]] = defaultdict(list)
    for instance, event in zip(compute["instance"], compute["event"], strict=True):
        steps[instance].append(event)
    return steps


@pytest.mark.parametrize(
    ("instance", "expected"),
    [
        (REBUILT, {"build_start": 1, "rebuild_start": 1, "shutdown_begin": 1, "shutdown_done": 1,
                   "terminate_start": 1, "rescue_start": 0}),
        (RESCUED_ONCE, {"build_start": 1, "rescue_start": 1, "unrescue_start": 0,
                        "shutdown_begin": 1, "terminate_start": 1}),
        (RESCUED_TWICE, {"build_start": 1, "rescue_start": 2, "unrescue_start": 2,
                         "shutdown_begin": 2, "shutdown_done": 2, "terminate_start": 1}),
        (DELETED_ONLY, {"build_start": 1, "spawned": 1, "terminate_start": 1, "destroyed": 1,
                        "rebuild_start": 0, "shutdown_begin": 0}),
    ],
)
def test_devstack_instances_show_the_steps_tempest_requested(compute_steps, instance, expected):
    steps = compute_steps[instance]
    assert {event: steps.count(event) for event in expected} == expected


def test_devstack_steps_come_in_the_order_they_happened(compute_steps):
    order = [e for e in compute_steps[RESCUED_TWICE]
             if e in ("build_start", "rescue_start", "unrescue_start", "terminate_start")]
    assert order == ["build_start", "rescue_start", "unrescue_start", "rescue_start",
                     "unrescue_start", "terminate_start"]


def test_every_devstack_instance_booted_is_deleted(compute_steps):
    booted = {i for i, steps in compute_steps.items() if "build_start" in steps}
    deleted = {i for i, steps in compute_steps.items() if "terminate_start" in steps}
    assert len(booted) == 12
    assert booted == deleted


def test_devstack_rescues_match_the_rescue_requests_in_tempest(compute_steps):
    tempest = (DEVSTACK / "tempest.txt").read_text(errors="replace")
    requested = {word: len(re.findall(rf'"{word}": ', tempest)) for word in ("rescue", "unrescue")}
    done = {word: sum(s.count(f"{word}_start") for s in compute_steps.values())
            for word in ("rescue", "unrescue")}
    assert done == requested == {"rescue": 3, "unrescue": 2}


def test_devstack_lifecycle_lines_are_lifecycle_events_never_operations():
    frame, _ = parsed(DEVSTACK)
    observed = frame[frame["message"].str.endswith("(Lifecycle Event)")]
    assert len(observed) == 31
    assert set(observed["event"]) == {"lifecycle"}
    assert not frame["event"].isin(["pause_start", "unpause_start"]).any()
