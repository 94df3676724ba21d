"""analyzer.fromlog's place: it stands on lifecycle and replay, and nothing but the CLI stands on it."""

from __future__ import annotations

from pathlib import Path

import analyzer
import analyzer.fromlog

PACKAGE = Path(analyzer.__file__).resolve().parent



def test_only_the_cli_imports_fromlog(imports_of) -> None:
    for module in PACKAGE.rglob("*.py"):
        if module.is_relative_to(PACKAGE / "fromlog") or module == PACKAGE / "cli.py":
            continue
        offending = {name for name in imports_of(module) if name.startswith("analyzer.fromlog")}
        assert not offending, f"{module.relative_to(PACKAGE)} imports {offending}"


def test_the_public_names_are_listed() -> None:
    assert set(analyzer.fromlog.__all__) == {"Comparison", "NotReplayed", "OperationDiff", "Plan",
                                             "ReplayProgress", "plan", "replay_from_log"}
    for name in analyzer.fromlog.__all__:
        assert hasattr(analyzer.fromlog, name)
