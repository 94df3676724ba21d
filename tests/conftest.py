"""Shared fixtures: where the fixture files and the real logs are, and a CLI runner."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from analyzer.cli import app

TESTS = Path(__file__).resolve().parent
FORMAT_FIXTURES = TESTS / "parse" / "fixtures" / "formats"
REAL_LOGS = TESTS.parent.parent / "shared" / "real_logs"


@pytest.fixture(scope="session")
def real_logs() -> Path:
    """The real Nova logs of ../shared/real_logs; CI always has them."""
    if not REAL_LOGS.is_dir():
        pytest.fail(f"real logs not found at {REAL_LOGS}: the suite needs ../shared/real_logs")
    return REAL_LOGS


@pytest.fixture
def novatrace() -> Callable[..., Result]:
    """Run `novatrace <args>` in-process; stdout and stderr are kept apart."""
    runner = CliRunner()

    def run(*args: str, input: str | bytes | None = None) -> Result:
        return runner.invoke(app, [str(a) for a in args], input=input)

    return run


@pytest.fixture
def write_log(tmp_path: Path) -> Callable[..., Path]:
    """Write `lines` to tmp_path/name with the given line ending; returns the path."""

    def write(name: str, lines: list[str], newline: str = "\n", final_newline: bool = True) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = newline.join(lines) + (newline if final_newline else "")
        path.write_bytes(text.encode("utf-8"))
        return path

    return write


def _module_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.fixture(scope="session")
def imports_of() -> Callable[[Path], set[str]]:
    """The modules a source file imports (`import x`, `from x import y`): for the layering tests."""
    return _module_imports
