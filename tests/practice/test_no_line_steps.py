"""Steps Nova performs without a log line: lock and unlock (database only), suspend (no compute
line), stop (no compute-manager INFO line), and what the walkthrough shows instead."""

from __future__ import annotations


def _step(result, flow: str, name: str):
    op = next(op for op in result.walkthrough.practised if op.flow == flow)
    return next(step for step in op.steps if step.name == name)


def _proof(step, kind: str):
    return next(proof for proof in step.proofs if proof.kind == kind)


def test_lock_is_proved_by_the_access_line_and_a_409_on_the_locked_instance(shown):
    result = shown("lock")
    step = _step(result, "lock", "db_lock")
    assert step.kind == "silent" and not step.lines
    access = _proof(step, "access_line").lines
    assert len(access) == 1 and "/action HTTP/1.1" in access[0].text and "status: 202" in access[0].text
    refusal = _proof(step, "refusal")
    texts = [line.text for line in refusal.lines]
    assert any("HTTP exception thrown: Instance" in text and "is locked" in text for text in texts)
    assert any("status: 409" in text for text in texts)
    assert all(line.file == "proof/logs/nova-api.log" for line in refusal.lines)
    # the compute log has no line of the lock request
    request = next(op.request_id for op in result.walkthrough.practised if op.flow == "lock")
    compute = (result.run.log_dir / "nova-compute.log").read_text()
    assert request not in compute


def test_2016_lock_has_no_instance_action_and_current_lock_has_one(shown):
    old = _proof(_step(shown("lock"), "lock", "db_lock"), "instance_action")
    assert not old.lines and "Nova 13" in old.text
    new_result = shown("lock", "current")
    new = _proof(_step(new_result, "lock", "db_lock"), "instance_action")
    request = next(op.request_id for op in new_result.walkthrough.practised if op.flow == "lock")
    assert "'lock'" in new.text and request in new.text


def test_unlock_is_proved_by_the_same_action_accepted_again(shown):
    step = _step(shown("unlock"), "unlock", "db_unlock")
    accepted = _proof(step, "accepted").lines
    assert any("status: 202" in line.text for line in accepted)
    assert any(line.text == "Pausing" and line.file == "proof/logs/nova-compute.log" for line in accepted)


def test_suspend_has_no_compute_line_and_is_proved_by_events_disk_and_status(shown):
    result = shown("suspend")
    step = _step(result, "suspend", "suspend_compute")
    assert [line.text for line in _proof(step, "lifecycle").lines] == [
        "VM Paused (Lifecycle Event)", "VM Stopped (Lifecycle Event)"]
    assert "managed.save" in _proof(step, "saved_to_disk").text
    assert "SUSPENDED" in _proof(step, "server_status").text
    compute = (result.run.log_dir / "nova-compute.log").read_text()
    assert "Suspending" not in compute


def test_stop_has_no_compute_manager_info_line(shown):
    result = shown("shutoff")
    step = _step(result, "stop", "stop_no_info")
    debug = _proof(step, "debug_line").lines
    assert len(debug) == 1 and debug[0].level == "DEBUG" and debug[0].text.startswith("Stopping instance;")
    assert "SHUTOFF" in _proof(step, "server_status").text
    request = next(op.request_id for op in result.walkthrough.practised if op.flow == "stop")
    manager_info = [line for line in (result.run.log_dir / "nova-compute.log").read_text().splitlines()
                    if request in line and " INFO nova.compute.manager " in line]
    assert manager_info == []
