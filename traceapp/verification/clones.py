"""Scans (outside the ledger) and the signals that a QR code may have been copied.

A printed code can be photocopied; the ledger cannot stop that, but scans can reveal it. Each
scan stores only a truncated keyed hash of the client's network prefix (/24 IPv4, /48 IPv6):
enough to tell "many places" from "one shopper checking twice", not enough to find anyone.
Rules are described in docs/verification.md.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Integer, String, bindparam, text
from sqlalchemy.orm import Session

from traceapp.types import UtcDateTime
from traceapp.verification.model import CloneAssessment, Notice, ScanSummary

FINGERPRINT_CHARS = 16
MANY_CHECKS = 20
MANY_CLIENTS = 5
BURST_CHECKS = 5
BURST_WINDOW = timedelta(minutes=10)
BURST_CLIENTS = 3
AFTER_SALE_CLIENTS = 2
RECENT_SCANS = 500  # bursts are looked for among the latest scans only


def network_prefix(address: str, *, v4_bits: int = 24, v6_bits: int = 48) -> str:
    """The client's network (e.g. 203.0.113.0/24); unparseable addresses map to one bucket."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    bits = v4_bits if ip.version == 4 else v6_bits
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


def client_fingerprint(secret: bytes, address: str, **prefix: int) -> str:
    """Truncated HMAC of the network prefix: never the raw address, stable per server key."""
    net = network_prefix(address, **prefix)
    return hmac.new(secret, net.encode(), hashlib.sha256).hexdigest()[:FINGERPRINT_CHARS]


@dataclass(frozen=True)
class ScanRecord:
    at: datetime
    client: str
    result: str


@dataclass(frozen=True)
class Tally:
    """An item's scans so far: how many, the first one's time, how many distinct clients."""

    count: int
    first_at: datetime | None
    clients: int


@dataclass(frozen=True)
class RecentFacts:
    """What the rules read from the item's latest RECENT_SCANS scans."""

    others_after: int
    """Distinct clients that checked after the sale or claim, other than any claimer; 0 when
    the item has fewer distinct clients in all than the rule needs (it cannot fire)."""
    burst: bool


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
# SQLite: three statements on the DBAPI cursor, inside the scan's write transaction (less
# Python while SQLite's write lock is held); times as SQLAlchemy stores them (UTC text).
_INSERT_SCAN = (
    "INSERT INTO scans (item_public_id, scanned_at, client, agent, result) "
    "VALUES (:item, :at, :client, :agent, :result)"
)
_KNOW_CLIENT = (  # last_insert_rowid() is the scan just inserted
    "INSERT INTO scan_clients (item_public_id, client, scans, last_at, last_id, claimed_at, "
    "claimed_id) VALUES (:item, :client, 1, :at, last_insert_rowid(), "
    "CASE WHEN :result = 'claimed' THEN :at END, "
    "CASE WHEN :result = 'claimed' THEN last_insert_rowid() END) "
    f"ON CONFLICT (item_public_id, client) DO UPDATE SET {_KEEP_LATEST} RETURNING scans"
)
_COUNT_SCAN = (
    "INSERT INTO scan_totals (item_public_id, count, first_at, clients) "
    f"VALUES (:item, 1, :at, :new) {_COUNT_IN_TOTALS}"
)
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's DATETIME storage format on SQLite
# PostgreSQL, two statements on the psycopg cursor, in one pipeline (one round trip with the
# transaction's BEGIN). First the item's totals, which locks their row: every scan of the item
# takes that lock before its client's row, so concurrent transactions, each taking the items of
# a batch in order, cannot deadlock (one statement of data-modifying CTEs would take the rows
# in no defined order). Then the scan and its client, and the client count when the client is
# new, in one statement.
_COUNT_SCAN_PG = (
    "INSERT INTO scan_totals (item_public_id, count, first_at, clients) "
    "VALUES (%(item)s, 1, %(at)s, 0) "
    "ON CONFLICT (item_public_id) DO UPDATE SET count = scan_totals.count + 1, "
    "first_at = CASE WHEN excluded.first_at < scan_totals.first_at "
    "THEN excluded.first_at ELSE scan_totals.first_at END"
)
_RECORD_PG = (
    "WITH scan AS (INSERT INTO scans (item_public_id, scanned_at, client, agent, result) "
    "VALUES (%(item)s, %(at)s, %(client)s, %(agent)s, %(result)s) RETURNING id, scanned_at), "
    "known AS (INSERT INTO scan_clients (item_public_id, client, scans, last_at, last_id, "
    "claimed_at, claimed_id) SELECT %(item)s, %(client)s, 1, scan.scanned_at, scan.id, "
    "CASE WHEN %(result)s = 'claimed' THEN scan.scanned_at END, "
    "CASE WHEN %(result)s = 'claimed' THEN scan.id END FROM scan "
    f"ON CONFLICT (item_public_id, client) DO UPDATE SET {_KEEP_LATEST} RETURNING scans) "
    "UPDATE scan_totals SET clients = scan_totals.clients "
    "+ (SELECT CASE WHEN scans = 1 THEN 1 ELSE 0 END FROM known) "
    "WHERE item_public_id = %(item)s RETURNING count, first_at, clients"
)
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

    Three statements in the caller's transaction (two in one pipeline on PostgreSQL), on the
    DBAPI cursor of the session's connection: the scan row, its
    client's row and the item's totals, whose row lock orders concurrent scans of one item
    (taken first on PostgreSQL; a caller recording scans of several items in one transaction
    takes them in order of ``item_public_id``, as ``scans.group.GroupCommit`` does).
    """
    conn = session.connection()  # Core execution: less overhead than the ORM's
    params = {
        "item": item_public_id,
        "at": at,
        "client": client[:FINGERPRINT_CHARS],
        "agent": (agent or None) and agent[:40],
        "result": result[:20],
    }
    if at.tzinfo is None:
        raise ValueError("naive datetime stored; use timezone-aware UTC")
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None
        params["at"] = at.astimezone(UTC)
        with driver.pipeline(), driver.cursor() as cursor:
            cursor.execute(_COUNT_SCAN_PG, params)
            cursor.execute(_RECORD_PG, params)
            row = cursor.fetchone()
        assert row is not None
        count, first_at, clients = row
        return Tally(int(count), first_at.astimezone(UTC), int(clients))
    params["at"] = at.astimezone(UTC).strftime(_SQLITE_TIME)
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        cursor.execute(_INSERT_SCAN, params)
        params["new"] = 1 if cursor.execute(_KNOW_CLIENT, params).fetchone()[0] == 1 else 0
        count, first_at, clients = cursor.execute(_COUNT_SCAN, params).fetchone()
    finally:
        cursor.close()
    first = datetime.fromisoformat(first_at).replace(tzinfo=UTC)
    return Tally(int(count), first, int(clients))


def tally(session: Session, item_public_id: str) -> Tally:
    """The item's totals, one primary-key read."""
    row = session.connection().execute(_TALLY, {"item": item_public_id}).first()
    return _NO_SCANS if row is None else Tally(int(row[0]), row[1], int(row[2]))


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
    wants_others = after and tally.clients >= _after_limit(status)
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
        burst = _burst_in(first[::-1], _WINDOW_US)
        if not burst and len(first) == _BURST_FIRST_LOOK:
            params["limit"] = RECENT_SCANS
            burst = _burst_in(conn.execute(latest, params).all()[::-1], _WINDOW_US)
    return RecentFacts(others, burst)


