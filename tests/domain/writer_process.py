"""A writer process for the crash test: acknowledges 20 events, then starts a bulk append.

Prints ``ACK <eventID>`` after each commit, ``BULK`` before the bulk append and, with
WRITER_PAUSE=1, ``IN-TXN`` after appending inside the still-open transaction.
"""

from __future__ import annotations

import ast
import os
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from traceapp import create_app
from traceapp.db.sessions import get_database
from traceapp.events.building import EventInput
from traceapp.events.models import Event
from traceapp.events.services import record_event, record_events
from traceapp.ledger_runtime import get_ledger


def main() -> None:
    app = create_app(ast.literal_eval(os.environ["WRITER_CONFIG"]))
    database, ledger = get_database(app), get_ledger(app)
    key = os.environ["WRITER_PRODUCT_KEY"]
    items = os.environ["WRITER_ITEMS"].split(",")
    start = datetime(2026, 11, 10, tzinfo=UTC)
    for n in range(20):
        with database.write() as s:
            receipt = record_event(
                s,
                ledger,
                key,
                EventInput(
                    type="ObjectEvent",
                    event_time=start + timedelta(minutes=n),
                    biz_step="inspecting",
                    items=items[:1],
                ),
            )
            event_id = s.execute(
                select(Event.event_id).where(Event.ledger_seq == receipt.ledger_index)
            ).scalar_one()
        print("ACK", event_id, flush=True)
    bulk = [
        EventInput(
            type="ObjectEvent",
            event_time=start + timedelta(hours=1, seconds=n),
            biz_step="storing",
            items=items[:1],
        )
        for n in range(1000)
    ]
    print("BULK", flush=True)
    with database.write() as s:
        record_events(s, ledger, key, bulk)
        if os.environ.get("WRITER_PAUSE") == "1":
            print("IN-TXN", flush=True)
            time.sleep(60)


if __name__ == "__main__":
    main()
