"""`novatrace check` and `novatrace lifecycle` on synthetic 2016 devstack logs.

Each log is written by `logbuilder` line by line in the layout of the 2016 gate's screen
logs; what the tests look at is what a user of `novatrace check` reads: which operations
were recognized on which instance, their status, their deviations (kind, step, evidence
lines) and the state each instance is left in (reference sections 3, 5 and 6).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.errors import InputError
from analyzer.lifecycle import check
from analyzer.vocab.flows import FlowError

from . import logbuilder as lb

MAIN = Path(__file__).resolve().parents[2]

# Each operation after the operations that bring the instance to a state it is allowed from.
CHAINS = {
    "boot": ["boot"],
    "delete": ["boot", "delete"],
    "stop": ["boot", "stop"],
    "start": ["boot", "stop", "start"],
    "pause": ["boot", "pause"],
    "unpause": ["boot", "pause", "unpause"],
    "suspend": ["boot", "suspend"],
    "resume": ["boot", "suspend", "resume"],
    "rescue": ["boot", "rescue"],
    "unrescue": ["boot", "rescue", "unrescue"],
    "snapshot_cold": ["boot", "snapshot_cold"],
    "snapshot_live": ["boot", "snapshot_live"],
    "rebuild": ["boot", "rebuild"],
    "lock": ["boot", "lock"],
    "unlock": ["boot", "lock", "unlock"],
    "reboot_soft": ["boot", "reboot_soft"],
    "reboot_hard": ["boot", "reboot_hard"],
}
RECOGNIZED = {
    "shelve": ["boot", "shelve"],
    "unshelve": ["boot", "shelve", "unshelve"],
    "resize": ["boot", "resize"],
    "confirm_resize": ["boot", "resize", "confirm_resize"],
    "revert_resize": ["boot", "resize", "revert_resize"],
    "live_migration": ["boot", "live_migration"],
}

ACTIVE = ("active", "none", "running")
# (vm_state, task_state, power_state) each operation leaves, reference section 3.
FINAL = {
    "boot": ACTIVE,  # 3.1: (active, None, 1)
    "delete": ("deleted", "none", "pending"),  # 3.4: (deleted, None, 0); the late VM Stopped changes nothing
    "stop": ("stopped", "none", "shutdown"),  # 3.3: (stopped, None, 4)
    "start": ACTIVE,  # 3.2
    "pause": ("paused", "none", "paused"),  # 3.5: (paused, None, 3)
    "unpause": ACTIVE,
    "suspend": ("suspended", "none", "shutdown"),  # 3.6: managedSave leaves the domain SHUTOFF
    "resume": ACTIVE,
    "rescue": ("rescued", "none", "running"),  # 3.7
    "unrescue": ACTIVE,
    "snapshot_cold": ACTIVE,  # 3.8: vm and power unchanged, task None
    "snapshot_live": ACTIVE,
    "rebuild": ACTIVE,  # 3.9
    "lock": ACTIVE,  # 3.10: no state change
    "unlock": ACTIVE,
    "reboot_soft": ACTIVE,  # 3.11
    "reboot_hard": ACTIVE,
    "shelve": ("shelved_offloaded", "none", "shutdown"),  # 3.12, shelved_offload_time 0
    "unshelve": ACTIVE,
    "resize": ("resized", "none", "running"),  # 3.13
    "confirm_resize": ACTIVE,
    "revert_resize": ACTIVE,
    "live_migration": ACTIVE,  # 3.14: vm unchanged, task None, power refreshed on the destination
}


# ----------------------------------------------------------------------------- helpers


def run_check(tmp_path: Path, *items: object, **options: object) -> tuple[dict, lb.LogDir]:
    logs = lb.write_logs(tmp_path / "logs", *items)
    return check([logs.path], **options).as_dict(), logs  # type: ignore[arg-type]


def operations(result: dict, uuid: str | None = None) -> list[dict]:
    return [op for op in result["operations"] if uuid is None or op["instance"] == uuid]


def final_state(result: dict, uuid: str) -> tuple[str | None, ...]:
    state = result["instances"][uuid]["final_state"]
    return state["vm_state"], state["task_state"], state["power_state"]


def kinds(op: dict) -> list[str]:
    return [d["kind"] for d in op["deviations"]]


def describe(ops: list[dict]) -> str:
    """What a failing assertion shows: each operation, its status and deviations."""
    return "\n".join(f"{op['operation']} {op['status']}: "
                     + "; ".join(f"{d['kind']} {d['detail']}" for d in op["deviations"]) for op in ops)


def assert_points_at_log_lines(logs: lb.LogDir, evidence: list[dict]) -> None:
    """Every evidence entry names a file and a line of it that holds the quoted text."""
    assert evidence, "no evidence lines"
    for item in evidence:
        assert Path(item["source"]).parent == logs.path, item
        text = logs.text(item["source"], item["line"])
        assert item["text"].splitlines()[0] in text, (item, text)


def at_line(logs: lb.LogDir, line: lb.Line) -> tuple[str, int]:
    name, number = logs.where(line)
    return str(logs.path / name), number


def positions(evidence: list[dict]) -> set[tuple[str, int]]:
    return {(item["source"], item["line"]) for item in evidence}


# ----------------------------------------------------------------------------- conforming logs


@pytest.mark.parametrize("name", list(CHAINS))
def test_a_conforming_log_of_each_operation_is_ok_and_leaves_the_documented_state(tmp_path, name):
    uuid = lb.instance(1)
    built = lb.chain(uuid, CHAINS[name])

    result, logs = run_check(tmp_path, built)

    ops = operations(result)
    assert [op["operation"] for op in ops] == CHAINS[name], describe(ops)
    assert all(op["instance"] == uuid for op in ops)
    for op in ops:
        assert (op["status"], op["deviations"]) == ("ok", []), describe(ops)
    last = ops[-1]
    assert last["request_id"] == built[-1].request_id
    assert last["end"] is not None and last["duration_s"] is not None and last["duration_s"] > 0
    for step in last["steps"]:
        assert_points_at_log_lines(logs, step["evidence"])
    assert final_state(result, uuid) == FINAL[name]
    assert result["summary"]["statuses"] == {"ok": len(CHAINS[name])}
    assert sum(result["summary"]["deviations"].values()) == 0


@pytest.mark.parametrize("name", list(RECOGNIZED))
def test_operations_the_flows_only_recognize_are_named_and_move_the_state(tmp_path, name):
    uuid = lb.instance(2)
    built = lb.chain(uuid, RECOGNIZED[name])

    result, _ = run_check(tmp_path, built)

    ops = operations(result, uuid)
    last = ops[-1]
    assert (last["operation"], last["request_id"]) == (name, built[-1].request_id), describe(ops)
    assert last["end"] is not None, describe(ops)
    assert final_state(result, uuid) == FINAL[name], describe(ops)


def test_the_libvirt_lifecycle_events_of_a_boot_are_not_pause_or_unpause_operations(tmp_path):
    uuid = lb.instance(3)
    booted = lb.boot(uuid, vif_pause=True)  # VM Started, VM Paused, VM Resumed, all `[-]`
    paused = lb.pause(uuid, booted.end + 30)

    result, _ = run_check(tmp_path, booted, paused)

    ops = operations(result)
    assert [(op["operation"], op["status"]) for op in ops] == [("boot", "ok"), ("pause", "ok")], describe(ops)
    assert ops[1]["request_id"] == paused.request_id
    assert final_state(result, uuid) == FINAL["pause"]


def test_the_lifecycle_events_of_a_boot_alone_leave_it_active(tmp_path):
    uuid = lb.instance(3)

    result, _ = run_check(tmp_path, lb.boot(uuid, vif_pause=True))

    assert [(op["operation"], op["status"]) for op in operations(result)] == [("boot", "ok")]
    assert final_state(result, uuid) == ACTIVE


def test_interleaved_instances_each_get_their_own_operations(tmp_path):
    first, second = lb.instance(4), lb.instance(5)
    # the second instance's lines come 0.5 s after the first's: their `[-]` lines interleave
    ones = lb.chain(first, ["boot", "pause", "unpause"])
    twos = lb.chain(second, ["boot", "pause", "unpause", "stop"], start=0.5)

    result, _ = run_check(tmp_path, ones, twos)

    assert [(op["operation"], op["status"]) for op in operations(result, first)] == [
        ("boot", "ok"), ("pause", "ok"), ("unpause", "ok")], describe(operations(result))
    assert [(op["operation"], op["status"]) for op in operations(result, second)] == [
        ("boot", "ok"), ("pause", "ok"), ("unpause", "ok"), ("stop", "ok")], describe(operations(result))
    assert final_state(result, first) == ACTIVE
    assert final_state(result, second) == FINAL["stop"]


def test_an_info_only_log_does_not_miss_the_steps_logged_at_debug(tmp_path):
    uuid = lb.instance(6)
    names = ["boot", "pause", "unpause", "snapshot_cold", "rebuild", "delete"]
    built = [lb.Op(op.name, op.instance, op.request_id, [line for line in op.lines if line.level != "DEBUG"])
             for op in lb.chain(uuid, names)]

    result, _ = run_check(tmp_path, built)

    ops = operations(result)
    assert [(op["operation"], op["status"]) for op in ops] == [(n, "ok") for n in names], describe(ops)


# ----------------------------------------------------------------------------- deviations


def test_a_snapshot_without_its_qemu_img_convert_line_misses_the_convert_step(tmp_path):
    uuid = lb.instance(7)
    booted, snapshot = lb.chain(uuid, ["boot", "snapshot_cold"])
    snapshot = snapshot.without("convert")  # `Running cmd (subprocess): qemu-img convert …`

    result, logs = run_check(tmp_path, booted, snapshot)

    ops = operations(result)
    assert [op["operation"] for op in ops] == ["boot", "snapshot_cold"]
    op = ops[1]
    assert op["status"] == "deviation"
    assert kinds(op) == ["missing_step"], describe(ops)
    missing = op["deviations"][0]
    assert missing["step"] == "convert"
    assert "convert" in missing["detail"]
    assert_points_at_log_lines(logs, missing["evidence"])
    around = {line.message for line in snapshot.lines}
    assert all(item["text"] in around for item in missing["evidence"])  # lines of this snapshot
    assert all(item["source"].endswith("screen-n-cpu.txt") for item in missing["evidence"])
    assert final_state(result, uuid) == FINAL["snapshot_cold"]


def test_steps_out_of_order_are_reported_with_both_lines(tmp_path):
    uuid = lb.instance(8)
    booted = lb.boot(uuid)
    # block device mapping logged before the networks were started
    reordered = booted.moved("block_devices", to=booted.line("networking").t - 0.08)

    result, logs = run_check(tmp_path, reordered)

    op = operations(result)[0]
    assert (op["operation"], op["status"]) == ("boot", "deviation")
    assert kinds(op) == ["out_of_order"], describe([op])
    deviation = op["deviations"][0]
    assert deviation["step"] == "networking"
    assert positions(deviation["evidence"]) == {at_line(logs, reordered.line("block_devices")),
                                                at_line(logs, reordered.line("networking"))}
    assert_points_at_log_lines(logs, deviation["evidence"])


def test_a_traceback_in_the_middle_of_a_rebuild_is_an_error_with_its_lines(tmp_path):
    uuid = lb.instance(9)
    booted, rebuilt = lb.chain(uuid, ["boot", "rebuild"])
    broken = rebuilt.until("disk_returned")  # the domain never launches
    failed_at = broken.end + 2.2
    header = broken.line_like("rebuilding", "Setting instance vm_state to ERROR", t=failed_at,
                              level="ERROR", new_tag="error_header")
    frames = [
        (f"{lb.NOVA}/compute/manager.py", 6459, "_error_out_instance_on_exception", "yield"),
        (f"{lb.NOVA}/compute/manager.py", 2779, "rebuild_instance",
         "bdms, recreate, on_shared_storage, preserve_ephemeral)"),
        (f"{lb.NOVA}/compute/manager.py", 2704, "_rebuild_default_impl",
         "block_device_info=new_block_device_info)"),
        (f"{lb.NOVA}/virt/libvirt/driver.py", 2561, "spawn", "block_device_info=block_device_info)"),
        (f"{lb.NOVA}/virt/libvirt/guest.py", 137, "launch", "return self._domain.createWithFlags(flags)"),
        ("/usr/local/lib/python2.7/dist-packages/libvirt.py", 1059, "createWithFlags",
         "if ret == -1: raise libvirtError ('virDomainCreateWithFlags() failed', dom=self)"),
    ]
    trace = lb.traceback_lines(failed_at, "nova.compute.manager", uuid, frames,
                               "libvirtError: internal error: process exited while connecting to monitor")
    reverted = broken.line_like("rebuilding", "Successfully reverted task state from rebuild_spawning on "
                                "failure for instance.", t=failed_at + 0.05, new_tag="reverted")
    broken = broken.with_lines(header, *trace, reverted)

    result, logs = run_check(tmp_path, booted, broken)

    ops = operations(result)
    op = ops[1]
    assert op["operation"] == "rebuild"
    assert op["status"] == "failed", describe(ops)
    errors = [d for d in op["deviations"] if d["kind"] == "error"]
    assert errors, describe(ops)
    where = at_line(logs, trace[0])  # `Traceback (most recent call last):`
    assert any(where in positions(d["evidence"]) for d in errors), describe(ops)
    assert any("libvirtError" in d["detail"] for d in errors), describe(ops)
    for deviation in errors:
        assert_points_at_log_lines(logs, deviation["evidence"])
    assert final_state(result, uuid)[0] == "error"


def test_a_resume_of_an_active_instance_is_an_illegal_state(tmp_path):
    uuid = lb.instance(10)

    result, logs = run_check(tmp_path, lb.chain(uuid, ["boot", "resume"]))

    ops = operations(result)
    op = ops[1]
    assert op["operation"] == "resume"
    assert kinds(op) == ["illegal_state"], describe(ops)
    assert "active" in op["deviations"][0]["detail"] and "suspended" in op["deviations"][0]["detail"]
    assert op["status"] == "deviation"
    assert_points_at_log_lines(logs, op["deviations"][0]["evidence"])


def test_a_resume_the_api_refuses_with_409_is_an_illegal_state_and_failed(tmp_path):
    uuid = lb.instance(10)
    booted = lb.boot(uuid)
    refusal = lb.refused(uuid, booted.end + 10, "resume", {"resume": None},
                         f"Cannot 'resume' instance {uuid} while it is in vm_state active")

    result, logs = run_check(tmp_path, booted, refusal)

    ops = operations(result)
    assert [op["operation"] for op in ops] == ["boot", "resume"], describe(ops)
    op = ops[1]
    assert op["status"] == "failed"
    assert kinds(op) == ["illegal_state"], describe(ops)
    assert at_line(logs, refusal.line("refusal")) in positions(op["deviations"][0]["evidence"])
    assert final_state(result, uuid) == ACTIVE


def test_a_boot_that_never_finishes_is_incomplete(tmp_path):
    uuid = lb.instance(11)
    unfinished = lb.boot(uuid).until("disk_returned")

    result, _ = run_check(tmp_path, unfinished)

    op = operations(result)[0]
    assert (op["operation"], op["instance"]) == ("boot", uuid)
    assert op["status"] == "incomplete"
    assert kinds(op) == ["incomplete"], describe([op])  # the steps not reached yet are not "missing"
    assert op["end"] is None and op["duration_s"] is None
    assert final_state(result, uuid)[0] == "building"


def test_one_slow_spawn_among_fast_ones_is_slow_and_the_others_are_not(tmp_path):
    boots = [lb.boot(lb.instance(20 + n), at=25.0 * n, spawn_s=58.0 if n == 3 else 2.6 + 0.07 * n)
             for n in range(7)]
    slow_one = lb.instance(23)

    result, logs = run_check(tmp_path, boots)

    ops = operations(result)
    assert [op["operation"] for op in ops] == ["boot"] * 7
    flagged = {op["instance"] for op in ops if "slow" in kinds(op)}
    assert flagged == {slow_one}, describe(ops)
    slow = next(op for op in ops if op["instance"] == slow_one)
    assert set(kinds(slow)) == {"slow"}
    assert slow["status"] == "deviation"
    whole = [d for d in slow["deviations"] if "step" not in d]
    assert whole and "median" in whole[0]["detail"], describe([slow])
    for deviation in slow["deviations"]:
        assert_points_at_log_lines(logs, deviation["evidence"])
    assert all(op["status"] == "ok" for op in ops if op["instance"] != slow_one), describe(ops)


def test_operations_are_slow_only_against_those_of_the_same_log_folder(tmp_path):
    fast = [lb.boot(lb.instance(40 + n), at=25.0 * n, spawn_s=2.6 + 0.07 * n) for n in range(6)]
    slow = [lb.boot(lb.instance(50 + n), at=25.0 * n, spawn_s=58.0 + n) for n in range(3)]
    fast_logs = lb.write_logs(tmp_path / "fast_deployment", fast)
    slow_logs = lb.write_logs(tmp_path / "slow_deployment", slow)
    together = lb.write_logs(tmp_path / "one_deployment", fast, slow)

    apart = check([fast_logs.path, slow_logs.path]).as_dict()
    mixed = check([together.path]).as_dict()

    assert len(operations(apart)) == len(operations(mixed)) == 9
    assert all(op["status"] == "ok" for op in operations(apart)), describe(operations(apart))
    flagged = {op["instance"] for op in operations(mixed) if "slow" in kinds(op)}
    assert flagged == {lb.instance(50 + n) for n in range(3)}, describe(operations(mixed))


def test_a_resume_within_15_s_shows_the_suspend_had_ended_though_vm_stopped_never_came(tmp_path):
    uuid = lb.instance(60)
    ops = lb.chain(uuid, ["boot", "suspend", "resume", "pause"], gap=3.0,
                   options={"suspend": {"stopped": False}})
    result, logs = run_check(tmp_path, ops)

    assert [op["operation"] for op in operations(result)] == ["boot", "suspend", "resume", "pause"]
    assert all(op["status"] == "ok" for op in operations(result)), describe(operations(result))
    suspended = operations(result)[1]
    assert (suspended["state_after"]["vm_state"], suspended["state_after"]["power_state"]) == (
        "suspended", "shutdown")
    assert final_state(result, uuid) == ("paused", "none", "paused")


def test_a_suspend_with_no_vm_stopped_and_nothing_after_it_is_incomplete(tmp_path):
    uuid = lb.instance(61)
    ops = lb.chain(uuid, ["boot", "suspend"], gap=3.0, options={"suspend": {"stopped": False}})
    result, logs = run_check(tmp_path, ops)

    booted, suspending = operations(result)
    assert booted["status"] == "ok"
    assert suspending["status"] == "incomplete" and kinds(suspending) == ["incomplete"]


def test_a_rescuing_line_inside_a_reboot_is_an_unexpected_step(tmp_path):
    uuid = lb.instance(12)
    booted, rebooted = lb.chain(uuid, ["boot", "reboot_soft"])
    stray = rebooted.line_like("rebooting", "Rescuing", t=rebooted.line("rebooting").t + 1.0)
    rebooted = rebooted.with_lines(stray)

    result, logs = run_check(tmp_path, booted, rebooted)

    ops = operations(result)
    op = ops[1]
    assert op["operation"] == "reboot_soft", describe(ops)
    assert kinds(op) == ["unexpected_step"], describe(ops)
    assert positions(op["deviations"][0]["evidence"]) == {at_line(logs, stray)}
    assert op["status"] == "deviation"
    assert final_state(result, uuid) == ACTIVE


def test_an_action_on_a_locked_instance_refused_with_409_is_an_illegal_state_and_failed(tmp_path):
    uuid = lb.instance(13)
    booted, locked = lb.chain(uuid, ["boot", "lock"])
    refusal = lb.refused(uuid, locked.end + 10, "pause", {"pause": None}, f"Instance {uuid} is locked")

    result, logs = run_check(tmp_path, booted, locked, refusal)

    ops = operations(result)
    assert [op["operation"] for op in ops] == ["boot", "lock", "pause"], describe(ops)
    op = ops[2]
    assert op["status"] == "failed"
    assert kinds(op) == ["illegal_state"], describe(ops)
    evidence = positions(op["deviations"][0]["evidence"])
    assert at_line(logs, refusal.line("refusal")) in evidence
    assert at_line(logs, refusal.line("response")) in evidence  # the access line, status 409
    assert "locked" in op["deviations"][0]["detail"]
    assert final_state(result, uuid) == ACTIVE  # the pause never happened


def test_a_slow_threshold_calls_slow_what_takes_longer_and_nothing_else(tmp_path):
    uuid = lb.instance(14)
    built = lb.chain(uuid, ["boot", "pause"])
    logs = lb.write_logs(tmp_path / "logs", built)

    plain = check([logs.path]).as_dict()
    strict = check([logs.path], slow=2.0).as_dict()

    assert sum(plain["summary"]["deviations"].values()) == 0
    booted, paused = operations(strict)
    assert booted["duration_s"] > 2.0 > paused["duration_s"]
    assert kinds(paused) == []
    assert kinds(booted) and set(kinds(booted)) == {"slow"}
    assert all("--slow 2s" in d["detail"] for d in booted["deviations"])
    assert any("step" not in d for d in booted["deviations"])  # the boot as a whole
    assert strict["summary"]["deviations"]["slow"] == len(booted["deviations"])


def test_a_slow_threshold_must_be_positive(tmp_path):
    logs = lb.write_logs(tmp_path / "logs", lb.boot(lb.instance(14)))

    with pytest.raises(InputError, match="positive"):
        check([logs.path], slow=0)


# ----------------------------------------------------------------------------- the command line


def test_python_m_analyzer_check_exits_0_on_a_conforming_log(tmp_path):
    logs = lb.write_logs(tmp_path / "logs", lb.chain(lb.instance(15), ["boot", "pause", "unpause"]))

    done = subprocess.run([sys.executable, "-m", "analyzer", "check", str(logs.path)], cwd=MAIN,
                          capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert "every operation follows its flow" in done.stdout
    assert "boot" in done.stdout and "unpause" in done.stdout


def test_check_exits_1_and_lists_the_deviations(tmp_path, novatrace):
    uuid = lb.instance(16)
    booted, snapshot = lb.chain(uuid, ["boot", "snapshot_cold"])
    logs = lb.write_logs(tmp_path / "logs", booted, snapshot.without("convert"))

    result = novatrace("check", logs.path)

    assert result.exit_code == 1, result.stderr
    assert "missing_step" in result.stdout
    assert uuid in result.stdout
    assert "screen-n-cpu.txt:" in result.stdout  # evidence as file:line


def test_check_exits_2_on_a_missing_path(tmp_path, novatrace):
    result = novatrace("check", tmp_path / "no-such-logs")

    assert result.exit_code == 2
    assert "no-such-logs" in result.stderr
    assert result.stdout == ""


def test_check_exits_2_on_an_unknown_release(tmp_path, novatrace):
    logs = lb.write_logs(tmp_path / "logs", lb.boot(lb.instance(17)))

    result = novatrace("check", logs.path, "--release", "2013")

    assert result.exit_code == 2
    assert "2013" in result.stderr and "release" in result.stderr
    assert result.stdout == ""


def test_check_json_prints_one_object_with_instances_operations_and_summary(tmp_path, novatrace):
    uuid = lb.instance(18)
    logs = lb.write_logs(tmp_path / "logs", lb.chain(uuid, ["boot", "stop", "start"]))

    result = novatrace("check", logs.path, "--json")

    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"instances", "operations", "summary"}
    assert list(document["instances"]) == [uuid]
    assert [op["operation"] for op in document["operations"]] == ["boot", "stop", "start"]
    assert document["summary"]["operations"] == 3
    assert document == json.loads(json.dumps(check([logs.path]).as_dict()))


def test_check_slow_option_makes_deviations_and_exit_1(tmp_path, novatrace):
    logs = lb.write_logs(tmp_path / "logs", lb.chain(lb.instance(19), ["boot", "pause"]))

    result = novatrace("check", logs.path, "--slow", "2", "--json")

    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["summary"]["deviations"]["slow"] >= 1
    assert [kinds(op) == [] for op in document["operations"]] == [False, True]


def test_lifecycle_tells_the_story_of_the_instance_a_prefix_names(tmp_path, novatrace):
    uuid, other = lb.instance(30), lb.instance(31)
    built = lb.chain(uuid, ["boot", "rescue", "unrescue"])
    logs = lb.write_logs(tmp_path / "logs", built, lb.chain(other, ["boot", "stop"], start=3.0))

    result = novatrace("lifecycle", logs.path, "--instance", uuid[:8])

    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert f"instance {uuid}" in out
    assert other not in out
    for name in ("boot", "rescue", "unrescue"):
        assert f"{name} [ok]" in out
    assert out.index("boot [ok]") < out.index("rescue [ok]") < out.index("unrescue [ok]")
    assert "stop" not in out


def test_lifecycle_exits_2_for_an_instance_not_in_the_logs(tmp_path, novatrace):
    logs = lb.write_logs(tmp_path / "logs", lb.boot(lb.instance(32)))

    result = novatrace("lifecycle", logs.path, "--instance", "ffffffff")

    assert result.exit_code == 2
    assert "ffffffff" in result.stderr


# ----------------------------------------------------------------------------- flow spec errors

PAUSE_FLOW = """\
# a user's flow: pause only
flow pause "Pause: the guest stays in memory"
family pause
opened by api_action action=pause
allowed vm_state active
allowed task_state none
ends (paused, none, paused)

