"""Scenario files: parsing with file:line errors, and replaying them."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.replay.scenarios import ScenarioError, all_operations, load_scenario, parse_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "sample_logs" / "scenarios"


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda path: path.name)
def test_bundled_scenarios_load(path):
    scenario = load_scenario(path)
    assert scenario.operations and scenario.instances


def test_bundled_all_operations_matches_the_builtin_one():
    bundled = load_scenario(SCENARIOS / "all_operations.yaml")
    assert [op.name for op in bundled.operations] == [op.name for op in all_operations().operations]


@pytest.mark.parametrize(("text", "line", "message"), [
    ("name: x\ninstances:\n  - name: vm1\noperations:\n  - boot: vm1\n  - fly: vm1\n", 6,
     "unknown operation 'fly'"),
    ("name: x\ninstances:\n  - name: vm1\noperations:\n  - boot: vm2\n", 5, "unknown instance 'vm2'"),
    ("name: x\ninstances:\n  - name: vm1\noperations:\n  - pause: vm1\n    expect: often\n", 6,
     "expect must be an HTTP status"),
    ("name: x\ninstances: [\n", 3, "not valid YAML"),
    ("name: x\ninstances:\n  - name: vm1\n    colour: red\noperations: []\n", 4, "unknown instance key"),
    ("name: x\noperations: []\n", 1, "no 'instances'"),
])
def test_bad_scenarios_name_file_and_line(text, line, message):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "bad.yaml")
    assert caught.value.line == line
    assert str(caught.value).startswith(f"bad.yaml:{line}: ")
    assert message in str(caught.value)


def test_a_binary_scenario_file_is_one_line_and_exit_2(novatrace, tmp_path):
    scenario = tmp_path / "binary.yaml"
    for content, says in [(b"\x00\x01garbage: [", "not valid YAML"), (b"\xff\xfe\x00garbage", "cannot read")]:
        scenario.write_bytes(content)
        result = novatrace("replay", scenario, "--log-dir", tmp_path / "logs")
        assert result.exit_code == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"novatrace: error: {scenario}: {says}"), lines
        assert "Traceback" not in result.output


def test_yes_and_no_stay_strings():
    scenario = parse_scenario("name: x\ninstances:\n  - name: no\noperations:\n  - boot: no\n")
    assert list(scenario.instances) == ["no"]


def test_cli_replay_then_check_is_clean(novatrace, tmp_path):
    result = novatrace("replay", SCENARIOS / "illegal_requests.yaml", "--log-dir", tmp_path / "logs",
                       "--log-style", "current")
    assert result.exit_code == 0, result.output
    assert "illegal-requests: 9 operations (4 refused as expected)" in result.stdout
    checked = novatrace("check", tmp_path / "logs", "--json")
    assert checked.exit_code == 1  # the four refusals are illegal_state deviations, nothing else
    import json

    operations = json.loads(checked.stdout)["operations"]
    kinds = {dev["kind"] for op in operations for dev in op["deviations"]}
    assert kinds == {"illegal_state"}
    assert sum(1 for op in operations if op["deviations"]) == 4


def test_cli_replay_bad_file_is_one_line_and_exit_2(novatrace, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ninstances:\n  - name: vm1\noperations:\n  - boot: vm1\n  - fly: vm1\n")
    result = novatrace("replay", bad, "--log-dir", tmp_path / "logs")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"novatrace: error: {bad}:6: unknown operation 'fly' (known: boot, delete, start, stop, pause, "
        "unpause, suspend, resume, rescue, unrescue, snapshot, rebuild, lock, unlock, reboot_soft, "
        "reboot_hard, wait)")


def test_cli_replay_needs_something_to_replay(novatrace, tmp_path):
    result = novatrace("replay", "--log-dir", tmp_path)
    assert result.exit_code == 2
    assert "give scenario files, --all-operations or --from-log LOGS" in result.stderr


def test_cli_serve_rejects_a_bad_listen_address(novatrace):
    result = novatrace("serve", "--listen", "nowhere")
    assert result.exit_code == 2
    assert "--listen takes HOST:PORT" in result.stderr


@pytest.mark.parametrize(("option", "value", "said"), [
    ("--db", "bogus://nowhere", "--db: Can't load plugin"),
    ("--db", "sqlite:////no/such/directory/nova.sqlite", "--db: unable to open database file"),
    ("--transport", "bogus://nowhere", "--transport: Failed to load transport driver"),
])
def test_cli_serve_refuses_a_database_or_transport_it_cannot_use(novatrace, tmp_path, option, value, said):
    result = novatrace("serve", option, value, "--log-dir", tmp_path / "logs",
                       "--state-dir", tmp_path / "state")
    assert result.exit_code == 2
    assert said in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
