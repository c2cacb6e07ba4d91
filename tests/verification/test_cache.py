"""The per-process snapshot cache and the scan group commit: fast, never stale.

Each test warms the cache with a first request, changes the ledger (or the scans), and checks
that the very next request shows the change. Over 400 lines: one change of each kind the
page shows (entries, recalls, claims, scans, certificates by date), each a short test.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support.scenario import VN, Scenario
from verify_support import GTIN, LOT, item_path

from traceapp.db.sessions import get_database
from traceapp.events.building import EventInput, SourceDest
from traceapp.events.services import record_event
from traceapp.gs1.digital_link import DigitalLink
from traceapp.keys.services import admin_key_name
from traceapp.ledger_runtime import get_ledger
from traceapp.products.services import revoke_certification
from traceapp.recalls.services import RecallInput, issue_recall
from traceapp.scans import clones
from traceapp.scans import services as scan_store
from traceapp.scans.group import GroupCommit
from traceapp.scans.models import Scan, ScanClient, ScanTotals
from traceapp.verification import snapshot
from traceapp.verification.services import prepare

JSON = {"Accept": "application/json"}
RECENT = clones.RECENT_SCANS
VN_TODAY = datetime.now(VN).date()
ORIGIN = {"Origin": "https://truyxuat.ocop.example.vn"}


def _get(client: FlaskClient, serial: str, address: str = "203.0.113.7") -> dict[str, Any]:
    response = client.get(item_path(serial), headers=JSON, environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 200
    data: dict[str, Any] = response.json  # type: ignore[assignment]
    return data


def _head_size(app: Flask) -> int:
    from traceapp.ledger_store.reads import latest_checkpoint_head

    with get_database(app).read_sessions() as session:
        return latest_checkpoint_head(session, get_ledger(app).origin)[0]


def test_a_warm_cache_serves_the_same_snapshot(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    snapshot.clear_cache()
    first = _get(client, serials[0])
    with get_database(app).read_sessions() as session:
        one = prepare(session, get_ledger(app), DigitalLink(GTIN, LOT, serials[0]), today=VN_TODAY)
    with get_database(app).read_sessions() as session:
        two = prepare(session, get_ledger(app), DigitalLink(GTIN, LOT, serials[0]), today=VN_TODAY)
    assert one.snapshot is two.snapshot  # one query (the checkpoint) for the ledger part
    second = _get(client, serials[0])
    assert first["proofs"] == second["proofs"] and first["journey"] == second["journey"]
    assert second["scans"]["count"] == first["scans"]["count"] + 1  # scans stay live


def test_a_new_event_shows_on_the_next_request(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    before = _get(client, serials[0])
    size = _head_size(app)
    with get_database(app).write() as session:
        record_event(
            session,
            get_ledger(app),
            scenario.producer_key,
            EventInput(
                type="ObjectEvent",
                event_time=datetime(2026, 11, 6, 9, 0, tzinfo=VN),
                action="OBSERVE",
                biz_step="receiving",
                read_point=scenario.shop,
                items=[scenario.items[0]],
                destinations=[SourceDest("location", scenario.shop)],
            ),
        )
    after = _get(client, serials[0])
    assert [s["bizStep"] for s in after["journey"]] == [
        *[s["bizStep"] for s in before["journey"]],
        "receiving",
    ]
    assert after["proofs"]["checkpointSize"] > size == before["proofs"]["checkpointSize"]
    new_seq = after["journey"][-1]["ledgerSeq"]
    assert new_seq in {e["seq"] for e in after["proofs"]["entries"]}
    assert after["proofs"]["allVerified"]
    # Another item of the batch was not in the event: its journey is unchanged, but it is now
    # proven against the new checkpoint too.
    other = _get(client, serials[1])
    assert other["journey"] == before["journey"]
    assert other["proofs"]["checkpointSize"] == after["proofs"]["checkpointSize"]


def test_a_recall_and_a_revocation_show_on_the_next_request(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    before = _get(client, serials[0])
    assert not {"recalled", "ocop_revoked"} & {w["code"] for w in before["warnings"]}
    with get_database(app).write() as session:
        issue_recall(
            session,
            get_ledger(app),
            scenario.producer_key,
            RecallInput(
                [scenario.batch], "Phát hiện nấm mốc", "high", datetime(2026, 11, 20, tzinfo=UTC)
            ),
        )
    recalled = _get(client, serials[0])
    assert "recalled" in {w["code"] for w in recalled["warnings"]}
    assert recalled["item"]["status"] == "recalled"
    assert recalled["clone"]["level"] == "none"  # a recall is not a sign of a copied code
    with get_database(app).read_sessions() as session:
        admin = admin_key_name(session)
    with get_database(app).write() as session:
        revoke_certification(session, get_ledger(app), admin, scenario.certification, "Vi phạm")
    revoked = _get(client, serials[0])
    assert revoked["ocop"]["status"] == "revoked"
    assert "ocop_revoked" in {w["code"] for w in revoked["warnings"]}
    assert "certification_revoked" in {e["subject"] for e in revoked["proofs"]["entries"]}
    assert revoked["proofs"]["allVerified"]


def test_a_claim_shows_on_the_next_request(
    client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    serial = serials[2]
    before = _get(client, serial)
    assert before["item"]["claimed"] is False
    claim = client.post(item_path(serial), data={"pin": scenario.pins[serial]}, headers=ORIGIN)
    assert claim.status_code == 200
    after = _get(client, serial)
    assert after["item"]["claimed"] is True and after["item"]["status"] == "claimed"
    assert "claimed" in {w["code"] for w in after["warnings"]}
    assert "item_status" in {e["subject"] for e in after["proofs"]["entries"]}
    # The claim scan is counted with the page scans.
    assert after["scans"]["count"] == before["scans"]["count"] + 2


def test_the_date_is_applied_per_request_on_a_cached_snapshot(
    app: Flask, scenario: Scenario, serials: list[str]
) -> None:
    link = DigitalLink(GTIN, LOT, serials[0])
    with get_database(app).read_sessions() as session:
        valid = prepare(session, get_ledger(app), link, today=datetime(2026, 11, 28).date())
        expired = prepare(session, get_ledger(app), link, today=datetime(2028, 11, 3).date())
    assert valid.snapshot is expired.snapshot
    assert valid.ocop is not None and valid.ocop.status == "valid"
    assert expired.ocop is not None and expired.ocop.status == "expired"
    assert "expired" in {w.code for w in expired.warnings}
    assert "expired" not in {w.code for w in valid.warnings}


def test_the_cache_is_bounded(
    app: Flask, monkeypatch: pytest.MonkeyPatch, scenario: Scenario, serials: list[str]
) -> None:
    monkeypatch.setattr(snapshot, "_CACHE", snapshot._Lru(3))
    with get_database(app).read_sessions() as session:
        for serial in serials:
            prepare(session, get_ledger(app), DigitalLink(GTIN, LOT, serial), today=VN_TODAY)
    assert len(snapshot._CACHE) == 3


def test_scan_totals_match_the_scans(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    for n in range(7):
        _get(client, serials[3], address=f"198.51.{n % 3}.{n + 1}")
    with get_database(app).read_sessions() as session:
        count, first, clients = session.execute(
            select(
                func.count(), func.min(Scan.scanned_at), func.count(func.distinct(Scan.client))
            ).where(Scan.item_public_id == scenario.items[3])
        ).one()
        totals = session.get(ScanTotals, scenario.items[3])
        known = session.execute(
            select(func.count()).where(ScanClient.item_public_id == scenario.items[3])
        ).scalar_one()
    assert totals is not None
    assert (
        (totals.count, totals.first_at, totals.clients) == (count, first, clients) == (7, first, 3)
    )
    assert known == 3
    last = _get(client, serials[3], address="198.51.9.9")
    assert last["scans"]["count"] == 8 and last["scans"]["distinctClients"] == 4


def _record(app: Flask, item: str, scans: list[tuple[Any, ...]], claimer: str = "") -> None:
    """Scans as (client, minute[, result]); the claimer's scans are claims unless given."""
    start = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    with get_database(app).write() as session:
        for who, minute, *result in scans:
            scan_store.record(
                session, item, at=start + timedelta(minutes=minute), client=who, agent=None,
                result=result[0] if result else "claimed" if who == claimer else "ok",
            )  # fmt: skip


