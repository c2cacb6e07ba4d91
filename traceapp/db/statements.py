"""The one fast path for SQL: statements compiled once and run on the session's DBAPI connection.

``Prepared`` runs a Core statement (or ``text()``) with the types' bind and result processors
and driver errors raised as SQLAlchemy's; ``read_together`` sends several reads in one psycopg
pipeline; ``RowsInsert`` and ``insert_together`` write many rows of several tables at once.
Nothing else in the application runs SQL on a raw cursor.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Dialect,
    Executable,
    Select,
    String,
    Table,
    bindparam,
    insert,
    literal_column,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import QueryableAttribute, Session, SessionTransaction
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.selectable import FromClause
from sqlalchemy.types import TypeEngine

T = TypeVar("T")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # (parameter name, bind processor) in the driver's order; named drivers take a dict.
    binds: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    positional: bool
    row: type[tuple[Any, ...]] | None
    results: tuple[Callable[[Any], Any] | None, ...]
    # Parameters the statement fixes itself (SQLite's "OFFSET 0" of a LIMIT): name to value.
    constants: dict[str, Any]


@dataclass(frozen=True)
class BoundConnection:
    """What the prepared statements of one transaction run on."""

    transaction: SessionTransaction
    dialect: Dialect
    driver: Any  # the DBAPI connection: sqlite3.Connection or psycopg.Connection
    error: type[Exception]  # the driver's base exception
    observed: bool  # a before_cursor_execute listener wants to see statements


_BOUND = "traceapp.db.bound"


def bound_connection(session: Session) -> BoundConnection:
    """The session's connection, looked up once per transaction: ``Session.connection()`` walks
    the session's transaction states each time, a dozen times an append."""
    transaction = session.get_transaction()
    bound: BoundConnection | None = session.info.get(_BOUND)
    if bound is not None and transaction is not None and bound.transaction is transaction:
        return bound
    connection = session.connection()  # begins the transaction if none is
    transaction = session.get_transaction()
    assert transaction is not None
    bound = BoundConnection(
        transaction,
        connection.dialect,
        connection.connection.driver_connection,
        connection.dialect.loaded_dbapi.Error,
        bool(connection.dispatch.before_cursor_execute),
    )
    session.info[_BOUND] = bound
    return bound


