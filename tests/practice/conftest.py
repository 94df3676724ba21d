"""Exercises run once per test session (each on its own fresh mini-Nova) and shared by the tests."""

from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from analyzer import practice


@pytest.fixture(scope="session")
def shown(tmp_path_factory):
    """``shown(name, style="2016", lang="en")``: the result of `novatrace practice show`, cached."""
    cache: dict[tuple[str, str, str], practice.Shown] = {}

    def get(name: str, style: str = "2016", lang: str = "en") -> practice.Shown:
        key = (name, style, lang)
        if key not in cache:
            out = tmp_path_factory.mktemp(f"practice-{name}-{style}-{lang}")
            cache[key] = practice.show(name, out, style=style, lang=lang)
        return cache[key]

    return get
