"""Event kinds and the columns of a parsed event stream.

The catalogued events are the rules of `grammars/events_*.lark` (one file per family);
the kinds below are the few that code, not the grammar, assigns.
"""

from __future__ import annotations

UNRECOGNIZED = "unrecognized"
"""A record whose message matches no catalogued event; it keeps a mined template id."""

TRACEBACK = "traceback"
"""First line of an exception traceback; fields carry the exception type and message."""

TRACEBACK_LINE = "traceback_line"
"""Any later line of a traceback printed line by line with a header (oslo.log style)."""

WARNING = "warning"
"""A WARNING line outside the catalogue."""

ERROR = "error"
"""An ERROR or CRITICAL line outside the catalogue."""

GENERIC_EVENTS = (TRACEBACK, TRACEBACK_LINE, WARNING, ERROR, UNRECOGNIZED)

COLUMNS = (
    "time",
    "source",
    "line",
    "host",
    "service",
    "pid",
    "level",
    "logger",
    "request_id",
    "global_request_id",
    "user_id",
    "project_id",
    "instance",
    "event",
    "template_id",
    "message",
    "fields",
    "continuation",
)
"""Columns of `analyzer.parse_logs` and of every file `novatrace parse -o` writes."""