def recent_facts(
    recent: Sequence[ScanRecord], *, status: str, status_changed_at: datetime | None
) -> RecentFacts:
    """The facts the rules need from a list of the latest scans (oldest first)."""
    others = 0
    if status in ("sold", "claimed") and status_changed_at is not None:
        later = [r for r in recent if r.at > status_changed_at]
        claimers = {r.client for r in recent if r.result == "claimed"}
        others = len({r.client for r in later if r.client not in claimers})
    return RecentFacts(others, _has_burst(recent))


def summarise(tally: Tally) -> ScanSummary:
    return ScanSummary(count=tally.count, first_at=tally.first_at, distinct_clients=tally.clients)


def assess(
    *,
    status: str,
    status_changed_at: datetime | None,
    count: int,
    clients: Collection[str] | int,
    recent: Sequence[ScanRecord] | RecentFacts,
) -> CloneAssessment:
    """The clone signals for an item; ``recent`` includes the current scan when recorded.

    ``clients``: the distinct clients (or their number); ``recent``: the latest scans, or
    their ``stored_facts``.
    """
    if not isinstance(recent, RecentFacts):
        recent = recent_facts(recent, status=status, status_changed_at=status_changed_at)
    signals: list[Notice] = []
    distinct = clients if isinstance(clients, int) else len(clients)
    if count > MANY_CHECKS or distinct > MANY_CLIENTS:
        signals.append(
            Notice("clone_many_checks", "warning", {"count": str(count), "clients": str(distinct)})
        )
    after = status in ("sold", "claimed") and status_changed_at is not None
    if after and recent.others_after >= _after_limit(status):
        signals.append(
            Notice(f"clone_after_{status}", "warning", {"clients": str(recent.others_after)})
        )
    if recent.burst:
        signals.append(Notice("clone_burst", "warning", {"checks": str(BURST_CHECKS)}))
    if status in ("recalled", "destroyed"):
        signals.append(Notice(f"clone_status_{status}", "danger"))
    level = "none"
    if signals:
        strong = len(signals) > 1 or any(s.severity == "danger" for s in signals)
        level = "suspicious" if strong else "caution"
    return CloneAssessment(level, tuple(signals))  # type: ignore[arg-type]


def _after_limit(status: str) -> int:
    """Other clients after a claim (1) or a sale (AFTER_SALE_CLIENTS) that raise the signal."""
    return 1 if status == "claimed" else AFTER_SALE_CLIENTS


def _has_burst(recent: Sequence[ScanRecord]) -> bool:
    """At least BURST_CHECKS checks within BURST_WINDOW from BURST_CLIENTS or more clients."""
    return _burst_in([(r.at, r.client) for r in recent], BURST_WINDOW)


def _burst_in(points: Sequence[Sequence[Any]], window: Any) -> bool:
    """``_has_burst`` over (time, client), oldest first; times and window of one kind.

    One pass: the window of each scan (the scans at most ``window`` before it) slides forward
    with a count per client.
    """
    start = 0
    per_client: dict[str, int] = {}
    for end, (at, client) in enumerate(points):
        per_client[client] = per_client.get(client, 0) + 1
        while at - points[start][0] > window:
            gone = points[start][1]
            per_client[gone] -= 1
            if not per_client[gone]:
                del per_client[gone]
            start += 1
        if end - start + 1 >= BURST_CHECKS and len(per_client) >= BURST_CLIENTS:
            return True
    return False
