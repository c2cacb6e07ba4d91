"""EPCIS capture of a 10,000-event document vs. the domain's bulk append, in one run.

    .venv/bin/python bench/bench_epcis.py [--engines sqlite,postgresql] [--events N]

Capture: ``capture_document`` on the raw JSON body (parse, GS1 schema, CBV 2.0 event hash of
every event, plan, sign, append, project) in one transaction, as ``POST /epcis/capture`` does.
The reference paths on the same database, same event count, one transaction each:
``record_events`` (our EventInput, built into EPCIS events by the domain, hashed there) and
``record_epcis_events`` (EPCIS dicts that already carry eventIDs: sign, append and project only).
The capture's own stages (parse + schema, prepare incl. hashing) are timed apart, to show where
the difference goes.

``--subscriptions`` (issue 20): the same document captured end to end through the REST binding
(``POST /epcis/capture`` answered 202, then the worker records the job), on a fresh database,
once without subscriptions and once with three streaming subscriptions whose sender runs
meanwhile (three local receivers); goal: >= 0.8 x the rate without. Then the delivery latency
of streamed events (small captures, one every 50 ms: capture commit to the receiver's
receipt), p99 against a 2 s limit.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "epcis"))

from support.scenario import Scenario, build_scenario

from traceapp import create_app, migrate
from traceapp.db.sessions import Database, get_database
from traceapp.epcis.event_hash import event_hash
from traceapp.epcis.importer import prepare_document
from traceapp.epcis.schema import parse_document, validate_document
from traceapp.events.building import EventInput
from traceapp.events.capture import capture_document
from traceapp.events.services import record_epcis_events, record_events
from traceapp.keys.services import admin_key_name, init_ledger
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.log import create_log_key
from traceapp.ledger_store.writer import Ledger

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
ORIGIN = "bench.ocop.example.vn/ledger"
GTIN = "08938505974019"
# In the past: the ledger refuses events dated in the future (EVENT_IN_FUTURE).
T0 = (datetime.now(UTC) - timedelta(days=30)).replace(microsecond=0)


def epcis_events(
    serials: list[str], count: int, offset: int, start: datetime = T0
) -> list[dict[str, Any]]:
    """Shipping/receiving events over the scenario's items plus a partner's external EPC."""
    events = []
    for n in range(count):
        when = start + timedelta(seconds=offset + n)
        events.append(
            {
                "type": "ObjectEvent",
                "eventTime": when.strftime("%Y-%m-%dT%H:%M:%S.000+07:00"),
                "eventTimeZoneOffset": "+07:00",
                "action": "OBSERVE",
                "bizStep": "shipping" if n % 2 else "receiving",
                "disposition": "in_transit",
                "epcList": [
                    f"https://id.gs1.org/01/{GTIN}/21/{serials[n % len(serials)]}",
                    f"urn:epc:id:sgtin:0614141.107346.{n}",
                ],
                "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
                "bizTransactionList": [
                    {"type": "po", "bizTransaction": f"urn:epcglobal:cbv:bt:0614141073467:{n}"}
                ],
            }
        )
    return events


def document(events: list[dict[str, Any]]) -> bytes:
    return json.dumps(
        {
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2027-01-01T00:00:00Z",
            "epcisBody": {"eventList": events},
        }
    ).encode()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(url: str, key_file: Path, count: int) -> dict[str, float]:
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "LOG_KEY_FILE": str(key_file), "LOG_ORIGIN": ORIGIN})
    database: Database = get_database(app)
    ledger: Ledger = get_ledger(app)
    with app.app_context():
        with database.write() as s:
            init_ledger(s, ledger)
        with database.read_sessions() as s:
            admin = admin_key_name(s)
        scenario: Scenario = build_scenario(database, ledger, admin)
        from sqlalchemy import select

        from traceapp.batches.models import Item

        with database.read_sessions() as s:
            serials = list(
                s.execute(select(Item.serial).where(Item.public_id.in_(scenario.items))).scalars()
            )
        key = scenario.producer_key
        body = document(epcis_events(serials, count, 0))

        def capture() -> None:
            with database.write() as s:
                result = capture_document(s, ledger, key, body)
            assert len(result.recorded) == count, result.failures[:3]

        stages = {
            "parse+schema": timed(lambda: validate_document(parse_document(body))),
            "prepare (incl. hash)": timed(lambda: prepare_document(parse_document(body))),
        }
        capture_s = timed(capture)

        inputs = [
            EventInput(
                type="ObjectEvent",
                event_time=(T0 + timedelta(days=1, seconds=n)).astimezone(),
                biz_step="shipping",
                items=[scenario.items[n % len(scenario.items)]],
                read_point=scenario.farm,
            )
            for n in range(count)
        ]

        def bulk_inputs() -> None:
            with database.write() as s:
                record_events(s, ledger, key, inputs)

        bulk_s = timed(bulk_inputs)
        ready = epcis_events(serials, count, 10 * count)
        for event in ready:
            event["eventID"] = event_hash(event)

        def bulk_epcis() -> None:
            with database.write() as s:
                record_epcis_events(s, ledger, key, ready)

        epcis_s = timed(bulk_epcis)
    database.dispose()
    return {
        "capture": count / capture_s,
        "record_events": count / bulk_s,
        "record_epcis_events": count / epcis_s,
        **{f"stage {k}": count / v for k, v in stages.items()},
    }


def _setup(
    url: str, key_file: Path, config: dict[str, Any]
) -> tuple[Any, Database, Ledger, Scenario]:
    migrate.upgrade(url)
    app = create_app(
        {"DATABASE_URL": url, "LOG_KEY_FILE": str(key_file), "LOG_ORIGIN": ORIGIN, **config}
    )
    database, ledger = get_database(app), get_ledger(app)
    with app.app_context():
        with database.write() as s:
            init_ledger(s, ledger)
        with database.read_sessions() as s:
            admin = admin_key_name(s)
        scenario = build_scenario(database, ledger, admin)
    return app, database, ledger, scenario


def run_subscriptions(url: str, key_file: Path, count: int, with_subs: bool) -> dict[str, float]:
    """End-to-end REST capture rate (and, with subscriptions, delivery latency p99)."""
    from receiver import start_receiver
    from sqlalchemy import select

    from traceapp.auth.services import create_token
    from traceapp.batches.models import Item
    from traceapp.events.capture_jobs import run_captures
    from traceapp.events.models import CaptureJob

    app, database, ledger, scenario = _setup(url, key_file, {"EPCIS_ALLOW_PRIVATE_DEST": True})
    client = app.test_client()
    with database.write() as s:
        bearer = create_token(s, "producer", scenario.producer)[1]
    with database.read_sessions() as s:
        serials = list(
            s.execute(select(Item.serial).where(Item.public_id.in_(scenario.items))).scalars()
        )
    headers = {"Content-Type": "application/ld+json", "Authorization": f"Bearer {bearer}"}
    receivers, servers = [], []
    sender: subprocess.Popen[bytes] | None = None
    if with_subs:
        for n in range(3):
            got, server = start_receiver()
            receivers.append(got)
            servers.append(server)
            client.post("/epcis/queries", json={"name": f"q{n}", "query": {}}, headers=headers)
            client.post(
                f"/epcis/queries/q{n}/subscriptions",
                json={"dest": got.url, "stream": True, "signatureToken": "bench-secret-0123456789"},
                headers=headers,
            )
        # The sender in its own process, as deployed (`traceapp epcis deliver`): a thread here
        # would measure the GIL it shares with the capture.
        env = {
            **os.environ,
            "TRACEAPP_DATABASE_URL": url,
            "TRACEAPP_LOG_KEY_FILE": str(key_file),
            "TRACEAPP_LOG_ORIGIN": ORIGIN,
            "TRACEAPP_EPCIS_ALLOW_PRIVATE_DEST": "1",
        }
        traceapp = str(Path(sys.executable).with_name("traceapp"))
        sender = subprocess.Popen(
            [traceapp, "epcis", "deliver", "--poll", "0.05"], env=env, stderr=subprocess.DEVNULL
        )
    past = datetime.now(UTC) - timedelta(days=2)  # the ledger refuses events in the future
    body = document(epcis_events(serials, count, 0, past))
    # Warm up both runs alike (validator, caches); with subscriptions, time nothing until the
    # sender has delivered once to each receiver.
    warm = document(epcis_events(serials, 1, 10 * count, past))
    client.post("/epcis/capture", data=warm, headers=headers)
    run_captures(database, ledger, "bench")
    if with_subs:
        deadline = time.time() + 60
        while time.time() < deadline and not all(r.acknowledged() for r in receivers):
            time.sleep(0.05)

    def capture() -> None:
        answer = client.post("/epcis/capture", data=body, headers=headers)
        assert answer.status_code == 202, answer.json
        run_captures(database, ledger, "bench")
        job = client.get(answer.headers["Location"], headers=headers).json
        assert job["success"] and len(job["recorded"]) == count, job["errors"][:2]

    rate = count / timed(capture)
    result = {"capture end to end": rate}
    if with_subs:
        # Latency is measured from an idle sender: first let the big document's backlog drain.
        deadline = time.time() + 300
        while time.time() < deadline and any(
            sum(len(d.events) for d in r.acknowledged()) < count + 1 for r in receivers
        ):
            time.sleep(0.1)
        arrivals: dict[str, float] = {}
        committed: dict[str, float] = {}
        small = 10
        for n in range(20):
            events = epcis_events(serials, small, count + 100 + n * small, past)
            answer = client.post("/epcis/capture", data=document(events), headers=headers)
            run_captures(database, ledger, "bench")
            with database.read_sessions() as s:
                job = s.execute(
                    select(CaptureJob).where(CaptureJob.public_id == answer.json["captureID"])
                ).scalar_one()
                assert job.finished_at is not None
                report = json.loads(job.report)
                assert job.success, report.get("errors", [])[:2]
                for event_id in report["recorded"]:
                    committed[event_id] = job.finished_at.timestamp()
            time.sleep(0.05)
        deadline = time.time() + 60
        wanted = len(committed) * len(receivers)
        while time.time() < deadline:
            arrivals.clear()
            latencies = []
            for index, got in enumerate(receivers):
                for delivery in got.acknowledged():
                    for event in delivery.events:
                        if event["eventID"] in committed:
                            latencies.append(delivery.received_at - committed[event["eventID"]])
                            arrivals[f"{index}{event['eventID']}"] = delivery.received_at
            if len(arrivals) >= wanted:
                break
            time.sleep(0.1)
        latencies.sort()
        result["delivery latency p99 (s)"] = latencies[max(0, int(len(latencies) * 0.99) - 1)]
        result["events delivered"] = float(len(arrivals))
        result["events expected"] = float(wanted)
    if sender is not None:
        sender.terminate()
        sender.wait(30)
    for server in servers:
        server.shutdown()
    database.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--subscriptions", action="store_true", help="the issue 20 comparison")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_epcis_"))
    key_file = work / "log.key"
    create_log_key(key_file, ORIGIN)
    for engine in args.engines.split(","):
        if engine == "sqlite":
            url = f"sqlite:///{work / 'bench.db'}"
            cleanup: Callable[[], None] = lambda: None  # noqa: E731
        else:
            name = f"bench_epcis_{secrets.token_hex(4)}"
            try:
                with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
            except psycopg.OperationalError as exc:
                print(f"{engine}: skipped ({exc})")
                continue
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

            def cleanup(name: str = name) -> None:
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]

        if args.subscriptions:
            try:
                _subscriptions_report(engine, url, key_file, args.events)
            finally:
                cleanup()
            continue
        try:
            rates = run(url, key_file, args.events)
        finally:
            cleanup()
        base = rates["record_events"]
        print(f"{engine}: {args.events} events per transaction")
        for label, rate in rates.items():
            print(f"  {label:<28} {rate:>10,.0f} events/s   ({rate / base:.2f} x record_events)")


def _subscriptions_report(engine: str, url: str, key_file: Path, count: int) -> None:
    """Without, then with three streaming subscriptions, each on its own fresh database."""
    if url.startswith("sqlite"):
        other = url.replace("bench.db", "bench-subs.db")
        without = run_subscriptions(url, key_file, count, with_subs=False)
        with_subs = run_subscriptions(other, key_file, count, with_subs=True)
    else:
        base, _, name = url.rpartition("/")
        twin = f"{name}_subs"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{twin}"')  # type: ignore[arg-type]
        try:
            without = run_subscriptions(url, key_file, count, with_subs=False)
            with_subs = run_subscriptions(f"{base}/{twin}", key_file, count, with_subs=True)
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{twin}" WITH (FORCE)')  # type: ignore[arg-type]
    ratio = with_subs["capture end to end"] / without["capture end to end"]
    p99 = with_subs["delivery latency p99 (s)"]
    print(f"{engine}: {count}-event document, POST /epcis/capture + worker")
    print(f"  without subscriptions        {without['capture end to end']:>10,.0f} events/s")
    print(f"  with 3 streaming subs        {with_subs['capture end to end']:>10,.0f} events/s")
    print(
        f"  ratio                        {ratio:>10.2f}   (limit >= 0.80: {'ok' if ratio >= 0.8 else 'MISSED'})"
    )
    print(
        f"  delivery latency p99         {p99:>10.3f} s (limit <= 2 s: {'ok' if p99 <= 2 else 'MISSED'}; "
        f"{with_subs['events delivered']:.0f}/{with_subs['events expected']:.0f} delivered)"
    )


if __name__ == "__main__":
    main()
