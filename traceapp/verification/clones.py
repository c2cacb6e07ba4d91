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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from traceapp.scans.models import Scan
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


def load_scans(
    session: Session, item_public_id: str
) -> tuple[int, datetime | None, set[str], list[ScanRecord]]:
    """Count, first time, distinct clients and the latest scans of an item (oldest first)."""
    rows = session.execute(
        select(Scan.scanned_at, Scan.client, Scan.result)
        .where(Scan.item_public_id == item_public_id)
        .order_by(Scan.scanned_at.desc(), Scan.id.desc())
        .limit(RECENT_SCANS)
    ).all()
    recent = [ScanRecord(at, client, result) for at, client, result in reversed(rows)]
    if len(rows) < RECENT_SCANS:
        count = len(rows)
        first = recent[0].at if recent else None
        clients = {r.client for r in recent}
    else:
        count, first = session.execute(
            select(func.count(), func.min(Scan.scanned_at)).where(
                Scan.item_public_id == item_public_id
            )
        ).one()
        clients = set(
            session.execute(
                select(Scan.client).where(Scan.item_public_id == item_public_id).distinct()
            ).scalars()
        )
    return count, first, clients, recent


def summarise(count: int, first: datetime | None, clients: set[str]) -> ScanSummary:
    return ScanSummary(count=count, first_at=first, distinct_clients=len(clients))


def assess(
    *,
    status: str,
    status_changed_at: datetime | None,
    count: int,
    clients: set[str],
    recent: Sequence[ScanRecord],
) -> CloneAssessment:
    """The clone signals for an item; ``recent`` includes the current scan when recorded."""
    signals: list[Notice] = []
    if count > MANY_CHECKS or len(clients) > MANY_CLIENTS:
        signals.append(
            Notice(
                "clone_many_checks", "warning", {"count": str(count), "clients": str(len(clients))}
            )
        )
    if status in ("sold", "claimed") and status_changed_at is not None:
        later = [r for r in recent if r.at > status_changed_at]
        claimers = {r.client for r in later if r.result == "claimed"} | {
            r.client for r in recent if r.result == "claimed"
        }
        others = {r.client for r in later if r.client not in claimers}
        limit = 1 if status == "claimed" else AFTER_SALE_CLIENTS
        if len(others) >= limit:
            signals.append(
                Notice(f"clone_after_{status}", "warning", {"clients": str(len(others))})
            )
    if _has_burst(recent):
        signals.append(Notice("clone_burst", "warning", {"checks": str(BURST_CHECKS)}))
    if status in ("recalled", "destroyed"):
        signals.append(Notice(f"clone_status_{status}", "danger"))
    level = "none"
    if signals:
        strong = len(signals) > 1 or any(s.severity == "danger" for s in signals)
        level = "suspicious" if strong else "caution"
    return CloneAssessment(level, tuple(signals))  # type: ignore[arg-type]


def _has_burst(recent: Sequence[ScanRecord]) -> bool:
    """At least BURST_CHECKS checks within BURST_WINDOW from BURST_CLIENTS or more clients."""
    start = 0
    for end, scan in enumerate(recent):
        while scan.at - recent[start].at > BURST_WINDOW:
            start += 1
        window = recent[start : end + 1]
        if len(window) >= BURST_CHECKS and len({r.client for r in window}) >= BURST_CLIENTS:
            return True
    return False


def record(
    session: Session,
    item_public_id: str,
    *,
    at: datetime,
    client: str,
    agent: str | None,
    result: str,
) -> None:
    session.add(
        Scan(
            item_public_id=item_public_id,
            scanned_at=at,
            client=client[:FINGERPRINT_CHARS],
            agent=(agent or None) and agent[:40],
            result=result[:20],
        )
    )