step request on api: api_action action=pause debug -> (=, pausing, =)
step pausing on compute: pause_start
step vm_paused on compute: lifecycle state=Paused async end -> (paused, none, paused)
"""


def _broken(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


# name -> (files of the --flows directory, the file named, its line, words of the message)
SPEC_ERRORS = {
    "syntax error": ({"pause.flow": _broken(PAUSE_FLOW, "compute: pause_start", "compute pause_start")},
                     "pause.flow", 10, "syntax error"),
    "unknown event": ({"pause.flow": _broken(PAUSE_FLOW, "pause_start", "pause_begin")},
                      "pause.flow", 10, "unknown event 'pause_begin'"),
    "unknown vm_state": ({"pause.flow": _broken(PAUSE_FLOW, "vm_state active", "vm_state actve")},
                         "pause.flow", 5, "unknown vm_state 'actve'"),
    "no end step": ({"pause.flow": _broken(PAUSE_FLOW, "async end", "async")},
                    "pause.flow", 2, "no step marked 'end'"),
    "duplicate flow": ({"a.flow": PAUSE_FLOW, "b.flow": PAUSE_FLOW}, "b.flow", 2, "already defined"),
}


def _spec_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    flows = tmp_path / "flows"
    flows.mkdir()
    for name, text in files.items():
        (flows / name).write_text(text, encoding="utf-8")
    return flows


def test_a_users_flow_directory_replaces_the_shipped_flows(tmp_path):
    uuid = lb.instance(40)
    flows = _spec_dir(tmp_path, {"pause.flow": PAUSE_FLOW})

    result, _ = run_check(tmp_path, lb.chain(uuid, ["boot", "pause"]), flows_dir=flows)

    assert [(op["operation"], op["status"]) for op in operations(result)] == [("pause", "ok")]


@pytest.mark.parametrize("case", list(SPEC_ERRORS))
def test_a_broken_flow_spec_names_its_file_and_line(tmp_path, case):
    files, named, line, words = SPEC_ERRORS[case]
    flows = _spec_dir(tmp_path, files)
    logs = lb.write_logs(tmp_path / "logs", lb.boot(lb.instance(41)))

    with pytest.raises(FlowError) as raised:
        check([logs.path], flows_dir=flows)

    message = str(raised.value)
    assert f"{flows / named}:{line}" in message
    assert words in message


@pytest.mark.parametrize("case", ["syntax error", "unknown event", "duplicate flow"])
def test_check_exits_2_on_a_broken_flow_spec_and_prints_where(tmp_path, novatrace, case):
    files, named, line, words = SPEC_ERRORS[case]
    flows = _spec_dir(tmp_path, files)
    logs = lb.write_logs(tmp_path / "logs", lb.boot(lb.instance(42)))

    result = novatrace("check", logs.path, "--flows", flows)

    assert result.exit_code == 2
    assert f"{flows / named}:{line}" in result.stderr
    assert words in result.stderr
    assert result.stdout == ""


def test_a_rebuild_of_a_stopped_instance_brings_it_back_to_stopped(tmp_path):
    # reference 3.9 step 5: spawned, then `bringing vm to original state: 'stopped'` and a stop
    uuid = lb.instance(11)
    ops = lb.chain(uuid, ["boot", "stop", "rebuild", "start"], options={"rebuild": {"stopped": True}})
    result, logs = run_check(tmp_path, *ops)
    found = operations(result)
    assert [op["operation"] for op in found] == ["boot", "stop", "rebuild", "start"], describe(found)
    rebuild = found[2]
    assert rebuild["status"] == "ok", describe(found)
    assert [s["step"] for s in rebuild["steps"]][-4:] == ["to_original_state", "stop_stopping",
                                                         "stop_shutting_down", "stop_shut_down"]
    assert rebuild["state_after"] == {"vm_state": "stopped", "task_state": "none", "power_state": "shutdown"}
    assert found[3]["status"] == "ok", describe(found)  # a start from stopped is admitted
    assert final_state(result, uuid) == ("active", "none", "running")


@pytest.mark.parametrize("name", ["boot", "rebuild", "rescue"])
def test_growing_the_new_disk_to_the_flavor_size_is_part_of_the_operation(tmp_path, name):
    # reference section 6, step 3: `qemu-img resize <disk> <root_gb*2^30>` after the qemu-img create
    uuid = lb.instance(12)
    ops = lb.chain(uuid, ["boot", name] if name != "boot" else ["boot"])
    tag = "rescue_disk" if name == "rescue" else "disk"
    last = ops[-1]
    created = last.line(tag)
    disk = created.message.split()[-1]
    grow = last.line_like(tag, f"Running cmd (subprocess): qemu-img resize {disk} 1073741824",
                          new_tag="grow", t=created.t + 0.05)
    grown = last.line_like(tag, f'CMD "qemu-img resize {disk} 1073741824" returned: 0 in 0.021s',
                           new_tag="grow_returned", t=created.t + 0.071)
    ops[-1] = last.with_lines(grow, grown)
    result, logs = run_check(tmp_path, *ops)
    op = operations(result)[-1]
    assert op["operation"] == name
    assert op["status"] == "ok", describe(operations(result))
    assert "grow" in [s["step"] for s in op["steps"]]


def test_a_cold_snapshot_of_a_stopped_instance_shows_no_lifecycle_event_and_is_ok(tmp_path):
    # reference 3.8 step 3: only a running or paused domain is saved and re-created
    uuid = lb.instance(13)
    booted, stopped, snapshot = lb.chain(uuid, ["boot", "stop", "snapshot_cold"])
    quiet = snapshot.without("vm_paused", "vm_started", "vm_resumed")
    result, logs = run_check(tmp_path, booted, stopped, quiet)
    found = operations(result)
    assert [op["operation"] for op in found] == ["boot", "stop", "snapshot_cold"], describe(found)
    assert found[2]["status"] == "ok", describe(found)
    assert final_state(result, uuid) == ("stopped", "none", "shutdown")


def test_an_action_right_after_the_spawn_is_admitted_before_the_boots_last_line(tmp_path):
    # reference 3.1 steps 8-10: Nova saves (active, none, running) after `Took … to spawn` and
    # only then logs `Took … to build instance.`; a client polling for ACTIVE acts in between
    uuid = lb.instance(15)
    booted = lb.boot(uuid)
    spawn_took, build_took = booted.line("spawn_took").t, booted.line("build_took").t
    assert build_took - spawn_took > 0.002
    paused = lb.pause(uuid, at=round(spawn_took + (build_took - spawn_took) / 2, 3))
    result, logs = run_check(tmp_path, booted, paused)
    found = operations(result)
    assert [op["operation"] for op in found] == ["boot", "pause"], describe(found)
    assert found[1]["state_before"]["vm_state"] == "active", describe(found)
    assert found[1]["status"] == "ok", describe(found)
    assert final_state(result, uuid) == ("paused", "none", "paused")