class Prepared:
    """A Core statement compiled once per dialect and run on the session's DBAPI connection.

    The write path runs a dozen small statements per event. Through ``Session.execute`` each
    costs some 12 µs of SQLAlchemy around a 5 µs SQLite call, a fifth of a single append. This
    keeps what matters of that layer: the same compiled SQL, the types' bind and result
    processors, and driver errors raised as SQLAlchemy's (``IntegrityError``...). Statement
    listeners (``before_cursor_execute``, as statement counters use) still see every statement:
    while one is registered, this goes through ``Session.execute``.

    Only for statements SQLAlchemy would send as they are: no expanding IN, no Python-side
    column defaults (refused when first compiled).
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, tuple[str, ...]], _Compiled] = {}

    def first(self, session: Session, params: dict[str, Any]) -> Any:
        """The first row (a named tuple) or None."""
        rows = self._run(session, [params], fetch=True)
        return rows[0] if rows else None

    def all(self, session: Session, params: dict[str, Any]) -> list[Any]:
        """Every row (named tuples); none for a statement without selected columns."""
        return self._run(session, [params], fetch=True)

    def tuples(self, session: Session, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """The rows as the driver returns them: plain tuples, no result processors (for reads of
        millions of rows whose columns need none, where a named tuple a row costs more than
        reading it)."""
        bound = bound_connection(session)
        compiled = self._compile(bound.dialect, tuple(params))
        if bound.observed:
            return [tuple(row) for row in session.execute(self.statement, params)]
        values = _params(compiled, params)
        try:
            rows: list[tuple[Any, ...]] = bound.driver.execute(compiled.sql, values).fetchall()
        except bound.error as exc:
            raise DBAPIError.instance(compiled.sql, values, exc, bound.error) from exc
        return rows

    def execute(self, session: Session, rows: Sequence[dict[str, Any]]) -> None:
        """Run a statement that returns nothing, once per parameter set.

        One set is a plain execute: on psycopg ``executemany`` is a pipeline with its own
        synchronisation, several round trips where one does.
        """
        if rows:
            self._run(session, rows, fetch=False)

    def _run(self, session: Session, rows: Sequence[dict[str, Any]], fetch: bool) -> list[Any]:
        bound = bound_connection(session)
        compiled = self._compile(bound.dialect, tuple(rows[0]))
        if bound.observed:
            result = session.execute(self.statement, rows[0] if len(rows) == 1 else list(rows))
            if not fetch or compiled.row is None:
                return []
            return _rows(compiled, [tuple(r) for r in result], processed=True)
        values = [_params(compiled, row) for row in rows]
        dbapi, error = bound.driver, bound.error
        try:
            if len(values) > 1:
                dbapi.cursor().executemany(compiled.sql, values)
                return []
            cursor = dbapi.execute(compiled.sql, values[0])
            if not fetch or compiled.row is None:
                return []
            return _rows(compiled, cursor.fetchall())
        except error as exc:
            raise DBAPIError.instance(compiled.sql, values, exc, error) from exc

    def _compile(self, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
        cached = self._compiled.get((dialect.name, keys))
        if cached is not None:
            return cached
        compiled = cast(ClauseElement, self.statement).compile(
            dialect=dialect, column_keys=list(keys)
        )
        assert isinstance(compiled, SQLCompiler)
        if "POSTCOMPILE" in compiled.string:
            raise TypeError("Prepared runs statements as compiled: no expanding parameters")
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise TypeError("Prepared does not compute Python-side column defaults")
        names = compiled.positiontup if compiled.positional else list(compiled.binds)
        binds = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in names or ()
        )
        columns = getattr(self.statement, "selected_columns", None)
        row = namedtuple("Row", list(columns.keys())) if columns is not None else None
        results = tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns or ()
        )
        constants = {
            name: bind.value
            for name, bind in compiled.binds.items()
            if name not in keys and not bind.required and bind.callable is None
        }
        made = _Compiled(compiled.string, binds, compiled.positional, row, results, constants)
        self._compiled[(dialect.name, keys)] = made
        return made


def read_together(
    session: Session, reads: Sequence[tuple[Prepared, dict[str, Any]]]
) -> list[list[Any]]:
    """The rows of several ``Prepared`` statements (none for one without selected columns):
    on PostgreSQL sent together in one psycopg pipeline (one round trip, not one each),
    elsewhere one after another."""
    bound = bound_connection(session)
    if len(reads) < 2 or bound.dialect.name != "postgresql" or bound.observed:
        return [prepared.all(session, params) for prepared, params in reads]
    compiled = [(p._compile(bound.dialect, tuple(params)), params) for p, params in reads]
    driver, error = bound.driver, bound.error
    try:
        with driver.pipeline():
            cursors = [driver.execute(c.sql, _params(c, params)) for c, params in compiled]
        return [
            [] if c.row is None else _rows(c, cursor.fetchall())
            for (c, _), cursor in zip(compiled, cursors, strict=True)
        ]
    except error as exc:
        raise DBAPIError.instance(compiled[0][0].sql, [], exc, error) from exc


def _params(compiled: _Compiled, row: dict[str, Any]) -> Any:
    if compiled.constants:
        row = {**compiled.constants, **row}
    if compiled.positional:
        return tuple(row[name] if p is None else p(row[name]) for name, p in compiled.binds)
    return {name: row[name] if p is None else p(row[name]) for name, p in compiled.binds}


def _rows(compiled: _Compiled, fetched: list[Any], processed: bool = False) -> list[Any]:
    make = compiled.row
    assert make is not None, "a statement that returns rows has selected columns"
    if not processed and any(compiled.results):  # the processors take None themselves
        return [
            make(*(v if p is None else p(v) for p, v in zip(compiled.results, r, strict=True)))
            for r in fetched
        ]
    return [make(*r) for r in fetched]


class Lookup:
    """A column's value read by the INSERT itself: a scalar subquery on text values of the row.

    ``select`` picks one column with named parameters (``bindparam("gtin")``); a row gives those
    inputs in place of the column's value, and a row that matches nothing stores NULL. On
    PostgreSQL this spares the round trip of reading the keys before the INSERT.
    """

    def __init__(self, select: Select[Any]) -> None:
        compiled = select.compile(dialect=DefaultDialect(paramstyle="named"))
        self.sql = compiled.string  # the same SQL on SQLite and PostgreSQL: joins and equalities
        self.inputs = tuple(compiled.binds)

    def on(self, name: Callable[[str], str]) -> str:
        """The subquery, its inputs renamed (``name``) to the statement's own parameters."""
        return "(" + _PARAM.sub(lambda m: name(m.group(1)), self.sql) + ")"


