"""Clone rules: the signals that a printed QR code may have been copied (docs/verification.md).

A printed code can be photocopied; the ledger cannot stop that, but scans can reveal it. Each
scan stores only a truncated keyed hash of the client's network prefix (/24 IPv4, /48 IPv6):
enough to tell "many places" from "one shopper checking twice", not enough to find anyone.
The rules read an item's totals (``Tally``) and facts of its latest scans (``RecentFacts``);
``scans.services`` stores the scans and reads those from the database.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

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


CloneLevel = Literal["none", "caution", "suspicious"]


@dataclass(frozen=True)
class CloneSignal:
    """A rule that fired: ``code`` names it (the page translates it); ``params`` fill it in."""

    code: str
    severity: Literal["warning", "danger"]
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CloneFindings:
    level: CloneLevel
    signals: tuple[CloneSignal, ...]


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


def assess(
    *,
    status: str,
    status_changed_at: datetime | None,
    count: int,
    clients: Collection[str] | int,
    recent: Sequence[ScanRecord] | RecentFacts,
) -> CloneFindings:
    """The clone signals for an item; ``recent`` includes the current scan when recorded.

    ``clients``: the distinct clients (or their number); ``recent``: the latest scans, or
    their ``stored_facts``.
    """
    if not isinstance(recent, RecentFacts):
        recent = recent_facts(recent, status=status, status_changed_at=status_changed_at)
    signals: list[CloneSignal] = []
    distinct = clients if isinstance(clients, int) else len(clients)
    if count > MANY_CHECKS or distinct > MANY_CLIENTS:
        signals.append(
            CloneSignal(
                "clone_many_checks", "warning", {"count": str(count), "clients": str(distinct)}
            )
        )
    after = status in ("sold", "claimed") and status_changed_at is not None
    if after and recent.others_after >= after_limit(status):
        signals.append(
            CloneSignal(f"clone_after_{status}", "warning", {"clients": str(recent.others_after)})
        )
    if recent.burst:
        signals.append(CloneSignal("clone_burst", "warning", {"checks": str(BURST_CHECKS)}))
    # A recall is the producer's own act, not a sign of copying: the page's recall warning says
    # what it means. A destroyed item's code still being scanned is a copy's sign.
    if status == "destroyed":
        signals.append(CloneSignal("clone_status_destroyed", "danger"))
    level = "none"
    if signals:
        strong = len(signals) > 1 or any(s.severity == "danger" for s in signals)
        level = "suspicious" if strong else "caution"
    return CloneFindings(level, tuple(signals))  # type: ignore[arg-type]


def after_limit(status: str) -> int:
    """Other clients after a claim (1) or a sale (AFTER_SALE_CLIENTS) that raise the signal."""
    return 1 if status == "claimed" else AFTER_SALE_CLIENTS


def _has_burst(recent: Sequence[ScanRecord]) -> bool:
    """At least BURST_CHECKS checks within BURST_WINDOW from BURST_CLIENTS or more clients."""
    return burst_in([(r.at, r.client) for r in recent], BURST_WINDOW)


def burst_in(points: Sequence[Sequence[Any]], window: Any) -> bool:
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
