"""The message catalogues: every text the exercises need, in English and in Chinese."""

from __future__ import annotations

import re

import pytest

from analyzer.errors import InputError
from analyzer.lifecycle import flows_from
from analyzer.practice.catalog import LANGS, catalogue, messages

_FLOWS = {flow.name: flow for flow in flows_from(None)}


def _practised_flows() -> set[str]:
    known = catalogue()
    names = set()
    for exercise in known.exercises:
        operations = list(exercise.scenario) + [op for ops in exercise.sides.values() for op in ops]
        for op in operations:
            names |= {known.flow_name(op, style) for style in ("2016", "current")}
    return names


@pytest.mark.parametrize("lang", LANGS)
def test_every_step_of_every_exercise_flow_is_explained(lang):
    text = messages(lang)
    own = text.keys("steps")
    missing = [f"{name}.{step.name}" for name in sorted(_practised_flows()) for step in _FLOWS[name].steps
               if f"{name}.{step.name}" not in own and step.name not in own]
    assert missing == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_exercise_extra_and_proof_has_its_text(lang):
    text = messages(lang)
    for exercise in catalogue().exercises:
        assert {f"{exercise.name}.title", f"{exercise.name}.line"} <= text.keys("exercises")
    assert {extra.name for extra in catalogue().extras} <= text.keys("extras")
    assert {kind for extra in catalogue().extras for kind in extra.proofs} <= text.keys("proofs")


def test_chinese_has_every_key_english_has_with_the_same_placeholders():
    en, zh = messages("en"), messages("zh")
    for section in ("ui", "exercises", "steps", "extras", "proofs", "compare", "quiz"):
        assert en.keys(section) - zh.keys(section) == set(), section
        for key in en.keys(section):
            placeholders = set(re.findall(r"{(\w+)", en(section, key)))
            assert placeholders == set(re.findall(r"{(\w+)", zh(section, key))), (section, key)


def test_extras_name_steps_and_flows_that_exist():
    for extra in catalogue().extras:
        for flow in extra.flows:
            assert flow in _FLOWS, (extra.name, flow)
            names = {step.name for step in _FLOWS[flow].steps} | {e.name for e in catalogue().extras}
            assert extra.after == ("*",) or set(extra.after) & names, (extra.name, flow, extra.after)


def test_unknown_language_is_an_input_error():
    with pytest.raises(InputError, match="unknown language 'fr'"):
        messages("fr")
