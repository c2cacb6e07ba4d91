"""The whole producer flow through the services, checked against the ledger itself."""

from __future__ import annotations

import base64
import hashlib

from sqlalchemy import func, select
from support.scenario import Scenario

from ledger.checkpoint import open_checkpoint
from ledger.entry import GENESIS_PREV, parse_entry
from ledger.merkle import leaf_hash, root_from_leaf_hashes
from ledger.registry import KeyRegistry
from traceapp.batches.models import Batch, Item, ItemPinSalt
from traceapp.batches.services import check_pin
from traceapp.db.sessions import Database
from traceapp.events.models import Event, EventEpc
from traceapp.ledger_store.models import LedgerCheckpoint, LedgerEntry, LedgerHead
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.models import PersonalData, Producer
from traceapp.products.models import Certification, Product


def _entries(database: Database) -> list[bytes]:
    with database.read_sessions() as s:
        return list(s.execute(select(LedgerEntry.entry).order_by(LedgerEntry.seq)).scalars())


def test_every_write_is_a_signed_chained_entry(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    entries = _entries(database)
    registry = KeyRegistry()
    prev = GENESIS_PREV
    for seq, data in enumerate(entries):
        entry = parse_entry(data)
        assert entry.seq == seq and entry.prev == prev and entry.log == ledger.origin
        registry.required_verifier(entry).verify(entry.signed_message(), entry.sig)
        registry.apply(entry)
        prev = leaf_hash(data)
    types = [parse_entry(d).type for d in entries]
    assert types[:2] == ["key.registered", "key.registered"]
    assert types.count("event.recorded") == 3
    assert "producer.registered" in types and "items.issued" in types

    with database.read_sessions() as s:
        head = s.get(LedgerHead, ledger.origin)
        assert head is not None and head.size == len(entries)
        latest = s.execute(
            select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)
        ).scalar_one()
        checkpoints = s.execute(select(func.count()).select_from(LedgerCheckpoint)).scalar()
    checkpoint = open_checkpoint(latest.note, ledger.log.verifier)
    assert checkpoint.size == len(entries)
    assert checkpoint.root_hash == root_from_leaf_hashes([leaf_hash(d) for d in entries])
    # One checkpoint per append (items.issued with 5 serials is one entry), never re-signed.
    assert checkpoints is not None and 2 < checkpoints <= len(entries)


def test_projections_hold_what_the_ledger_says(database: Database, scenario: Scenario) -> None:
    with database.read_sessions() as s:
        producer = s.execute(select(Producer)).scalar_one()
        assert producer.name == "Hợp tác xã Chè Shan Tuyết Bản Mế"
        product = s.execute(select(Product)).scalar_one()
        assert product.gtin == "08938505974019"
        assert product.name_vi == "Trà Shan tuyết Cổ thụ"
        cert = s.execute(select(Certification)).scalar_one()
        assert (cert.stars, cert.valid_until.isoformat()) == (4, "2028-03-15")
        batch = s.execute(select(Batch)).scalar_one()
        assert str(batch.quantity) == "120.500" and batch.unit == "kg"
        items = s.execute(select(Item)).scalars().all()
        assert len(items) == 5 and {i.status for i in items} == {"active"}
        assert all(len(i.serial) == 12 for i in items)
        events = s.execute(select(Event).order_by(Event.event_time)).scalars().all()
        assert [e.biz_step for e in events] == ["harvesting", "packing", "shipping"]
        assert all(e.event_id.startswith("ni:///sha-256;") for e in events)
        assert events[0].event_time_zone_offset == "+07:00"
        epcs = s.execute(
            select(EventEpc).where(EventEpc.event_seq == events[1].ledger_seq)
        ).scalars()
        assert sorted(e.item_id for e in epcs) == sorted(i.id for i in items)


def test_personal_data_is_only_a_salted_hash_on_the_ledger(
    database: Database, scenario: Scenario
) -> None:
    entries = b"".join(_entries(database))
    assert b"0912345678" not in entries and "Nguyễn Văn Hùng".encode() not in entries
    with database.read_sessions() as s:
        phone = s.get(PersonalData, (scenario.producer, "phone"))
        assert phone is not None and phone.salt is not None
        digest = hashlib.sha256(phone.salt + b"0912345678").digest()
    assert base64.b64encode(digest) in entries


def test_pins_are_salted_and_checkable(database: Database, scenario: Scenario) -> None:
    assert len(scenario.pins) == 5
    with database.read_sessions() as s:
        items = s.execute(select(Item)).scalars().all()
        assert s.execute(select(func.count()).select_from(ItemPinSalt)).scalar() == 5
        item = items[0]
        assert check_pin(s, item, scenario.pins[item.serial])
        assert not check_pin(
            s, item, "00000000" if scenario.pins[item.serial] != "00000000" else "1"
        )
        salt = s.get(ItemPinSalt, item.public_id)
    assert salt is not None and salt.salt not in b"".join(_entries(database))
