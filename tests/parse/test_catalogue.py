"""The event catalogue against `catalogue_cases.txt`, and the coverage of that file.

Every event rule and every top-level alternative of every `grammars/events_*.lark`
must have at least one case, so the catalogue cannot grow untested.  The case file
format is described at its top.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from analyzer.parse.grammar import catalogue

CASES_FILE = Path(__file__).with_name("catalogue_cases.txt")


@dataclass
class Case:
    event: str
    note: str
    message: str
    line: int
    negative: bool = False
    fields: dict[str, object] = field(default_factory=dict)

    @property
    def label(self) -> str:
        sign = "not " if self.negative else ""
        return f"L{self.line}:{sign}{self.event}" + (f"[{self.note}]" if self.note else "")


def _value(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return text


def load_cases(path: Path = CASES_FILE) -> list[Case]:
    """Parse the case file: `# [!]event [note]`, message, `> ` continuations, `field=value`."""
    cases: list[Case] = []
    current: Case | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            current = None
            continue
        if line.startswith("## "):  # a comment, not a case
            continue
        if line.startswith("# ") and current is None:
            head = line[2:].strip()
            name, _, note = head.partition(" ")
            negative = name.startswith("!")
            current = Case(name.lstrip("!"), note.strip("[] "), "", number, negative)
            cases.append(current)
            continue
        if current is None:
            raise ValueError(f"{path.name}:{number}: text outside a case: {line!r}")
        if current.message == "":
            current.message = line
        elif line.startswith("> "):
            current.message += "\n" + line[2:]
        elif "=" in line and not current.negative:
            name, _, value = line.partition("=")
            current.fields[name.strip()] = _value(value)
        else:
            raise ValueError(f"{path.name}:{number}: expected `field=value`: {line!r}")
    for case in cases:
        if not case.message:
            raise ValueError(f"{path.name}:{case.line}: case without a message")
    return cases


CASES = load_cases()
POSITIVE = [case for case in CASES if not case.negative]
NEGATIVE = [case for case in CASES if case.negative]


@pytest.mark.parametrize("case", POSITIVE, ids=[case.label for case in POSITIVE])
def test_message_matches_event(case: Case) -> None:
    found = catalogue().match(case.message)
    assert found is not None, f"no event matches {case.message!r}"
    event, fields = found
    assert event == case.event, f"{case.message!r} matched {event}, not {case.event}"
    for name, expected in case.fields.items():
        assert name in fields, f"field {name} missing; got {fields}"
        assert fields[name] == expected, f"field {name}: {fields[name]!r} != {expected!r}"


@pytest.mark.parametrize("case", NEGATIVE, ids=[case.label for case in NEGATIVE])
def test_message_does_not_match_event(case: Case) -> None:
    found = catalogue().match(case.message)
    assert found is None or found[0] != case.event, f"{case.message!r} must not be {case.event}"
    patterns = [p for p in catalogue().patterns if p.event == case.event]
    assert patterns, f"negative case names unknown event {case.event}"
    assert not any(p.regex.fullmatch(case.message) for p in patterns)


def _branch_hit(message: str, event: str) -> set[int]:
    """Alternatives of `event` that the matcher would use for `message` (the first one wins)."""
    for pattern in catalogue().candidates(message.split(" ", 1)[0]):
        if pattern.regex.fullmatch(message):
            return {pattern.branch} if pattern.event == event else set()
    return set()


def test_every_event_and_alternative_has_a_case() -> None:
    cat = catalogue()
    covered_events = {case.event for case in POSITIVE}
    missing_events = [
        f"{family}.{event}"
        for family, events in cat.families.items()
        for event in events
        if event not in covered_events
    ]
    covered: set[tuple[str, int]] = set()
    for case in POSITIVE:
        covered |= {(case.event, branch) for branch in _branch_hit(case.message, case.event)}
    missing_branches = [
        f"{p.event} alternative {p.branch} ({p.where})"
        for p in cat.patterns
        if (p.event, p.branch) not in covered
    ]
    assert not missing_events, f"events without a case: {missing_events}"
    assert not missing_branches, f"alternatives without a case: {missing_branches}"


def test_cases_name_known_events() -> None:
    known = set(catalogue().events)
    unknown = sorted({case.event for case in CASES} - known)
    assert not unknown, f"cases name events the catalogue does not have: {unknown}"


def test_some_negative_cases_exist() -> None:
    assert len(NEGATIVE) >= 5
