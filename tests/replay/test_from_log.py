"""`novatrace replay --from-log`: a log's operations replayed on mini-Nova, the two lifecycles compared."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

from analyzer.fromlog import plan, replay_from_log
from analyzer.fromlog.page import page
from analyzer.lifecycle import check

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from analyzer.replay.scenarios import Operation, Scenario, all_operations, load_scenario, replay

SCENARIOS = Path(__file__).resolve().parents[2] / "sample_logs" / "scenarios"


@pytest.fixture(scope="module", params=["2016", "current"])
def generated(request, tmp_path_factory):
    """A log written by mini-Nova (every operation, and requests Nova refuses), and its replay."""
    style = request.param
    root = tmp_path_factory.mktemp(f"from-log-{style}")
    replay([all_operations(), load_scenario(SCENARIOS / "illegal_requests.yaml")], root / "original",
           style=style, state_dir=root / "state")
    comparison = replay_from_log([root / "original"], root / "replayed")
    return style, comparison, root


def test_a_generated_log_replays_with_the_same_steps_end_states_and_answers(generated):
    style, comparison, _ = generated
    assert comparison.style == style  # taken from the original's wording
    assert len(comparison.operations) == len(comparison.original.checked) == 25
    assert not comparison.not_replayed and not comparison.extra and not comparison.set_up
    for item in comparison.operations:
        assert item.replayed is not None, item.name
        assert item.only_original == [] and item.only_replayed == [], (item.name, item.only_original,
                                                                       item.only_replayed)
        assert item.end_replayed == item.end_original, item.name
        assert item.http_replayed == item.http_original, item.name
    assert comparison.differing == []


def test_requests_refused_in_the_original_are_refused_again(generated):
    _, comparison, _ = generated
    refused = [(item.name, item.http_original, item.http_replayed) for item in comparison.operations
               if item.original.status == "failed"]
    assert refused == [("resume", 409, 409), ("pause", 409, 409), ("reboot_hard", 409, 409),
                       ("delete", 409, 409)]


def test_each_original_instance_maps_to_its_own_replayed_instance(generated):
    _, comparison, _ = generated
    originals = set(comparison.original.stories)
    assert set(comparison.instances) == originals
    replayed = list(comparison.instances.values())
    assert len(set(replayed)) == len(replayed) == 2
    assert set(replayed) == set(comparison.replayed.stories)
    for item in comparison.operations:
        assert item.replayed.operation.instance == comparison.instances[item.instance]


def test_a_log_replayed_in_the_other_style_differs_only_in_how_it_snapshots(generated):
    style, _, root = generated
    other = "current" if style == "2016" else "2016"
    comparison = replay_from_log([root / "original"], root / f"in-{other}", style=other)
    assert comparison.style == other
    # Nova's libvirt driver snapshots cold in 2016 and live today; every other step that
    # differs is one only a release logs (`only 2016` / `only current`), not counted
    snapshot = {"2016": "snapshot_cold", "current": "snapshot_live"}
    assert [(item.name, item.replayed.flow.name) for item in comparison.differing] == [
        (snapshot[style], snapshot[other])] * 2
    assert all(item.end_replayed == item.end_original for item in comparison.operations)
    assert sum(len(item.other_release) for item in comparison.operations) > 10
    assert {name for item in comparison.operations for name in item.other_release} >= {"claim", "files_move"}


def test_gaps_between_operations_are_the_original_ones_divided_by_speed(tmp_path):
    scenario = Scenario("gaps", {"vm1": {"flavor": "1", "image": None}},
                        [Operation("boot", "vm1"), Operation("wait", seconds=1.5), Operation("pause", "vm1"),
                         Operation("delete", "vm1")])
    replay([scenario], tmp_path / "original", state_dir=tmp_path / "state")
    original = check([tmp_path / "original"])
    assert plan(original).waited == 0  # speed 0: no waits
    comparison = replay_from_log([tmp_path / "original"], tmp_path / "replayed", speed=3)
    boot, pause, _ = comparison.operations
    original_gap = pause.original.start - boot.original.operation.last
    assert original_gap >= 1.5
    assert [item.operation.name for item in comparison.plan.planned] == ["boot", "pause", "delete"]
    assert comparison.plan.planned[1].wait == pytest.approx(original_gap / 3, abs=0.001)
    replayed_gap = pause.replayed.start - boot.replayed.operation.last
    assert original_gap / 3 - 0.05 <= replayed_gap < original_gap


def test_devstack_gate_2016_replays_to_the_end_and_compares(novatrace, real_logs, tmp_path):
    html = tmp_path / "devstack.html"
    result = novatrace("replay", "--from-log", real_logs / "devstack_gate_2016",
                       "--log-dir", tmp_path / "logs", "--json", "-o", html)
    # 0: no operation differs in its required steps, end state or answer
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    names = [(op["instance"][:8], op["operation"]) for op in out["operations"]]
    assert len(names) == 31 and out["summary"] == {"compared": 31, "differing": 0, "not_replayed": 15}
    assert names.count(("4c45d1e7", "rescue")) == 2 and names.count(("4c45d1e7", "unrescue")) == 2
    assert ("8661f614", "rebuild") in names and ("07441c4a", "rescue") in names
    assert sum(1 for _, name in names if name == "boot") == 12
    # the second delete of 4f1713a9 found it gone; so did its replay
    deletes = [op for op in out["operations"]
               if op["instance"].startswith("4f1713a9") and op["operation"] == "delete"]
    assert [op["http"] for op in deletes] == [{"original": 204, "replayed": 204},
                                              {"original": 404, "replayed": 404}]
    for op in out["operations"]:
        assert op["end_state"]["original"] == op["end_state"]["replayed"], op
        assert op["replayed_instance"] == out["instances"][op["instance"]]
        assert op["duration_ratio"] is None or op["duration_ratio"] > 0
    skipped = {(entry["operation"], entry["reason"]) for entry in out["not_replayed"]}
    assert skipped == {("attach_volume", "mini-Nova has no block storage (Cinder volumes)"),
                       ("detach_volume", "mini-Nova has no block storage (Cinder volumes)")}
    assert out["replay"]["style"] == "2016" and out["original"]["release"] == "2016"
    assert len(out["instances"]) == 12
    text = html.read_text(encoding="utf-8")
    # the API's DEBUG lines quote Python reprs: `<bound method ServersController.create of <nova…>>`
    assert "&lt;bound method ServersController.create" in text
    assert "<bound" not in text and "<script" not in text
    assert "mini-Nova has no block storage" in text


def test_loghub_replays_to_the_end_and_only_the_unfinished_delete_differs(novatrace, real_logs, tmp_path):
    result = novatrace("replay", "--from-log", real_logs / "loghub_openstack_2k" / "OpenStack_2k.log",
                       "--log-dir", tmp_path / "logs")
    assert result.exit_code == 1, result.stderr  # 1: an operation differs
    out = result.stdout
    assert out.startswith("original: 22 instances, 44 operations, release 2016 (1 file, 2,000 lines)\n"
                          "replayed: 44 operations on mini-Nova in ")
    rows = [line.split() for line in out.splitlines() if re.match(r"[0-9a-f]{8}  [0-9a-f]{8}  ", line)]
    assert len(rows) == 44
    assert [row[2] for row in rows] == ["boot", "delete"] * 22
    assert ("43 operations with the same required steps, end state and answer; 1 operation differs "
            in out)
    # an INFO log of api, compute and scheduler cannot show DEBUG or conductor steps: not counted
    assert "steps only in the replay that the original log could not show are not counted" in out
    assert ("delete of faf974ea-cba5-4e1b-93f4-3a3bc606006f -> " in out
            and "  end state: original (active, none, shutdown), replay (deleted, none, pending)\n" in out
            and "  status: original incomplete, replay ok" in out)
    assert "not replayed" not in out


def test_instances_whose_boot_is_not_in_the_log_are_set_up_first(real_logs, tmp_path):
    comparison = replay_from_log([real_logs / "kilo_lab_controller"], tmp_path)
    assert [item.name for item in comparison.operations] == ["delete"] * 9
    assert [c.flow.name for c in comparison.set_up] == ["boot"] * 9
    assert all(item.end_replayed == item.end_original for item in comparison.operations)
    assert {entry.original.flow.family for entry in comparison.not_replayed} == {"volume"}


def test_an_instance_first_seen_in_another_state_is_brought_there_first(generated):
    _, _, root = generated
    original = check([root / "original"])
    story = next(story for story in original.stories.values() if len(story.checked) == 16)
    assert [c.flow.name for c in story.checked[:3]] == ["boot", "pause", "unpause"]
    story.checked = story.checked[2:]  # as if the log began with the unpause
    for other in [uuid for uuid in original.stories if original.stories[uuid] is not story]:
        del original.stories[other]
    replay_plan = plan(original, speed=2)
    names = [(item.operation.name, item.original is not None) for item in replay_plan.planned]
    assert names[:3] == [("boot", False), ("pause", False), ("unpause", True)]
    assert replay_plan.planned[0].wait == 0  # nothing before it to wait after
    assert len(replay_plan.replayed) == 14 and not replay_plan.not_replayed


def test_the_page_escapes_log_text(generated):
    _, comparison, _ = generated
    record = comparison.operations[0].original.steps[0].record
    kept, record.message = record.message, '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    try:
        text = page(comparison)
    finally:
        record.message = kept
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x" in text
    assert "<script" not in text and "<img" not in text


@pytest.mark.parametrize(("args", "message"), [
    (["/no/such/path"], "/no/such/path"),
    ([], "--from-log needs the logs to replay"),
    (["LOG", "--speed", "-1"], "--speed must be 0 (no waits) or a positive factor, not -1"),
    (["LOG", "-o", "out.txt"], "-o takes an .html file"),
    (["LOG", "--endpoint", "http://127.0.0.1:1"], "no --all-operations or --endpoint"),
    (["LOG", "--log-style", "2042"], "unknown log style '2042'"),
])
def test_bad_input_is_one_line_and_exit_2(novatrace, real_logs, tmp_path, args, message):
    log = str(real_logs / "loghub_openstack_2k" / "OpenStack_2k.log")
    result = novatrace("replay", "--from-log", *[log if a == "LOG" else a for a in args],
                       "--log-dir", tmp_path / "logs")
    assert result.exit_code == 2
    assert result.stderr.startswith("novatrace: error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "logs").exists()  # refused before mini-Nova started


def test_a_log_without_nova_operations_is_refused(novatrace, tmp_path):
    empty = tmp_path / "syslog.log"
    empty.write_text("Dec  1 10:00:00 host cron[1]: (root) CMD (run-parts /etc/cron.hourly)\n")
    result = novatrace("replay", "--from-log", empty, "--log-dir", tmp_path / "logs")
    assert result.exit_code == 2
    assert result.stderr == "novatrace: error: no Nova operations found in these logs (nothing to replay)\n"


def test_a_log_of_operations_mini_nova_lacks_is_refused_with_the_reason(novatrace, real_logs, tmp_path):
    result = novatrace("replay", "--from-log", real_logs / "kilo_live_migration", "--log-dir", tmp_path)
    assert result.exit_code == 2
    assert ("none of the 2 operations in these logs can be replayed: mini-Nova does not migrate"
            in result.stderr)


def test_from_log_options_need_from_log(novatrace, tmp_path):
    result = novatrace("replay", "--all-operations", "--speed", "2", "--log-dir", tmp_path)
    assert result.exit_code == 2
    assert "--speed, -o and --json go with --from-log" in result.stderr
