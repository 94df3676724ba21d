"""analyzer.fromlog's place: it stands on lifecycle and replay, and nothing but the CLI stands on it."""

from __future__ import annotations

import ast
from pathlib import Path

import analyzer
import analyzer.fromlog

PACKAGE = Path(analyzer.__file__).resolve().parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_the_cli_imports_fromlog() -> None:
    for module in PACKAGE.rglob("*.py"):
        if module.is_relative_to(PACKAGE / "fromlog") or module == PACKAGE / "cli.py":
            continue
        offending = {name for name in _imports(module) if name.startswith("analyzer.fromlog")}
        assert not offending, f"{module.relative_to(PACKAGE)} imports {offending}"


def test_the_public_names_are_listed() -> None:
    assert set(analyzer.fromlog.__all__) == {"Comparison", "NotReplayed", "OperationDiff", "Plan",
                                             "ReplayProgress", "plan", "replay_from_log"}
    for name in analyzer.fromlog.__all__:
        assert hasattr(analyzer.fromlog, name)