QUIET = [("a", 0), ("b", 1), ("a", 40), ("c", 41), ("d", 43), ("c", 44)]
LATE_BURST = [("a", 0), ("b", 2), ("c", 4), ("a", 6), ("b", 8)] + [("a", 60 + n) for n in range(80)]
OLD_BURST = LATE_BURST + [("a", 200 + n) for n in range(RECENT)]


@pytest.mark.parametrize(
    "scans, burst, others",
    [
        (QUIET + [("a", 200 + 20 * n) for n in range(70)], False, 2),  # 4 checks in 10 min
        ([*QUIET, ("e", 50), ("f", 51)], True, 4),  # found among the latest 64
        (LATE_BURST, True, 1),  # only beyond the latest 64
        (OLD_BURST, False, 1),  # beyond the latest 500: forgotten
        ([("a", 0), ("a", 40), ("a", 41)], False, 1),  # one client: skipped after a sale
        # d's claim is older than the latest 500 scans, its later check is not: an other.
        ([("d", 0), *[("a", 40 + n) for n in range(RECENT)], ("d", 900, "ok")], False, 2),
        # recorded out of time order
        ([("a", 50), ("b", 40), ("c", 45), ("b", 41), ("a", 44)], True, 3),
        # 5 checks in exactly 10 minutes is a burst; 10 minutes and 1 microsecond is not
        ([("a", 0), ("b", 2), ("c", 4), ("a", 6), ("b", 10)], True, 0),
        ([("a", 0), ("b", 2), ("c", 4), ("a", 6), ("b", 10 + 1 / 60e6)], False, 0),
        # three clients in all, but only one among the latest 500 scans: nothing is searched
        ([("b", 0), ("c", 1), *[("a", 40 + n) for n in range(RECENT)]], False, 1),
    ],
)
def test_stored_facts_agree_with_the_rules_on_the_latest_scans(
    app: Flask, scenario: Scenario, scans: list[tuple[Any, ...]], burst: bool, others: int
) -> None:
    item = scenario.items[4]
    _record(app, item, scans, claimer="d")
    sold_at = datetime(2026, 11, 28, 1, 30, tzinfo=UTC)
    with get_database(app).read_sessions() as session:
        tally = scan_store.tally(session, item)
        recent = scan_store.recent_scans(session, item)
        for status, changed in (("sold", sold_at), ("claimed", sold_at), ("active", None)):
            stored = scan_store.stored_facts(
                session, item, status=status, status_changed_at=changed, tally=tally
            )
            listed = clones.recent_facts(recent, status=status, status_changed_at=changed)
            if tally.clients >= 2:
                assert stored == listed
            assert stored.burst is burst
            needed = 1 if status == "claimed" else clones.AFTER_SALE_CLIENTS
            assert stored.others_after == (others if changed and tally.clients >= needed else 0)
            signals = [
                clones.assess(
                    status=status, status_changed_at=changed, count=tally.count,
                    clients=tally.clients, recent=facts,
                ).signals
                for facts in (stored, listed, recent)
            ]  # fmt: skip
            assert signals[0] == signals[1] == signals[2]
    assert tally.count == len(scans) and tally.clients == len({c for c, *_ in scans})


