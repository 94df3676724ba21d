"""The one exception tree of novatrace.

    NovatraceError
    ├── InputError          the request cannot be met: missing path, unknown format,
    │   │                   bad option value (the CLI exits 2)
    │   └── GrammarError    a grammar file under grammars/ is broken (file, line, problem)
    └── OutputError         an output file cannot be written (the CLI exits 1)

The library raises these and never exits; `analyzer.cli` turns each into one line
and an exit code.
"""

from __future__ import annotations


class NovatraceError(Exception):
    """Base of every error novatrace raises on purpose."""

    exit_code = 1


class InputError(NovatraceError):
    """The input or the options cannot be used as given."""

    exit_code = 2


class GrammarError(InputError):
    """A grammar file is broken; the message names the file, the line and the problem."""


class OutputError(NovatraceError):
    """An output file could not be written."""
