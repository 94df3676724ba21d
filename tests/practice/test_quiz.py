"""The quiz: generated logs with the operation hidden, graded answers, a score."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.errors import InputError
from analyzer.practice import messages
from analyzer.practice.quiz import explain, grade, make_quiz


@pytest.fixture(scope="module")
def questions():
    return make_quiz(seed=11, count=2)


@pytest.fixture(scope="module")
def other_seed():
    return make_quiz(seed=12, count=2)


def _wrong_operation(question) -> str:
    return "pause" if question.exercise != "pause" else "suspend"


def test_right_answer_gets_both_points(questions):
    for question in questions:
        result = grade(question, question.answer)
        assert result.operation_right and result.order_right and result.points == 2


def test_wrong_operation_and_wrong_order_are_graded_and_explained(questions):
    question = questions[0]
    reversed_order = ",".join(reversed(question.order))
    result = grade(question, f"{_wrong_operation(question)}:{reversed_order}")
    assert not result.operation_right and not result.order_right and result.points == 0
    text = explain(question, result, messages("en"))
    assert f"operation: wrong, it is {question.exercise}" in text
    assert f"order: wrong, it is {','.join(question.order)}" in text
    # each step is explained with the number of the line that shows it
    for step in question.steps:
        assert f"{step.letter}) {step.step} ({step.service}), #{step.line}:" in text


def test_right_operation_wrong_order_gets_one_point(questions):
    question = questions[1]
    result = grade(question, f"{question.exercise}:{question.order[::-1]}")
    assert result.operation_right and not result.order_right and result.points == 1


def test_an_alias_names_the_operation(questions):
    question = next((q for q in questions if q.exercise in ("shutoff", "launch", "terminate")), None)
    if question is None:
        question = questions[0]
    aliases = {"shutoff": "stop", "launch": "boot", "terminate": "delete"}
    alias = aliases.get(question.exercise, question.exercise)
    assert grade(question, f"{alias}:{question.order}").points == 2


@pytest.mark.parametrize("answer", ["pause", "fly:a,b", ""])
def test_unreadable_answers_are_refused(questions, answer):
    with pytest.raises(InputError):
        grade(questions[0], answer)


def test_the_log_hides_the_operation_and_carries_noise(questions):
    for question in questions:
        noise = [line for line in question.lines if line.noise]
        assert 3 <= len(noise) <= 7
        shape = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \d+ (INFO|DEBUG) ")
        assert all(shape.match(line.text) for line in noise)
        # the steps asked about are on the lines the explanation cites
        for step in question.steps:
            assert not question.lines[step.line - 1].noise
        times = [line.text[:23] for line in question.lines]
        assert times == sorted(times)


def test_the_same_seed_asks_the_same_and_another_seed_differs(questions, other_seed):
    again = make_quiz(seed=11, count=2)
    assert [(q.exercise, q.order, [s.step for s in q.steps]) for q in again] == \
        [(q.exercise, q.order, [s.step for s in q.steps]) for q in questions]
    # the same noise (its times follow the replayed operation's own, which vary from run to run)
    assert [line.text[23:] for line in again[0].lines if line.noise] == [
        line.text[23:] for line in questions[0].lines if line.noise]
    uuid = re.compile(r"instance: ([0-9a-f-]{36})")

    def instances(qs):
        return {m.group(1) for q in qs for line in q.lines if (m := uuid.search(line.text))}

    assert instances(questions) and instances(questions).isdisjoint(instances(other_seed))
    assert [line.text[:23] for line in questions[0].lines] != [line.text[:23] for line in other_seed[0].lines]


def test_quiz_command_non_interactive_scores_the_answers(questions):
    right, = make_quiz(seed=11, count=1)
    runner = CliRunner()
    quiz = ["practice", "quiz", "--seed", "11", "--count", "1"]
    result = runner.invoke(app, [*quiz, "--answer", right.answer])
    assert result.exit_code == 0, result.output
    assert "operation: right" in result.output and "order: right" in result.output
    assert result.output.rstrip().endswith("score: 2 of 2")
    wrong = f"{_wrong_operation(right)}:{right.order[::-1]}"
    result = runner.invoke(app, [*quiz, "--answer", wrong])
    assert result.exit_code == 0
    assert result.output.rstrip().endswith("score: 0 of 2")


def test_quiz_command_asks_the_operation_then_the_order(questions):
    right, = make_quiz(seed=11, count=1)
    letters = ",".join(right.order)
    result = CliRunner().invoke(app, ["practice", "quiz", "--seed", "11", "--count", "1"],
                                input=f"fly\n{right.exercise}\nzz\n{letters}\n")
    assert result.exit_code == 0, result.output
    output = result.output
    assert "unknown exercise 'fly'" in output and "give each of the letters" in output
    # the steps are shown only once the operation is named
    assert output.index(f"operation: {right.exercise}") < output.index(f"{right.steps[0].letter}) ")
    assert output.rstrip().endswith("score: 2 of 2")


def test_quiz_command_refuses_a_bad_answer_in_one_line():
    result = CliRunner().invoke(app, ["practice", "quiz", "--seed", "1", "--count", "1", "--answer", "fly:a"])
    assert result.exit_code == 2
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("novatrace: error: cannot read the answer 'fly:a'")
    result = CliRunner().invoke(app, ["practice", "quiz", "--count", "2", "--answer", "pause:a"])
    assert result.exit_code == 2 and "--answer given 1 times for 2 questions" in result.output
