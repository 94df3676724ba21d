"""practice sits on the library and under the command line (STYLE.md, one-way doors)."""

from __future__ import annotations

from pathlib import Path

import analyzer
from analyzer import practice

ROOT = Path(analyzer.__file__).resolve().parent



def test_public_names_are_listed_and_exist():
    expected = {"show", "Shown", "list_text", "make_quiz", "grade", "explain", "messages"}
    assert expected <= set(practice.__all__)
    for name in practice.__all__:
        assert hasattr(practice, name), name


def test_practice_never_imports_the_command_line(imports_of):
    for path in (ROOT / "practice").rglob("*.py"):
        for name in imports_of(path):
            assert not name.startswith(("typer", "rich", "analyzer.cli")), f"{path}: {name}"


def test_only_the_command_line_imports_practice(imports_of):
    for path in ROOT.rglob("*.py"):
        if path.parent.name == "practice" or path.name in ("cli.py", "cli_practice.py"):
            continue
        assert not any(name.startswith("analyzer.practice") for name in imports_of(path)), path
