"""What is shown is what is proven (principle 7) for the office's corrections: an item's page
shows the producer as its registration and every ``producer.updated`` say, each entry proven,
whatever the ``producers`` row was edited to."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import text
from support.scenario import Scenario
from verify_support import GTIN, LOT, verify

from traceapp.db.sessions import get_database
from traceapp.gs1.digital_link import DigitalLink
from traceapp.keys.services import admin_key_name
from traceapp.ledger_runtime import get_ledger
from traceapp.producers.changes import AddressInput, ProducerChanges, update_producer
from traceapp.verification import snapshot


def test_every_producer_update_is_applied_and_proven(
    app: Flask, scenario: Scenario, serials: list[str]
) -> None:
    with get_database(app).write() as session:
        ledger = get_ledger(app)
        admin = admin_key_name(session)
        update_producer(
            session,
            ledger,
            admin,
            scenario.producer,
            ProducerChanges(name="Hợp tác xã Chè Shan Tuyết Bản Mế Si Ma Cai"),
        )
        update_producer(
            session,
            ledger,
            admin,
            scenario.producer,
            ProducerChanges(
                address=AddressInput("Lào Cai", "2025-07-01", "Xã Si Ma Cai", "Thôn 2")
            ),
        )
    with get_database(app).write() as session:
        session.execute(text("UPDATE producers SET name = 'FAKE', province = 'FAKE'"))
    snapshot.clear_cache()
    view = verify(app, DigitalLink(GTIN, LOT, serials[0]))
    producer = view.producer
    assert producer.name == "Hợp tác xã Chè Shan Tuyết Bản Mế Si Ma Cai"
    assert (producer.address.province, producer.address.commune) == ("Lào Cai", "Xã Si Ma Cai")
    updates = [e for e in view.proofs.entries if e.subject == "producer_update"]
    assert len(updates) == 2 and all(e.verified for e in updates)
    assert "projection_mismatch" not in {w.code for w in view.warnings}
