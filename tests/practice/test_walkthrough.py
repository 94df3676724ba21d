"""`practice show` on every exercise: the logs hold exactly the exercise, check finds no deviation,
and every documented step of the walkthrough is matched to real log lines or marked as leaving none."""

from __future__ import annotations

import pytest

from analyzer.practice.catalog import catalogue

EXERCISES = [exercise.name for exercise in catalogue().exercises if not exercise.is_comparison]
YOUR_LIST = ["lock", "unlock", "soft-reboot", "hard-reboot", "shutoff", "suspend", "resume", "unrescue"]


def test_the_users_list_comes_first_then_the_other_operations():
    names = [exercise.name for exercise in catalogue().exercises]
    assert names[: len(YOUR_LIST)] == YOUR_LIST
    assert names[len(YOUR_LIST):] == ["launch", "start", "terminate", "pause", "unpause", "rescue",
                                      "snapshot", "rebuild", "pause-vs-suspend"]


@pytest.mark.parametrize("name", EXERCISES)
def test_check_finds_exactly_the_exercise_and_its_prerequisites(shown, name):
    result = shown(name)
    exercise = result.run.exercise
    expected = [catalogue().flow_name(op, "2016") for op in exercise.scenario]
    checked = result.run.result.checked
    assert [item.flow.name for item in checked] == expected
    assert [item.status for item in checked] == ["ok"] * len(expected)
    assert result.run.result.deviation_count == 0
    assert len(result.run.result.stories) == 1


@pytest.mark.parametrize("name", EXERCISES)
def test_every_documented_step_is_matched_or_marked_as_leaving_none(shown, name):
    walk = shown(name).walkthrough
    practised = walk.practised
    assert [op.flow for op in practised] == shown(name).run.practised
    for op in practised:
        flow = next(item.flow for item in shown(name).run.result.checked if item.flow.name == op.flow)
        spec_steps = [step.name for step in flow.steps_for("2016")]
        assert [step.name for step in op.steps if step.kind == "flow"] == spec_steps
        unaccounted = [step.name for step in op.steps if not step.accounted]
        assert unaccounted == []
        required = [step for step in op.steps if step.kind == "flow" and "optional" not in step.flags]
        assert all(step.lines for step in required), [step.name for step in required if not step.lines]
        for step in op.steps:
            if step.kind == "silent":
                assert step.no_line and step.proofs and all(proof.text for proof in step.proofs)


@pytest.mark.parametrize("name", EXERCISES)
def test_cited_lines_are_in_the_files_at_those_line_numbers(shown, name):
    result = shown(name)
    files: dict[str, list[str]] = {}
    cited = [line for op in result.walkthrough.operations for step in op.steps
             for line in step.lines + [line for proof in step.proofs for line in proof.lines]]
    assert cited
    for line in cited:
        if line.file not in files:
            path = result.walkthrough.out_dir / line.file
            files[line.file] = path.read_text(encoding="utf-8").splitlines()
        raw = files[line.file][line.line - 1]
        assert line.text.split("\n")[0] in raw, (line.where, line.text, raw)
        assert raw.startswith(line.time), (line.where, line.time)


@pytest.mark.parametrize("name", EXERCISES)
def test_page_and_raw_logs_are_written(shown, name):
    result = shown(name)
    out = result.walkthrough.out_dir
    assert result.page == out / "walkthrough.html"
    assert {path.name for path in (out / "logs").glob("*.log")} == {
        "nova-api.log", "nova-scheduler.log", "nova-conductor.log", "nova-compute.log"}
    page = result.page.read_text(encoding="utf-8")
    for op in result.walkthrough.practised:
        for step in op.steps:
            assert f"<code>{step.name}</code>" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page


def test_current_style_snapshot_is_the_live_flow(shown):
    result = shown("snapshot", "current")
    assert [item.flow.name for item in result.run.result.checked] == ["boot", "snapshot_live"]
    assert result.run.result.deviation_count == 0
    assert all(step.accounted for op in result.walkthrough.practised for step in op.steps)


@pytest.mark.parametrize("name", YOUR_LIST)
def test_current_wording_too_every_step_of_your_list_is_accounted_for(shown, name):
    result = shown(name, "current")
    expected = [catalogue().flow_name(op, "current") for op in result.run.exercise.scenario]
    assert [item.flow.name for item in result.run.result.checked] == expected
    assert result.run.result.release == "current" and result.run.result.deviation_count == 0
    assert all(step.accounted for op in result.walkthrough.practised for step in op.steps)


def test_a_later_exercise_in_the_same_directory_leaves_no_stale_demonstration(tmp_path):
    from analyzer import practice

    practice.show("lock", tmp_path)
    assert list((tmp_path / "proof" / "logs").glob("*.log"))
    practice.show("pause", tmp_path)
    assert not list((tmp_path / "proof" / "logs").glob("*.log"))
    assert "Pausing" in (tmp_path / "logs" / "nova-compute.log").read_text()
    assert "Locking" not in (tmp_path / "logs" / "nova-api.log").read_text()
