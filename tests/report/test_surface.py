"""The report's place in the package: reachable from analyzer's surface, and behind the
one-way door (vocab <- parse <- lifecycle <- report: nothing to its left imports it)."""

from __future__ import annotations

from pathlib import Path

import analyzer
import analyzer.report

PACKAGE = Path(analyzer.__file__).resolve().parent



def test_nothing_left_of_report_imports_it(imports_of) -> None:
    for layer in ("vocab", "parse", "lifecycle"):
        for module in (PACKAGE / layer).rglob("*.py"):
            offending = {name for name in imports_of(module) if name.startswith("analyzer.report")}
            assert not offending, f"{module.relative_to(PACKAGE)} imports {offending}"


def test_report_imports_only_what_stands_to_its_left(imports_of) -> None:
    allowed = ("analyzer.report", "analyzer.lifecycle", "analyzer.parse", "analyzer.vocab", "analyzer.errors")
    for module in (PACKAGE / "report").rglob("*.py"):
        ours = {name for name in imports_of(module) if name.startswith("analyzer")}
        assert all(name.startswith(allowed) for name in ours), f"{module.name} imports {ours}"


def test_the_surface_lists_render() -> None:
    assert "render_report" in analyzer.__all__ and callable(analyzer.render_report)
    assert set(analyzer.report.__all__) == {"Limits", "Rendered", "render"}
    for name in analyzer.report.__all__:
        assert hasattr(analyzer.report, name)
