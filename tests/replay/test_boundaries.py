"""replay imports vocab and nothing else of novatrace (STYLE.md, one-way doors)."""

from __future__ import annotations

from pathlib import Path

import analyzer.replay

PACKAGE = Path(analyzer.replay.__file__).resolve().parent


def test_replay_imports_only_vocab_and_itself(imports_of):
    for path in PACKAGE.rglob("*.py"):
        for name in imports_of(path):
            if name.startswith("analyzer"):
                assert name.startswith(("analyzer.replay", "analyzer.vocab")), f"{path}: {name}"


def test_public_names_are_listed():
    assert set(analyzer.replay.__all__) == {"DEFAULT_IMAGE_ID", "STYLES", "MiniNova"}
    for name in analyzer.replay.__all__:
        assert hasattr(analyzer.replay, name)
