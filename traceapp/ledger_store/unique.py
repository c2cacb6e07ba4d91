"""A row that a concurrent request inserted first: which unique constraint it broke, and the
refusal a client gets for it.

Two requests may plan the same new object (a tax code, a GTIN, a lot, an eventID, or one
idempotency key and so the same public IDs) before either commits: neither plan sees the other's
row, and on PostgreSQL the second insert breaks a unique constraint. The domains name the error
each constraint stands for (the one their plans raise for a sequential duplicate); the app
assembles them (``traceapp/refusals.py``) and hands them to its ``Ledger``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint
from sqlalchemy.exc import IntegrityError

from traceapp.db.base import Base
from traceapp.errors import AlreadyExists, DomainError

Refusal = Callable[[], DomainError]
UniqueRefusals = Mapping[str, Refusal]

_PG_UNIQUE_VIOLATION = "23505"
_SQLITE_UNIQUE_FAILED = "UNIQUE constraint failed: "


def broken_constraint(error: IntegrityError) -> str | None:
    """The name of the unique constraint ``error`` reports, or None for any other violation."""
    driver_error = error.orig
    diagnosis = getattr(driver_error, "diag", None)
    if diagnosis is not None:  # psycopg
        if getattr(driver_error, "sqlstate", None) != _PG_UNIQUE_VIOLATION:
            return None
        name = getattr(diagnosis, "constraint_name", None)
        return str(name) if name else None
    # SQLite names the columns, "UNIQUE constraint failed: batches.product_id, batches.lot".
    message = str(driver_error)
    if not message.startswith(_SQLITE_UNIQUE_FAILED):
        return None
    qualified = [c.strip() for c in message.removeprefix(_SQLITE_UNIQUE_FAILED).split(",")]
    table_name = qualified[0].partition(".")[0]
    columns = {c.partition(".")[2] for c in qualified}
    table = Base.metadata.tables.get(table_name)
    if table is None:
        return None
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint) and columns == {
            c.name for c in constraint.columns
        }:
            return str(constraint.name)
    return None


def unique_refusal(
    error: IntegrityError, refusals: UniqueRefusals, *, keyed: bool
) -> DomainError | None:
    """What the client is told for ``error``: the domain's refusal for the broken constraint,
    or None when the violation is not a duplicate a concurrent request can cause.

    ``keyed``: the request has an idempotency key. Its public IDs, serials and salts are derived
    from the key (``IdSource.derived``), so any other constraint it breaks (a public ID, a
    serial, the key's own record) was broken by a request with the same key, done first.
    """
    name = broken_constraint(error)
    if name is None:
        return None
    refusal = refusals.get(name)
    if refusal is not None:
        return refusal()
    if keyed:
        return AlreadyExists(
            "a concurrent request with this idempotency key was done first: "
            "send it again to get its result",
            field="idempotencyKey",
        )
    return None
