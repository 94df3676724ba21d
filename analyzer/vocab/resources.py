"""Finds the data files (`grammars/`) in a checkout or in an installed wheel."""

from __future__ import annotations

import os
from pathlib import Path

from analyzer.errors import InputError


def grammars_dir() -> Path:
    """Return the directory holding the `*.lark` grammars and the flow specs.

    Looked up, in order: `$NOVATRACE_GRAMMARS`, `grammars/` beside the package in a
    checkout, and `analyzer/_data/grammars` inside an installed wheel.
    """
    override = os.environ.get("NOVATRACE_GRAMMARS")
    candidates = [Path(override)] if override else []
    package = Path(__file__).resolve().parent.parent
    candidates += [package.parent / "grammars", package / "_data" / "grammars"]
    for candidate in candidates:
        if (candidate / "records.lark").is_file():
            return candidate
    raise InputError(
        "cannot find the novatrace grammars (records.lark); looked in "
        + ", ".join(str(c) for c in candidates)
    )