_PARAM = re.compile(r"(?<![:\w]):(\w+)")


def unindexed(column: ColumnElement[T] | QueryableAttribute[T]) -> ColumnElement[T]:
    """``column`` as an expression no index answers (``x || ''`` for text, ``x + 0`` else: the
    idiom SQLite's planner documentation gives, and PostgreSQL's planner alike), so that a
    query starts from the index that is selective: an item from its serial, not from every
    batch of its product."""
    element = column.expression if isinstance(column, QueryableAttribute) else column
    if isinstance(element.type, String):
        return element.concat(literal_column("''"))
    return element + literal_column("0")


class RowsInsert:
    """The rows of one table, as an INSERT to compose with others (``insert_together``).

    Elsewhere than on PostgreSQL, a plain prepared INSERT. On PostgreSQL a few rows go as VALUES
    lists; more as arrays unnested, whose SQL text is the same for any
    count (psycopg dumps arrays element by element in Python: four times the cost of the same
    values as parameters, worth it only for many rows). Parameters are named after the table
    and column. By default every column but a generated primary key; each row names exactly
    these, but for a column read by a ``Lookup``, whose inputs it names instead.
    """

    MAX_VALUES_ROWS = 8

    def __init__(
        self,
        table: FromClause,
        columns: Sequence[str] | None = None,
        lookups: dict[str, Lookup] | None = None,
    ) -> None:
        if not isinstance(table, Table):
            raise TypeError(f"RowsInsert needs a Table, not {type(table).__name__}")
        dialect: Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
        generated = table.autoincrement_column
        self.table = table
        self.columns = tuple(columns or (c.name for c in table.columns if c is not generated))
        self.lookups = dict(lookups or {})
        valued = [name for name in self.columns if name not in self.lookups]
        inputs = [i for lookup in self.lookups.values() for i in lookup.inputs]
        # What a row names: the columns given as values, then the lookups' inputs (text).
        self.fields = tuple(dict.fromkeys([*valued, *inputs]))
        self._names = {field: f"{table.name}__{field}" for field in self.fields}
        self._arrays = ", ".join(
            f"CAST(:{self._names[field]} AS "
            f"{_element_type(table.c[field].type, dialect) if field in valued else 'TEXT'}[])"
            for field in self.fields
        )
        self._processors = {
            name: processor
            for name in valued
            if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
        }
        self.plain = Prepared(insert(table).inline()) if not self.lookups else self._plain_text()

    def _plain_text(self) -> Prepared:
        values = ", ".join(self._value(name, lambda field: f":{field}") for name in self.columns)
        statement = text(f"{self._into()} VALUES ({values})").bindparams(
            *(
                bindparam(
                    field, type_=self.table.c[field].type if field in self.table.c else String()
                )
                for field in self.fields
            )
        )
        return Prepared(statement)

    def _into(self) -> str:
        return f"INSERT INTO {self.table.name} ({', '.join(self.columns)})"

    def _value(self, column: str, name: Callable[[str], str]) -> str:
        lookup = self.lookups.get(column)
        return name(column) if lookup is None else lookup.on(name)

    def check(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows and len(rows[0]) != len(self.fields):
            raise ValueError(f"rows for {self.table.name} name {sorted(rows[0])}")

    def sql(self, count: int) -> str:
        if count > self.MAX_VALUES_ROWS:
            if not self.lookups:
                return f"{self._into()} SELECT * FROM unnest({self._arrays})"
            selected = ", ".join(self._value(c, lambda field: f"v.{field}") for c in self.columns)
            return (
                f"{self._into()} SELECT {selected} "
                f"FROM unnest({self._arrays}) AS v({', '.join(self.fields)})"
            )
        rows = (
            "(" + ", ".join(self._value(c, self._numbered(i)) for c in self.columns) + ")"
            for i in range(count)
        )
        return f"{self._into()} VALUES {', '.join(rows)}"

    def _numbered(self, i: int) -> Callable[[str], str]:
        return lambda field: f":{self._names[field]}__{i}"

    def params(self, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
        self.check(rows)
        fields = {field: [row[field] for row in rows] for field in self.fields}
        for name, processor in self._processors.items():  # UtcDateTime refuses naive times
            fields[name] = [processor(value) for value in fields[name]]
        if len(rows) > self.MAX_VALUES_ROWS:
            return {self._names[field]: values for field, values in fields.items()}
        return {
            f"{self._names[field]}__{i}": value
            for field, values in fields.items()
            for i, value in enumerate(values)
        }


# The statements of each shape of ``insert_together``: keyed by the RowsInsert objects themselves
# (made once at import; the key keeps each alive) and their row counts, up to the VALUES limit.
_TOGETHER: dict[tuple[Any, ...], Prepared] = {}


def insert_together(
    session: Session,
    inserts: Sequence[tuple[RowsInsert, Sequence[dict[str, Any]]]],
    then: str = "",
    params: dict[str, Any] | None = None,
) -> None:
    """Several tables' INSERTs, then ``then`` (SQL with ``:named`` parameters, ``params``).

    On PostgreSQL one statement of data-modifying CTEs: one psycopg call and one round trip,
    where separate statements cost a call each even pipelined. The parts run in no set order
    there, so none may depend on another's rows, but for foreign keys, which are checked at the
    statement's end. Elsewhere one prepared statement after another, in the order given.
    """
    parts = [(part, rows) for part, rows in inserts if rows]
    if bound_connection(session).dialect.name != "postgresql":
        for part, rows in parts:
            part.check(rows)
            part.plain.execute(session, rows)
        if then:
            statement = _TOGETHER.get(((), then))
            if statement is None:
                statement = _TOGETHER[((), then)] = Prepared(text(then))
            statement.execute(session, [params or {}])
        return
    shape = (tuple((i, min(len(r), i.MAX_VALUES_ROWS + 1)) for i, r in parts), then)
    statement = _TOGETHER.get(shape)
    if statement is None:
        sqls = [part.sql(len(rows)) for part, rows in parts]
        main = then or sqls.pop()
        ctes = ", ".join(f"w{n} AS ({sql})" for n, sql in enumerate(sqls))
        statement = _TOGETHER[shape] = Prepared(text(f"WITH {ctes} {main}" if ctes else main))
    values = dict(params or {})
    for part, rows in parts:
        values.update(part.params(rows))
    statement.execute(session, [values])


def _element_type(column_type: TypeEngine[Any], dialect: Dialect) -> str:
    # Text arrays without a length: a cast to varchar(n) would cut a longer value silently,
    # where the column's own assignment refuses it.
    return "TEXT" if isinstance(column_type, String) else column_type.compile(dialect=dialect)