def test_group_commit_runs_each_work_once_and_isolates_failures(app: Flask) -> None:
    writer = GroupCommit(get_database(app))
    results: dict[int, object] = {}
    start = threading.Barrier(6)

    def work(n: int) -> None:
        start.wait()

        def statements(session: Any) -> int:
            if n == 3:
                raise ValueError("boom")
            scan_store.record(
                session, "itm_group", at=datetime.now(UTC), client=f"c{n}", agent=None, result="ok"
            )
            return n

        try:
            results[n] = writer.run(statements)
        except ValueError as exc:
            results[n] = exc

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {n: r for n, r in results.items() if n != 3} == {0: 0, 1: 1, 2: 2, 4: 4, 5: 5}
    assert isinstance(results[3], ValueError)
    with get_database(app).read_sessions() as session:
        assert scan_store.tally(session, "itm_group").count == 5
        rows = session.execute(
            select(func.count()).where(Scan.item_public_id == "itm_group")
        ).scalar_one()
    assert rows == 5


def test_the_migration_counts_the_scans_recorded_before_it(app: Flask, database_url: str) -> None:
    """The backfill of 0004 and the upkeep of scans.services.record agree, out-of-order times included."""
    from traceapp import migrate

    def hour(h: float) -> datetime:
        return datetime(2026, 11, 28, tzinfo=UTC) + timedelta(hours=h)

    scans = [("x", 3, "ok"), ("y", 1, "claimed"), ("x", 2, "claimed"), ("y", 0.5, "ok")]
    get_database(app).dispose()
    migrate.downgrade(database_url, "0003")
    engine = get_database(app).engine
    with engine.begin() as conn:
        for who, h, result in scans:
            conn.execute(
                Scan.__table__.insert().values(
                    item_public_id="itm_old", scanned_at=hour(h), client=who, result=result
                )
            )
    engine.dispose()
    migrate.upgrade(database_url)
    with get_database(app).write() as session:
        for who, h, result in scans:
            scan_store.record(session, "itm_new", at=hour(h), client=who, agent=None, result=result)

    def clients(item: str) -> list[tuple[object, ...]]:
        with get_database(app).read_sessions() as session:
            rows = session.execute(
                select(ScanClient).where(ScanClient.item_public_id == item)
            ).scalars()
            ids = dict(
                session.execute(
                    select(Scan.id, Scan.scanned_at).where(Scan.item_public_id == item)
                ).all()
            )
            return sorted(
                (c.client, c.scans, c.last_at, ids[c.last_id], c.claimed_at,
                 ids.get(c.claimed_id or 0))
                for c in rows
            )  # fmt: skip

    assert (
        clients("itm_old")
        == clients("itm_new")
        == [
            ("x", 2, hour(3), hour(3), hour(2), hour(2)),
            ("y", 2, hour(1), hour(1), hour(1), hour(1)),
        ]
    )
    with get_database(app).read_sessions() as session:
        assert scan_store.tally(session, "itm_old") == clones.Tally(4, hour(0.5), 2)
        assert scan_store.tally(session, "itm_new") == clones.Tally(4, hour(0.5), 2)


