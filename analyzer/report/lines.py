"""The raw log lines behind the records a report shows, read back from their files.

The lifecycle engine keeps a record's parsed message, not its line as written (the
DEBUG `funcName path:lineno` suffix and the context block are gone).  An operator
wants the line itself, so the report reads the few lines it shows straight from the
sources, one pass per file that stops at the last line wanted.  A source that cannot
be read again (standard input, a file gone since) keeps the line rebuilt from the
record; so does a line that no longer starts like the record's message.
"""

from __future__ import annotations

import gzip
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from analyzer.lifecycle.records import Record

MAX_LINE_CHARS = 4000  # a line longer than this is cut (guest XML, JSON dumps)


def raw_lines(records: Iterable[Record]) -> dict[tuple[str, int], str]:
    """`(source, line) -> text` for the records whose source file can be read again."""
    wanted: dict[str, dict[int, Record]] = defaultdict(dict)
    for record in records:
        if record.line:
            wanted[record.source][record.line] = record
    found: dict[tuple[str, int], str] = {}
    for source, numbers in wanted.items():
        path = Path(source)
        if source == "-" or not path.is_file():
            continue
        try:
            found.update(_read(path, source, numbers))
        except (OSError, EOFError, gzip.BadGzipFile):
            continue  # the line rebuilt from the record will do
    return found


def _read(path: Path, source: str, numbers: dict[int, Record]) -> dict[tuple[str, int], str]:
    last = max(numbers)
    out: dict[tuple[str, int], str] = {}
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            if number in numbers:
                text = raw[:MAX_LINE_CHARS * 4].decode("utf-8", errors="replace").rstrip("\r\n")
                if _agrees(text, numbers[number]):
                    out[(source, number)] = text[:MAX_LINE_CHARS]
            if number >= last:
                break
    return out


def _agrees(text: str, record: Record) -> bool:
    """Whether `text` is the record's line: its message's start appears in it."""
    head = record.message.split("\n", 1)[0].strip()[:40]
    return not head or head in text
