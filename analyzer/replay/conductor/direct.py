"""The statements every operation runs, executed on DBAPI connections directly.

SQLAlchemy's execution layer (connection checkout from its pool, the transaction object,
the result and row objects) costs about five times what SQLite itself spends on a one-row
SELECT or UPDATE, and a replay runs a dozen such statements per operation.  Those few
statements are still written with SQLAlchemy Core and compiled by it for the engine's
dialect, once; here they run on plain DBAPI connections kept in a free list, with
SQLAlchemy's own type processors for parameters and rows, so SQLite and PostgreSQL receive
exactly the SQL and values SQLAlchemy would send them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

Processor = Callable[[Any], Any]


class Prepared:
    """One Core statement compiled for a dialect: its SQL, how to bind, how to read rows."""

    def __init__(self, statement: sa.Executable, dialect: sa.Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        # the values the statement holds itself (an IN list, a literal), by bind name
        self._fixed = {name: bind.effective_value for name, bind in compiled.binds.items()
                       if not bind.required}
        self._names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
        self._positional = bool(compiled.positional)
        self._binds = tuple((name, processor) for name, bind in compiled.binds.items()
                            if (processor := _typed(bind.type, dialect).bind_processor(dialect)))
        columns = list(getattr(statement, "exported_columns", ()))
        self.names = tuple(column.key for column in columns)
        self._readers = tuple((position, processor) for position, column in enumerate(columns)
                              if (processor := _typed(column.type, dialect).result_processor(dialect, None)))

    def parameters(self, values: dict[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """The DBAPI parameters for `values` (plus the values the statement binds itself)."""
        params = {**self._fixed, **values}
        for name, processor in self._binds:
            params[name] = processor(params[name])
        if self._positional:
            return [params[name] for name in self._names]
        return {name: params[name] for name in self._names}

    def row(self, raw: Sequence[Any]) -> dict[str, Any]:
        """A fetched row as a dict of column keys, values typed as SQLAlchemy would."""
        if self._readers:
            raw = list(raw)
            for position, processor in self._readers:
                raw[position] = processor(raw[position])
        return dict(zip(self.names, raw, strict=True))


def _typed(type_: sa.types.TypeEngine, dialect: sa.Dialect) -> sa.types.TypeEngine:
    """The dialect's own implementation of a type (SQLite's DATETIME writes strings)."""
    return type_.dialect_impl(dialect)


class DirectConnections:
    """DBAPI connections of `engine`, detached from its pool and kept for reuse.

    Each `run` takes a free connection (or opens one through the engine, so its connect
    events, such as SQLite's pragmas, apply), runs its statements as one transaction and
    puts the connection back.  A database error is raised as SQLAlchemy raises it
    (``sqlalchemy.exc.IntegrityError`` …, the driver's error as ``.orig``).
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self._free: list[Any] = []  # list.pop and append are atomic: no lock needed
        self._dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error

    def prepare(self, statement: sa.Executable) -> Prepared:
        return Prepared(statement, self.dialect)

    def run(self, *steps: tuple[Prepared, dict[str, Any]]) -> list[dict[str, Any]]:
        """Run (statement, values) steps in one transaction; the rows the last one returns."""
        try:
            connection = self._free.pop()
        except IndexError:
            connection = self._open()
        rows: list[dict[str, Any]] = []
        sql, params = "", None
        try:
            cursor = connection.cursor()
            try:
                for prepared, values in steps:
                    sql, params = prepared.sql, prepared.parameters(values)
                    cursor.execute(sql, params)
                    rows = [prepared.row(raw) for raw in cursor.fetchall()] if prepared.names else []
            finally:
                cursor.close()
            connection.commit()
        except BaseException as error:
            try:
                connection.rollback()
            except Exception:  # a broken connection is dropped, not reused
                connection.close()
            else:
                self._free.append(connection)
            if isinstance(error, self._dbapi_error):  # raised as SQLAlchemy raises it, for the callers
                raise sa.exc.DBAPIError.instance(sql, params, error, self._dbapi_error) from error
            raise
        self._free.append(connection)
        return rows

    def _open(self) -> Any:
        proxied = self.engine.raw_connection()
        proxied.detach()  # ours from now on: the engine's pool neither counts nor recycles it
        return proxied.dbapi_connection

    def close(self) -> None:
        while self._free:
            self._free.pop().close()
