"""The ledger library's subtree-hash store on SQLAlchemy: proofs in O(log n) reads, one query."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from traceapp.ledger_store.models import LedgerHash

# ``level IN (...) AND idx IN (...)``: both engines answer it with primary-key lookups, and the
# statement compiles once. It may return a few extra nodes (levels x indices), dropped below.
# Not ``(level, idx) IN (...)`` nor ``(level = ? AND idx = ?) OR ...``: given more than a few
# nodes, SQLite then uses only the ``log`` column of the key and scans the whole log.
_SELECT_NODES = select(LedgerHash.level, LedgerHash.idx, LedgerHash.hash).where(
    LedgerHash.log == bindparam("log"),
    LedgerHash.level.in_(bindparam("levels", expanding=True)),
    LedgerHash.idx.in_(bindparam("indices", expanding=True)),
)


class SqlHashStore:
    """Implements ``ledger.merkle.HashStore`` over ``ledger_hashes`` for one log."""

    def __init__(self, session: Session, log: str) -> None:
        self.session = session
        self.log = log

    def get(self, level: int, index: int) -> bytes:
        return self.get_many([(level, index)])[0]

    def get_many(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        if not keys:
            return []
        wanted = set(keys)
        rows = self.session.execute(
            _SELECT_NODES,
            {
                "log": self.log,
                "levels": sorted({level for level, _ in wanted}),
                "indices": sorted({idx for _, idx in wanted}),
            },
        ).all()
        found = {(level, idx): bytes(h) for level, idx, h in rows if (level, idx) in wanted}
        missing = wanted - found.keys()
        if missing:
            raise LookupError(f"subtree hashes missing from the store: {sorted(missing)[:5]}")
        return [found[key] for key in keys]
