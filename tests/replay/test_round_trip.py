"""Round trip: replay every operation, parse the logs, check them: zero deviations, both styles."""

from __future__ import annotations

import pytest

from analyzer.lifecycle import check
from analyzer.replay.scenarios import OPERATIONS

# The operation names `novatrace check` gives (snapshot: cold in 2016, live now).
CHECKED_AS = {"snapshot": {"2016": "snapshot_cold", "current": "snapshot_live"}}


@pytest.fixture(scope="module")
def checked(all_operations_logs):
    style, log_dir = all_operations_logs
    return style, check([log_dir]).as_dict()


def test_replayed_logs_have_no_deviation(checked):
    style, result = checked
    deviations = [(op["operation"], dev["kind"], dev["detail"])
                  for op in result["operations"] for dev in op["deviations"]]
    assert deviations == []
    assert len(result["instances"]) == 1


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_operation_is_found_and_follows_its_flow(checked, operation):
    style, result = checked
    name = CHECKED_AS.get(operation, {}).get(style, operation)
    found = [op for op in result["operations"] if op["operation"] == name]
    assert len(found) == 1, [op["operation"] for op in result["operations"]]
    assert found[0]["status"] == "ok"
    assert found[0]["deviations"] == []


def test_each_service_writes_its_own_log(all_operations_logs):
    style, log_dir = all_operations_logs
    names = {path.name for path in log_dir.glob("*.log")}
    assert names == {"nova-api.log", "nova-scheduler.log", "nova-conductor.log", "nova-compute.log"}


def test_request_id_travels_from_api_to_compute(all_operations_logs):
    style, log_dir = all_operations_logs
    api = (log_dir / "nova-api.log").read_text()
    compute = (log_dir / "nova-compute.log").read_text()
    pausing = next(line for line in compute.splitlines() if line.endswith("] Pausing"))
    request_id = next(word for word in pausing.split() if word.startswith("[req-") or word.startswith("req-"))
    assert request_id.lstrip("[") in api


def test_log_lines_have_each_era_context_block(all_operations_logs):
    style, log_dir = all_operations_logs
    line = next(line for line in (log_dir / "nova-compute.log").read_text().splitlines()
                if line.endswith("Pausing"))
    context = line.split("[", 1)[1].split("]", 1)[0].split()
    if style == "2016":
        assert context[0].startswith("req-") and len(context) == 6
    else:
        assert context[0].startswith("req-") and context[1].startswith("req-") and len(context) == 8
        assert context[-2:] == ["default", "default"]
