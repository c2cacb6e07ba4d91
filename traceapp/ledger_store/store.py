"""The ledger library's subtree-hash store on SQLAlchemy: the tile levels, read in one query.

Only the levels c2sp.org/tlog-tiles serves are stored (``ledger.tree_store.tile_level``): level
0 is ``ledger_entries.leaf_hash`` and ``ledger_hashes`` keeps levels 8, 16, ... (one row per
256 entries, and fewer above). Every other node is folded from the tile below it by
``ledger.tree_store.TiledHashStore``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from ledger.tree_store import Span, TiledHashStore, tile_level
from traceapp.db.statements import Prepared


def keeps_row(level: int) -> bool:
    """Whether ``ledger_hashes`` holds the subtree hashes of `level` (level 0 is the entries')."""
    return level > 0 and tile_level(level)


@cache
def _select_spans(leaves: tuple[bool, ...]) -> Prepared:
    """One key range per span, ``ledger_entries`` for leaf spans, as a UNION ALL (one round
    trip for a whole proof). Built once per shape."""
    parts = [
        f"SELECT {n} AS k, seq AS idx, leaf_hash AS hash FROM ledger_entries "
        f"WHERE log = :log AND seq >= :s{n} AND seq < :e{n}"
        if leaf
        else f"SELECT {n} AS k, idx, hash FROM ledger_hashes "
        f"WHERE log = :log AND level = :l{n} AND idx >= :s{n} AND idx < :e{n}"
        for n, leaf in enumerate(leaves)
    ]
    statement: TextClause = text(" UNION ALL ".join(parts) + " ORDER BY 1, 2")
    return Prepared(statement)


class SqlSpanReader:
    """Implements ``ledger.tree_store.SpanReader`` over the log's tables."""

    def __init__(self, session: Session, log: str) -> None:
        self.session = session
        self.log = log

    def read_spans(self, spans: Sequence[Span]) -> list[list[bytes]]:
        params: dict[str, object] = {"log": self.log}
        for n, (level, start, end) in enumerate(spans):
            params[f"s{n}"], params[f"e{n}"] = start, end
            if level:
                params[f"l{n}"] = level
        statement = _select_spans(tuple(level == 0 for level, _, _ in spans))
        found: list[list[bytes]] = [[] for _ in spans]
        expected = [start for _, start, _ in spans]
        for n, idx, digest in statement.tuples(self.session, params):
            if idx != expected[n]:
                continue  # a gap: what follows it is not at its place, so the span ends here
            found[n].append(bytes(digest))
            expected[n] += 1
        return found


class SqlHashStore(TiledHashStore):
    """Implements ``ledger.tree_store.HashStore`` over the log's stored tile levels."""

    def __init__(self, session: Session, log: str) -> None:
        super().__init__(SqlSpanReader(session, log))
