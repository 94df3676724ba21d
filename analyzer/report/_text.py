"""Text helpers shared by the report's figures and tables: escaping, clipping, times.

Every string that comes from a log is untrusted.  Plotly renders a subset of HTML in
hover labels, axis and legend labels (`<b>`, `<br>`, `<a href>`), and the tables are
HTML, so log text always goes through `esc` before it reaches either; plotly decodes
the entities again when it draws, so `<script>` shows as those eight characters.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

from analyzer.lifecycle.records import Record

HOVER_WIDTH = 110  # characters per hover line before wrapping
HOVER_LINE_LIMIT = 600  # characters of a raw log line kept for a hover label
NO_TIME = float("-inf")


def esc(text: object) -> str:
    """`text` as HTML-safe text (quotes too, so it may sit in an attribute)."""
    return html.escape(str(text), quote=True)


def clip(text: str, width: int) -> str:
    """`text` on one line, at most `width` characters (an ellipsis marks a cut)."""
    text = text.replace("\r", " ").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def wrapped(text: str, width: int = HOVER_WIDTH, limit: int = HOVER_LINE_LIMIT) -> str:
    """`text` clipped to `limit`, escaped, and cut into `<br>`-joined pieces for a hover label."""
    text = clip(text, limit)
    pieces = [text[i:i + width] for i in range(0, len(text), width)] or [""]
    return "<br>".join(esc(piece) for piece in pieces)


def stamp(seconds: float | None) -> str | None:
    """A time as plotly reads dates: `YYYY-MM-DD HH:MM:SS.fff` in UTC (None when unknown)."""
    if seconds is None or seconds == NO_TIME:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    except (ValueError, OverflowError, OSError):  # beyond what datetime can hold
        return None


def clock(seconds: float | None) -> str:
    """Time of day with milliseconds, for labels: `13:57:59.505`."""
    full = stamp(seconds)
    return full[11:] if full else "?"


def seconds_text(value: float | None) -> str:
    """A duration as `4.250s` (or `-` when unknown)."""
    return f"{value:.3f}s" if value is not None else "-"


def short_source(source: str) -> str:
    """The file name of a source path, as the evidence lines of `check` show it."""
    return source.replace("\\", "/").rsplit("/", 1)[-1]


def reconstructed(record: Record) -> str:
    """The log line as far as the record holds it, for sources that cannot be read again."""
    when = stamp(record.seconds) or "?"
    return f"{when} {record.level or ''} {record.service}: {record.message}"


def line_of(record: Record, raw: dict[tuple[str, int], str]) -> str:
    """The record's raw log line when it was read back, else the line rebuilt from the record."""
    return raw.get((record.source, record.line)) or reconstructed(record)


def where(record: Record) -> str:
    return f"{short_source(record.source)}:{record.line}"