def test_scan_commits_skip_the_fsync_only_for_themselves(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    from sqlalchemy import text

    from traceapp.scans.group import scan_transaction

    database = get_database(app)
    if not database.is_sqlite:
        # PostgreSQL: the scan's own pipeline makes its transaction's commit asynchronous.
        with scan_transaction(database) as session:
            assert session.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
            scan_store.record(
                session, "itm_async", at=datetime.now(UTC), client="c", agent=None, result="ok"
            )
            assert session.execute(text("SHOW synchronous_commit")).scalar_one() == "off"
        _get(client, serials[0])
        with database.write() as session:  # every other write, on any pooled connection: durable
            assert session.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
            scan_store.record(
                session, "itm_sync", at=datetime.now(UTC), client="c", agent=None, result="ok"
            )
            assert session.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
        with database.read_sessions() as session:
            assert scan_store.tally(session, "itm_async").count == 1  # committed all the same
        return
    with scan_transaction(database) as session:
        assert session.execute(text("PRAGMA synchronous")).scalar_one() == 1  # NORMAL
    _get(client, serials[0])
    with database.engine.connect() as conn:  # the pooled connection is back at FULL
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2
    with database.write() as session:
        assert session.execute(text("PRAGMA synchronous")).scalar_one() == 2


def test_two_workers_batches_never_deadlock(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    """Two group writers (two workers) with batches of scans of two items by two clients.

    Every transaction takes an item's totals before its clients' rows, and the items of a
    batch in order, so none waits for another in a cycle (a deadlock would fail a batch,
    logged, and its scans would be retried alone).
    """
    import random

    writers = [GroupCommit(get_database(app)), GroupCommit(get_database(app))]
    items, clients = ["itm_dl_b", "itm_dl_a"], ["x", "y", "z"]
    errors: list[BaseException] = []
    rng = random.Random(7)
    plan = [(rng.choice(writers), rng.choice(items), rng.choice(clients)) for _ in range(240)]
    start = threading.Barrier(8)

    def worker(part: list[tuple[GroupCommit, str, str]]) -> None:
        start.wait()
        for writer, item, who in part:

            def work(session: Any, item: str = item, who: str = who) -> clones.Tally:
                return scan_store.record(
                    session, item, at=datetime.now(UTC), client=who, agent=None, result="ok"
                )

            try:
                writer.run(work, order=item)
            except Exception as exc:  # pragma: no cover - the failure this test looks for
                errors.append(exc)

    with caplog.at_level("WARNING", logger="traceapp.scans.group"):
        threads = [threading.Thread(target=worker, args=(plan[n::8],)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == [] and not caplog.records
    with get_database(app).read_sessions() as session:
        for item in items:
            expected = [p for p in plan if p[1] == item]
            assert scan_store.tally(session, item).count == len(expected)
            assert scan_store.tally(session, item).clients == len({who for _, _, who in expected})
