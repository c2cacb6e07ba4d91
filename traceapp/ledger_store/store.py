"""The ledger library's subtree-hash store on SQLAlchemy: proofs in O(log n) reads, one query."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from traceapp.db.statements import Prepared


@cache
def _select_nodes(count: int) -> TextClause:
    """The nodes as a VALUES list joined to ``ledger_hashes``: one primary-key lookup each.

    Built once per count. Alternatives that look simpler are not: with more than a few nodes,
    SQLite answers ``(level, idx) IN (...)`` or an OR of equalities by scanning the whole log,
    and PostgreSQL answers ``level IN (...) AND idx IN (...)`` the same way.
    """
    rows = ", ".join(f"(:l{n}, :i{n})" for n in range(count))
    return text(
        f"SELECT h.level, h.idx, h.hash FROM (VALUES {rows}) AS k "
        "JOIN ledger_hashes h ON h.log = :log AND h.level = k.column1 AND h.idx = k.column2"
    )


@cache
def _prepared_nodes(count: int) -> Prepared:
    return Prepared(_select_nodes(count))


class SqlHashStore:
    """Implements ``ledger.tree_store.HashStore`` over ``ledger_hashes`` for one log."""

    def __init__(self, session: Session, log: str) -> None:
        self.session = session
        self.log = log

    def get(self, level: int, index: int) -> bytes:
        return self.get_many([(level, index)])[0]

    def get_many(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        if not keys:
            return []
        wanted = list(dict.fromkeys(keys))
        params: dict[str, object] = {"log": self.log}
        for n, (level, idx) in enumerate(wanted):
            params[f"l{n}"], params[f"i{n}"] = level, idx
        rows = _prepared_nodes(len(wanted)).tuples(self.session, params)
        found = {(level, idx): bytes(digest) for level, idx, digest in rows}
        missing = set(wanted) - found.keys()
        if missing:
            raise LookupError(f"subtree hashes missing from the store: {sorted(missing)[:5]}")
        return [found[key] for key in keys]
