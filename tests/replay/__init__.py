"""Tests of mini-Nova (analyzer/replay)."""
