"""File formats: which record layouts each accepts, and detection from a file's first lines.

A format is a list of record layouts of `grammars/records.lark`, tried in order on
each line; the first that matches makes the line a record.  A line no layout
matches continues the record above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from analyzer.errors import InputError
from analyzer.parse.grammar import records

FORMATS: dict[str, tuple[str, ...]] = {
    "oslo": ("oslo",),
    "loghub": ("loghub",),
    "merged": ("merged", "oslo", "merged_other"),
    "journald": ("journald",),
    "bare": ("bare",),
}
"""Format name -> record layouts, in the order they are tried."""

FORMAT_CHOICES = ("auto", *FORMATS)

# Detection order on ties: the more specific layouts first.
_DETECTION_ORDER = ("loghub", "merged", "journald", "oslo", "bare")
_SAMPLE_LINES = 400


@dataclass(frozen=True)
class CompiledFormat:
    """A format's layouts joined into one regular expression for `findall`.

    Each line yields one tuple: the groups of every layout (prefixed `l<i>_`), then
    the whole line as `rest` when no layout matched.  `markers[i]` is the position of
    layout i's first group, which is never empty when layout i matched.
    """

    name: str
    regex: re.Pattern[str]
    layouts: tuple[str, ...]
    columns: tuple[tuple[str, ...], ...]  # per layout: its field names
    offsets: tuple[int, ...]  # per layout: index of its first group in a row tuple
    rest: int  # index of the `rest` group


@cache
def compiled(name: str) -> CompiledFormat:
    """The one-regex form of format `name`, built once per process."""
    if name not in FORMATS:
        raise InputError(f"unknown format {name!r}; choose one of {', '.join(FORMAT_CHOICES)}")
    layouts = records().layouts
    parts, columns, offsets = [], [], []
    position = 0
    for index, layout_name in enumerate(FORMATS[name]):
        layout = layouts[layout_name]
        source = layout.regex.pattern.replace("(?P<", f"(?P<l{index}_")
        parts.append(source)
        columns.append(layout.groups)
        offsets.append(position)
        position += layout.regex.groups
    regex = re.compile("^(?:" + "|".join(parts) + "|(?P<rest>.*))$", re.MULTILINE | re.ASCII)
    return CompiledFormat(name, regex, FORMATS[name], tuple(columns), tuple(offsets), position)


def detect(lines: list[str]) -> str | None:
    """Guess the format of a file from its first lines; None when nothing fits.

    The format whose layouts match the most of the sampled non-blank lines wins;
    ties go to the more specific format.
    """
    sample = [line for line in lines[:_SAMPLE_LINES] if line.strip()]
    if not sample:
        return None
    layouts = records().layouts
    best, best_hits = None, 0
    for name in _DETECTION_ORDER:
        regexes = [layouts[layout].regex for layout in FORMATS[name][:1]]
        hits = sum(1 for line in sample if any(r.match(line) for r in regexes))
        if hits > best_hits:
            best, best_hits = name, hits
    return best
