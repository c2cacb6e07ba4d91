"""Scans and clone signals: fingerprints, counting, and each rule of docs/verification.md."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select
from support.scenario import Scenario
from verify_support import GTIN, LOT, NOW, verify

from traceapp.db.sessions import get_database
from traceapp.gs1.digital_link import DigitalLink
from traceapp.scans.clones import (
    ScanRecord,
    assess,
    client_fingerprint,
    network_prefix,
)
from traceapp.scans.models import Scan

SECRET = b"k" * 32


def test_fingerprint_is_a_keyed_hash_of_the_network_prefix() -> None:
    assert network_prefix("203.0.113.77") == "203.0.113.0/24"
    assert network_prefix("2001:db8:1:2:3::4") == "2001:db8:1::/48"
    assert network_prefix("::ffff:203.0.113.9") == "203.0.113.0/24"
    assert network_prefix("not an ip") == "unknown"
    same = client_fingerprint(SECRET, "203.0.113.1")
    assert same == client_fingerprint(SECRET, "203.0.113.250")
    assert same != client_fingerprint(SECRET, "203.0.114.1")
    assert same != client_fingerprint(b"x" * 32, "203.0.113.1")
    assert len(same) == 16 and "203" not in same


def _scans(times_and_clients: list[tuple[int, str]], result: str = "ok") -> list[ScanRecord]:
    return [ScanRecord(NOW + timedelta(minutes=m), c, result) for m, c in times_and_clients]


def test_no_signal_for_a_few_checks() -> None:
    recent = _scans([(0, "a"), (60, "a"), (600, "b")])
    assessment = assess(
        status="active", status_changed_at=None, count=3, clients={"a", "b"}, recent=recent
    )
    assert assessment.level == "none" and assessment.signals == ()


def test_many_checks_and_many_clients() -> None:
    recent = _scans([(i * 60, "a") for i in range(21)])
    by_count = assess(
        status="active", status_changed_at=None, count=21, clients={"a"}, recent=recent
    )
    assert [s.code for s in by_count.signals] == ["clone_many_checks"]
    assert by_count.level == "caution"
    clients = {f"c{i}" for i in range(6)}
    by_clients = assess(
        status="active", status_changed_at=None, count=6, clients=clients, recent=recent[:6]
    )
    assert [s.code for s in by_clients.signals] == ["clone_many_checks"]


def test_burst_from_different_clients_but_not_from_one() -> None:
    burst = _scans([(0, "a"), (2, "b"), (4, "c"), (6, "a"), (8, "b")])
    found = assess(
        status="active", status_changed_at=None, count=5, clients={"a", "b", "c"}, recent=burst
    )
    assert [s.code for s in found.signals] == ["clone_burst"]
    one_client = _scans([(0, "a"), (1, "a"), (2, "a"), (3, "a"), (4, "a")])
    assert not assess(
        status="active", status_changed_at=None, count=5, clients={"a"}, recent=one_client
    ).signals
    slow = _scans([(0, "a"), (4, "b"), (8, "c"), (12, "a"), (16, "b")])
    assert not assess(
        status="active", status_changed_at=None, count=5, clients={"a", "b", "c"}, recent=slow
    ).signals


def test_checks_after_claim_from_elsewhere() -> None:
    claimed_at = NOW + timedelta(minutes=10)
    recent = [
        ScanRecord(NOW, "buyer", "ok"),
        ScanRecord(claimed_at, "buyer", "claimed"),
        ScanRecord(claimed_at + timedelta(days=1), "buyer", "warning"),
    ]
    quiet = assess(
        status="claimed", status_changed_at=claimed_at, count=3, clients={"buyer"}, recent=recent
    )
    assert quiet.signals == ()
    recent.append(ScanRecord(claimed_at + timedelta(days=2), "stranger", "warning"))
    loud = assess(
        status="claimed",
        status_changed_at=claimed_at,
        count=4,
        clients={"buyer", "stranger"},
        recent=recent,
    )
    assert [s.code for s in loud.signals] == ["clone_after_claimed"]


def test_checks_after_sale_and_destroyed_items() -> None:
    sold_at = NOW
    recent = _scans([(5, "a"), (60, "b")])
    after_sale = assess(
        status="sold", status_changed_at=sold_at, count=2, clients={"a", "b"}, recent=recent
    )
    assert [s.code for s in after_sale.signals] == ["clone_after_sold"]
    destroyed = assess(
        status="destroyed", status_changed_at=None, count=1, clients={"a"}, recent=recent[:1]
    )
    assert [s.code for s in destroyed.signals] == ["clone_status_destroyed"]
    assert destroyed.level == "suspicious"


def test_a_recall_is_not_a_sign_of_a_copy() -> None:
    """The producer recalled the batch: the page says so; the code is not called copied."""
    recent = _scans([(5, "a")])
    recalled = assess(
        status="recalled", status_changed_at=None, count=1, clients={"a"}, recent=recent
    )
    assert recalled.level == "none" and recalled.signals == ()


def test_recorded_scans_count_and_raise_signals(
    app: Flask, scenario: Scenario, serials: list[str]
) -> None:
    link = DigitalLink(GTIN, LOT, serials[3])
    start = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    for i in range(6):
        view = verify(
            app, link, now=start + timedelta(minutes=i), client=f"client{i % 3}", record_scan=True
        )
    assert view.scans is not None
    assert (view.scans.count, view.scans.distinct_clients) == (6, 3)
    assert view.scans.first_at == start
    assert view.clone is not None and "clone_burst" in {s.code for s in view.clone.signals}
    with get_database(app).read_sessions() as session:
        rows = session.execute(
            select(Scan.client, Scan.result).where(Scan.item_public_id == scenario.items[3])
        ).all()
    assert len(rows) == 6 and {c for c, _ in rows} == {"client0", "client1", "client2"}
    # Reading without recording neither counts nor stores.
    again = verify(app, link, now=start + timedelta(hours=1), record_scan=False)
    assert again.scans is not None and again.scans.count == 6
