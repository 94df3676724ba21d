"""The catalogue of practice exercises and the message catalogues, both read from data files.

``exercises.yaml`` says what each exercise replays and which of Nova's steps leave no line
the flow specs check; ``messages/<lang>.yaml`` holds every text a learner reads (English
and Chinese).  Both are read with YAML's base loader: every scalar stays a string, so no
``on``/``off`` or number is ever coerced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from analyzer.errors import InputError

__all__ = ["LANGS", "Catalogue", "Exercise", "Extra", "Messages", "catalogue", "messages"]

LANGS = ("en", "zh")
_HERE = Path(__file__).parent


@dataclass(frozen=True)
class Exercise:
    """One exercise: the scenario to replay (prerequisites first) and the operations practised."""

    name: str
    scenario: tuple[str, ...]
    practise: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    proof: str | None = None
    sides: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the comparison's instances

    @property
    def is_comparison(self) -> bool:
        return bool(self.sides)


@dataclass(frozen=True)
class Extra:
    """A step of Nova's flow the specs do not check: an RPC line (`message`) or none (`silent`)."""

    name: str
    kind: str  # message | silent
    flows: tuple[str, ...]
    after: tuple[str, ...]  # the first of these steps present; "*" = at the end
    service: str
    event: str | None = None
    topic: str | None = None  # a topic, or a prefix when it ends with "."
    proofs: tuple[str, ...] = ()

    def fits_topic(self, topic: str | None) -> bool:
        if self.topic is None:
            return True
        if topic is None:
            return False
        return topic.startswith(self.topic) if self.topic.endswith(".") else topic == self.topic


@dataclass(frozen=True)
class Catalogue:
    exercises: tuple[Exercise, ...]
    proofs: dict[str, tuple[tuple[str, int | None], ...]]
    checked_as: dict[str, dict[str, str]]
    extras: tuple[Extra, ...]

    def find(self, name: str) -> Exercise:
        """The exercise called ``name`` (or one of its aliases); InputError names the known ones."""
        wanted = name.strip().lower()
        for exercise in self.exercises:
            if wanted == exercise.name or wanted in exercise.aliases:
                return exercise
        known = ", ".join(e.name for e in self.exercises)
        raise InputError(f"unknown exercise {name!r}; choose one of {known}")

    def flow_name(self, operation: str, style: str) -> str:
        """The flow `novatrace check` names a scenario operation by, in logs of ``style``."""
        return self.checked_as.get(operation, {}).get(style, operation)

    def extras_for(self, flow: str) -> list[Extra]:
        return [extra for extra in self.extras if flow in extra.flows]


def _tuple(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (str(value),)


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The exercises of ``exercises.yaml`` (read once per process)."""
    data = yaml.load((_HERE / "exercises.yaml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    exercises = [Exercise(name=item["name"], scenario=_tuple(item["scenario"]),
                          practise=_tuple(item["practise"]), aliases=_tuple(item.get("aliases")),
                          proof=item.get("proof")) for item in data["exercises"]]
    compare = data["compare"]
    sides = {side: _tuple(ops) for side, ops in compare["sides"].items()}
    exercises.append(Exercise(name=compare["name"], aliases=_tuple(compare.get("aliases")), sides=sides,
                              scenario=(), practise=tuple(op for ops in sides.values() for op in ops[1:])))
    proofs = {name: tuple((step["op"], int(step["expect"]) if "expect" in step else None) for step in steps)
              for name, steps in data["proofs"].items()}
    extras = tuple(Extra(name=item["name"], kind=item["kind"], flows=_tuple(item["flows"]),
                         after=tuple(str(item["after"]).split("|")), service=item["service"],
                         event=item.get("event"), topic=item.get("topic"), proofs=_tuple(item.get("proofs")))
                   for item in data["extras"])
    return Catalogue(tuple(exercises), proofs, data["checked_as"], extras)


class Messages:
    """The texts of one language; a text missing there falls back to English."""

    def __init__(self, lang: str, table: dict, fallback: dict | None) -> None:
        self.lang = lang
        self._table = table
        self._fallback = fallback or {}

    def get(self, section: str, key: str, **values: object) -> str | None:
        text = self._table.get(section, {}).get(key)
        if text is None:
            text = self._fallback.get(section, {}).get(key)
        if text is None:
            return None
        return " ".join(text.split()).format(**values) if values else " ".join(text.split())

    def __call__(self, section: str, key: str, **values: object) -> str:
        text = self.get(section, key, **values)
        if text is None:
            raise KeyError(f"messages/{self.lang}.yaml has no {section}.{key}")
        return text

    def step(self, flow: str, step: str) -> str | None:
        """The explanation of a flow's step: ``flow.step`` when the flow has its own, else ``step``."""
        return self.get("steps", f"{flow}.{step}") or self.get("steps", step)

    def keys(self, section: str) -> set[str]:
        return set(self._table.get(section, {}))


@lru_cache(maxsize=len(LANGS))
def _table(lang: str) -> dict:
    path = _HERE / "messages" / f"{lang}.yaml"
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)


def messages(lang: str) -> Messages:
    """The message catalogue of ``lang`` (en or zh); InputError for another language."""
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}")
    return Messages(lang, _table(lang), _table("en") if lang != "en" else None)
