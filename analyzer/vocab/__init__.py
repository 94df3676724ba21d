"""Shared words of novatrace: where the data files are, event kinds and columns."""

from analyzer.vocab.events import COLUMNS, GENERIC_EVENTS, UNRECOGNIZED
from analyzer.vocab.resources import grammars_dir

__all__ = ["COLUMNS", "GENERIC_EVENTS", "UNRECOGNIZED", "grammars_dir"]
