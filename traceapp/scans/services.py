"""Scans (outside the ledger): storing each one with its client's row and the item's totals,
and reading what the clone rules (``scans.clones``) need from the latest scans.

Every statement runs in the caller's transaction through ``db.statements.Prepared`` or Core.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Integer, String, bindparam, text
from sqlalchemy.orm import Session

from traceapp.db.statements import Prepared, bound_connection, read_together
from traceapp.scans.clones import (
    BURST_CHECKS,
    BURST_CLIENTS,
    BURST_WINDOW,
    FINGERPRINT_CHARS,
    RECENT_SCANS,
    RecentFacts,
    ScanRecord,
    Tally,
    after_limit,
    burst_in,
)
from traceapp.types import UtcDateTime

_NO_SCANS = Tally(0, None, 0)

# Plain SQL, the same on both engines (ON CONFLICT, RETURNING and row values: SQLite 3.35+,
# PostgreSQL). Each client's row in scan_clients keeps its number of scans (1: a new client),
# its latest scan and its latest "claimed" scan, each as (scanned_at, id): the order of
# "latest" everywhere, so the rules can tell which clients fall among the latest scans.
_LATER = "(excluded.{0}_at, excluded.{0}_id) > (scan_clients.{0}_at, scan_clients.{0}_id)"
_KEEP_LATEST = (
    "scans = scan_clients.scans + 1, "
    f"last_at = CASE WHEN {_LATER.format('last')} "
    "THEN excluded.last_at ELSE scan_clients.last_at END, "
    f"last_id = CASE WHEN {_LATER.format('last')} "
    "THEN excluded.last_id ELSE scan_clients.last_id END, "
    "claimed_at = CASE WHEN excluded.claimed_at IS NOT NULL AND (scan_clients.claimed_at IS NULL "
    f"OR {_LATER.format('claimed')}) THEN excluded.claimed_at ELSE scan_clients.claimed_at END, "
    "claimed_id = CASE WHEN excluded.claimed_at IS NOT NULL AND (scan_clients.claimed_at IS NULL "
    f"OR {_LATER.format('claimed')}) THEN excluded.claimed_id ELSE scan_clients.claimed_id END"
)
_COUNT_IN_TOTALS = (
    "ON CONFLICT (item_public_id) DO UPDATE SET count = scan_totals.count + 1, "
    "first_at = CASE WHEN excluded.first_at < scan_totals.first_at "
    "THEN excluded.first_at ELSE scan_totals.first_at END, "
    "clients = scan_totals.clients + excluded.clients "
    "RETURNING count, first_at, clients"
)
# SQLite: three statements inside the scan's write transaction (less Python while SQLite's
# write lock is held); times as SQLAlchemy stores them (UTC text), read back as the driver's text.
_INSERT_SCAN = Prepared(
    text(
        "INSERT INTO scans (item_public_id, scanned_at, client, agent, result) "
        "VALUES (:item, :at, :client, :agent, :result)"
    )
)
_KNOW_CLIENT = Prepared(  # last_insert_rowid() is the scan just inserted
    text(
        "INSERT INTO scan_clients (item_public_id, client, scans, last_at, last_id, claimed_at, "
        "claimed_id) VALUES (:item, :client, 1, :at, last_insert_rowid(), "
        "CASE WHEN :result = 'claimed' THEN :at END, "
        "CASE WHEN :result = 'claimed' THEN last_insert_rowid() END) "
        f"ON CONFLICT (item_public_id, client) DO UPDATE SET {_KEEP_LATEST} RETURNING scans"
    )
)
_COUNT_SCAN = Prepared(
    text(
        "INSERT INTO scan_totals (item_public_id, count, first_at, clients) "
        f"VALUES (:item, 1, :at, :new) {_COUNT_IN_TOTALS}"
    )
)
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's DATETIME storage format on SQLite
# PostgreSQL, two statements in one pipeline (``read_together``: one round trip with the
# transaction's BEGIN). First the item's totals, which locks their row: every scan of the item
# takes that lock before its client's row, so concurrent transactions, each taking the items of
# a batch in order, cannot deadlock (one statement of data-modifying CTEs would take the rows
# in no defined order). Then the scan and its client, and the client count when the client is
# new, in one statement.
_COUNT_SCAN_PG = Prepared(
    text(
        "INSERT INTO scan_totals (item_public_id, count, first_at, clients) "
        "VALUES (:item, 1, :at, 0) "
        "ON CONFLICT (item_public_id) DO UPDATE SET count = scan_totals.count + 1, "
        "first_at = CASE WHEN excluded.first_at < scan_totals.first_at "
        "THEN excluded.first_at ELSE scan_totals.first_at END"
    )
)
_RECORD_PG = Prepared(
    text(
        "WITH scan AS (INSERT INTO scans (item_public_id, scanned_at, client, agent, result) "
        "VALUES (:item, :at, :client, :agent, :result) RETURNING id, scanned_at), "
        "known AS (INSERT INTO scan_clients (item_public_id, client, scans, last_at, last_id, "
        "claimed_at, claimed_id) SELECT :item, :client, 1, scan.scanned_at, scan.id, "
        "CASE WHEN :result = 'claimed' THEN scan.scanned_at END, "
        "CASE WHEN :result = 'claimed' THEN scan.id END FROM scan "
        f"ON CONFLICT (item_public_id, client) DO UPDATE SET {_KEEP_LATEST} RETURNING scans) "
        "UPDATE scan_totals SET clients = scan_totals.clients "
        "+ (SELECT CASE WHEN scans = 1 THEN 1 ELSE 0 END FROM known) "
        "WHERE item_public_id = :item RETURNING count, first_at, clients"
    ).columns(count=BigInteger(), first_at=UtcDateTime(), clients=Integer())
)
# A scan transaction (``scans.group.scan_transaction``) on PostgreSQL commits without waiting for
# the WAL flush: set for that transaction only, in the scan's own pipeline (no round trip more).
ASYNC_COMMIT = "traceapp.scans.async_commit"
"""``session.info`` key: record() makes this transaction's commit asynchronous on PostgreSQL."""
_ASYNC_COMMIT_PG = Prepared(text("SELECT set_config('synchronous_commit', 'off', true)"))
_TALLY = text(
    "SELECT count, first_at, clients FROM scan_totals WHERE item_public_id = :item"
).columns(count=BigInteger(), first_at=UtcDateTime(), clients=Integer())
_LATEST = text(
    "SELECT scanned_at, client, result FROM scans WHERE item_public_id = :item "
    "ORDER BY scanned_at DESC, id DESC LIMIT :limit"
).columns(scanned_at=UtcDateTime(), client=String(), result=String())
# The clients among the latest RECENT_SCANS scans, and those of them that checked after
# ``since`` and did not claim among them. The latest scans are those from ``cut`` on, the
# oldest of them (none: fewer scans, all count); a client is among them iff its latest scan is,
# checked among them after ``since`` iff that scan is after ``since``, and claimed among them
# iff its latest "claimed" scan is among them. One index step to the cut, then the clients
# whose latest scan is that recent: no scan rows are read.
_RECENT_CLIENTS = text(
    "WITH cut AS MATERIALIZED (SELECT scanned_at AS at, id FROM scans "
    "WHERE item_public_id = :item ORDER BY scanned_at DESC, id DESC LIMIT 1 OFFSET :offset) "
    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN c.last_at > :since AND NOT ("
    "c.claimed_at IS NOT NULL AND NOT EXISTS "
    "(SELECT 1 FROM cut WHERE (c.claimed_at, c.claimed_id) < (cut.at, cut.id))"
    ") THEN 1 ELSE 0 END), 0) "
    "FROM scan_clients c WHERE c.item_public_id = :item "
    "AND c.last_at >= COALESCE((SELECT at FROM cut), c.last_at) "
    "AND NOT EXISTS (SELECT 1 FROM cut WHERE (c.last_at, c.last_id) < (cut.at, cut.id))"
).bindparams(bindparam("since", type_=UtcDateTime()))
# For the burst rule: the latest scans' times in microseconds and clients, no datetime objects.
_LATEST_TIMES = {
    "sqlite": text(
        "SELECT CAST(strftime('%s', scanned_at) AS INTEGER) * 1000000 "
        "+ CAST(substr(scanned_at, 21, 6) AS INTEGER), client FROM scans "
        "WHERE item_public_id = :item ORDER BY scanned_at DESC, id DESC LIMIT :limit"
    ),
    "postgresql": text(
        "SELECT CAST(EXTRACT(EPOCH FROM scanned_at) * 1000000 AS BIGINT), client FROM scans "
        "WHERE item_public_id = :item ORDER BY scanned_at DESC, id DESC LIMIT :limit"
    ),
}
_WINDOW_US = int(BURST_WINDOW.total_seconds()) * 1_000_000
_BURST_FIRST_LOOK = 64


def record(
    session: Session,
    item_public_id: str,
    *,
    at: datetime,
    client: str,
    agent: str | None,
    result: str,
) -> Tally:
    """Store a scan and count it in the item's totals; returns the totals including it.

    Three statements in the caller's transaction (two in one pipeline on PostgreSQL): the scan
    row, its client's row and the item's totals, whose row lock orders concurrent scans of one item
    (taken first on PostgreSQL; a caller recording scans of several items in one transaction
    takes them in order of ``item_public_id``, as ``scans.group.GroupCommit`` does).
    """
    params = {
        "item": item_public_id,
        "at": at,
        "client": client[:FINGERPRINT_CHARS],
        "agent": (agent or None) and agent[:40],
        "result": result[:20],
    }
    if at.tzinfo is None:
        raise ValueError("naive datetime stored; use timezone-aware UTC")
    if bound_connection(session).dialect.name == "postgresql":
        params["at"] = at.astimezone(UTC)
        reads = [(_COUNT_SCAN_PG, params), (_RECORD_PG, params)]
        if session.info.get(ASYNC_COMMIT):
            reads.insert(0, (_ASYNC_COMMIT_PG, {}))
        count, first_at, clients = read_together(session, reads)[-1][0]
        return Tally(int(count), first_at, int(clients))
    params["at"] = at.astimezone(UTC).strftime(_SQLITE_TIME)
    _INSERT_SCAN.execute(session, [params])
    params["new"] = 1 if _KNOW_CLIENT.tuples(session, params)[0][0] == 1 else 0
    count, first_at, clients = _COUNT_SCAN.tuples(session, params)[0]
    first = datetime.fromisoformat(first_at).replace(tzinfo=UTC)
    return Tally(int(count), first, int(clients))


def tally(session: Session, item_public_id: str) -> Tally:
    """The item's totals, one primary-key read."""
    row = session.connection().execute(_TALLY, {"item": item_public_id}).first()
    return _NO_SCANS if row is None else Tally(int(row[0]), row[1], int(row[2]))


_CLAIMED_BY = text(
    "SELECT 1 FROM scan_clients WHERE item_public_id = :item AND client = :client "
    "AND claimed_at IS NOT NULL"
)


def claimed_by(session: Session, item_public_id: str, client: str) -> bool:
    """Whether ``client`` (a fingerprint) is the one that claimed the item: one key read."""
    params = {"item": item_public_id, "client": client[:FINGERPRINT_CHARS]}
    return session.connection().execute(_CLAIMED_BY, params).first() is not None


def recent_scans(
    session: Session, item_public_id: str, limit: int = RECENT_SCANS
) -> list[ScanRecord]:
    """The item's latest ``limit`` scans, oldest first (one index range read)."""
    rows = session.connection().execute(_LATEST, {"item": item_public_id, "limit": limit}).all()
    return [ScanRecord(at, client, result) for at, client, result in reversed(rows)]


def stored_facts(
    session: Session,
    item_public_id: str,
    *,
    status: str,
    status_changed_at: datetime | None,
    tally: Tally,
) -> RecentFacts:
    """``recent_facts`` of the item's latest RECENT_SCANS scans, read only as far as needed.

    Nothing is read unless a rule could fire on the totals: after a sale or claim, as many
    distinct clients in all as the rule needs; for a burst, BURST_CLIENTS. Then one query over
    the clients' latest scans (no scan rows) gives how many clients are among the latest scans
    and how many of them checked after the sale or claim without claiming. Only with
    BURST_CLIENTS clients among the latest scans are scans read for a burst: their times and
    clients, the latest 64 first (a burst among them is a burst among the latest 500: each
    window there is part of one of theirs), then all 500.
    """
    after = status in ("sold", "claimed") and status_changed_at is not None
    wants_others = after and tally.clients >= after_limit(status)
    could_burst = tally.count >= BURST_CHECKS and tally.clients >= BURST_CLIENTS
    others, burst = 0, False
    if not (wants_others or could_burst):
        return RecentFacts(others, burst)
    conn = session.connection()
    recent_clients, after_others = conn.execute(
        _RECENT_CLIENTS,
        {"item": item_public_id, "since": status_changed_at, "offset": RECENT_SCANS - 1},
    ).one()
    if wants_others:
        others = int(after_others)
    if could_burst and recent_clients >= BURST_CLIENTS:
        latest = _LATEST_TIMES[conn.dialect.name]
        params = {"item": item_public_id, "limit": _BURST_FIRST_LOOK}
        first = conn.execute(latest, params).all()
        burst = burst_in(first[::-1], _WINDOW_US)
        if not burst and len(first) == _BURST_FIRST_LOOK:
            params["limit"] = RECENT_SCANS
            burst = burst_in(conn.execute(latest, params).all()[::-1], _WINDOW_US)
    return RecentFacts(others, burst)
