"""Shared helpers for the verification tests: running verify_code in the app's database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import quote

from flask import Flask

from traceapp.db.sessions import get_database
from traceapp.gs1.digital_link import DigitalLink
from traceapp.ledger_runtime import get_ledger
from traceapp.verification.model import Verification
from traceapp.verification.services import verify_code

GTIN = "08938505974019"
LOT = "L2026-11A"
TODAY = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def verify(
    app: Flask,
    link: DigitalLink,
    *,
    today: date = TODAY,
    now: datetime = NOW,
    client: str | None = None,
    record_scan: bool = False,
) -> Verification:
    with get_database(app).write() as session:
        return verify_code(
            session,
            get_ledger(app),
            link,
            today=today,
            now=now,
            client=client,
            record_scan=record_scan,
        )


def item_path(serial: str, lot: str = LOT) -> str:
    return f"/01/{GTIN}/10/{quote(lot, safe='')}/21/{quote(serial, safe='')}"
