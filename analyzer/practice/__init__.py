"""Practice exercises on Nova logs (`novatrace practice`).

    >>> from analyzer import practice
    >>> shown = practice.show("unrescue", "practice/unrescue")     # doctest: +SKIP
    >>> print(shown.text)                                           # doctest: +SKIP

`show` replays an exercise on a fresh mini-Nova (prerequisites first), writes the raw service
logs to ``DIR/logs``, checks them, and builds the walkthrough: each documented step of the
flow beside the log lines that show it, for the terminal and as ``DIR/walkthrough.html``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analyzer.practice.catalog import LANGS, catalogue, messages
from analyzer.practice.compare import Comparison, compare
from analyzer.practice.page import write_page
from analyzer.practice.quiz import Question, explain, grade, make_quiz
from analyzer.practice.runner import DRIVER_CHOICES, STYLE_CHOICES, Run, run_exercise
from analyzer.practice.text import comparison_text, exercise_list, walkthrough_text
from analyzer.practice.walkthrough import Walkthrough, build

__all__ = ["DRIVER_CHOICES", "LANGS", "STYLE_CHOICES", "Question", "Shown", "explain", "grade", "list_text",
           "make_quiz", "messages", "show"]

PAGE_NAME = "walkthrough.html"


@dataclass
class Shown:
    run: Run
    walkthrough: Walkthrough
    comparison: Comparison | None
    page: Path
    text: str


def list_text(lang: str = "en") -> str:
    """Every exercise with its one-line description, the user's list first."""
    return exercise_list(catalogue(), messages(lang))


def show(name: str, out_dir: str | Path, *, driver: str = "fake", style: str = "2016",
         lang: str = "en") -> Shown:
    """Run exercise ``name`` into ``out_dir`` and build its walkthrough (text and HTML page)."""
    text = messages(lang)
    exercise = catalogue().find(name)
    run = run_exercise(exercise, out_dir, style=style, driver=driver)
    walk = build(run, text)
    comparison = compare(run, walk) if exercise.is_comparison else None
    page = write_page(walk, text, Path(out_dir) / PAGE_NAME, comparison)
    body = walkthrough_text(walk, text)
    if comparison is not None:
        body = comparison_text(comparison, text) + "\n\n" + body
    return Shown(run, walk, comparison, page, body)
