"""The ledger library's subtree-hash store on SQLAlchemy: proofs in O(log n) reads, one query."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select, tuple_
from sqlalchemy.orm import Session

from traceapp.ledger_store.models import LedgerHash

_GET_MANY = select(LedgerHash.level, LedgerHash.idx, LedgerHash.hash).where(
    LedgerHash.log == bindparam("log"),
    tuple_(LedgerHash.level, LedgerHash.idx).in_(bindparam("keys", expanding=True)),
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
        # One row-value IN with an expanding parameter: the statement compiles once and is
        # cached, whatever the number of nodes a proof needs.
        rows = self.session.execute(
            _GET_MANY, {"log": self.log, "keys": [tuple(key) for key in wanted]}
        ).all()
        found = {(level, idx): digest for level, idx, digest in rows}
        missing = wanted - found.keys()
        if missing:
            raise LookupError(f"subtree hashes missing from the store: {sorted(missing)[:5]}")
        return [found[key] for key in keys]
