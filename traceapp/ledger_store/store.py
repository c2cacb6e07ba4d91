"""The ledger library's subtree-hash store on SQLAlchemy: every fourth level, read in one query.

Only the levels ``ledger.tree_store.stored_level`` names are stored: level 0 is
``ledger_entries.leaf_hash`` and ``ledger_hashes`` keeps levels 4, 8, 12, ... (a row per 16
entries, and fewer above; the tlog-tiles levels 8, 16, ... among them). Every other node is
folded from at most 8 hashes below it by ``ledger.tree_store.StridedHashStore``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from ledger.tree_store import Span, StridedHashStore, stored_level
from traceapp.db.statements import Prepared


def keeps_row(level: int) -> bool:
    """Whether ``ledger_hashes`` holds the subtree hashes of `level` (level 0 is the entries')."""
    return level > 0 and stored_level(level)


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


class SqlHashStore(StridedHashStore):
    """Implements ``ledger.tree_store.HashStore`` over the log's stored levels."""

    def __init__(self, session: Session, log: str) -> None:
        super().__init__(SqlSpanReader(session, log))
