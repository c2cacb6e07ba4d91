"""EPCIS capture of a 10,000-event document vs. the domain's bulk append, in one run.

    .venv/bin/python bench/bench_epcis.py [--engines sqlite,postgresql] [--events N]

Capture: ``capture_document`` on the raw JSON body (parse, GS1 schema, CBV 2.0 event hash of
every event, plan, sign, append, project) in one transaction, as ``POST /epcis/capture`` does.
The reference paths on the same database, same event count, one transaction each:
``record_events`` (our EventInput, built into EPCIS events by the domain, hashed there) and
``record_epcis_events`` (EPCIS dicts that already carry eventIDs: sign, append and project only).
The capture's own stages (parse + schema, prepare incl. hashing) are timed apart, to show where
the difference goes.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

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
T0 = datetime(2027, 1, 1, tzinfo=UTC)


def epcis_events(serials: list[str], count: int, offset: int) -> list[dict[str, Any]]:
    """Shipping/receiving events over the scenario's items plus a partner's external EPC."""
    events = []
    for n in range(count):
        when = T0 + timedelta(seconds=offset + n)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--events", type=int, default=10_000)
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

        try:
            rates = run(url, key_file, args.events)
        finally:
            cleanup()
        base = rates["record_events"]
        print(f"{engine}: {args.events} events per transaction")
        for label, rate in rates.items():
            print(f"  {label:<28} {rate:>10,.0f} events/s   ({rate / base:.2f} x record_events)")


if __name__ == "__main__":
    main()
