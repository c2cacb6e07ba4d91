"""The office's producer statements: ``producer.updated`` (with its history and search keys),
``producer.suspended``/``producer.resumed`` (a suspended producer's keys sign nothing, at every
door, until resumed), rebuilt from the ledger and checked by ``ledger verify --deep``."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from support.scenario import VN, Scenario

from traceapp.accounts.models import PRODUCER_OWNER, Account
from traceapp.accounts.office import resume_producer, suspend_producer
from traceapp.accounts.services import PersonInput, create_account
from traceapp.auth.models import ApiToken
from traceapp.auth.services import authenticate, create_token
from traceapp.db.sessions import Database
from traceapp.events.building import EventInput
from traceapp.events.services import record_event
from traceapp.i18n import place_key, search_key
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.rebuild import first_difference, snapshot
from traceapp.ledger_store.service import WriteRequest
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.changes import AddressInput, ProducerChanges, update_producer
from traceapp.producers.errors import (
    NotProducersActor,
    ProducerExists,
    ProducerInvalid,
    ProducerStatusUnchanged,
    ProducerSuspended,
)
from traceapp.producers.models import HISTORY_TYPES, Producer, ProducerChange
from traceapp.producers.services import ProducerInput, register_producer
from traceapp.products.services import ProductInput, register_product


def test_search_key_drops_diacritics_and_case() -> None:
    assert search_key("Quảng Nam") == search_key("quang nam") == search_key("QUẢNG  NAM ")
    assert search_key("Đà Nẵng") == "da nang"
    assert search_key(None) is None
    assert place_key("Tỉnh Quảng Nam") == place_key("quang nam") == "quang nam"
    assert place_key("TP. Đà Nẵng") == place_key("Thành phố Đà Nẵng") == place_key("TP.Đà Nẵng")
    assert place_key("Xã Trà Linh") == "tra linh"


def _producer(s: object, ledger: Ledger, admin: str, name: str, tax: str | None = None) -> str:
    return register_producer(
        s,  # type: ignore[arg-type]
        ledger,
        admin,
        ProducerInput(
            kind="cooperative",
            name=name,
            province="Quảng Nam",
            commune="Xã Điện Bàn",
            address_recorded_on=date(2024, 5, 1),
            tax_code=tax,
        ),
    ).public_ids[0]


def test_update_records_only_the_changes_and_keeps_the_history(
    database: Database, ledger: Ledger, admin: str, scenario: Scenario
) -> None:
    with database.write() as s:
        pid = _producer(s, ledger, admin, "HTX Rau Trà Quế", "4000123456")
        _producer(s, ledger, admin, "HTX Bánh tráng", "4000999999")
    new_address = AddressInput("Thành phố Đà Nẵng", "2025-07-01", "Phường Hội An Tây", "Thôn 3")
    with database.write() as s:
        receipt = update_producer(
            s,
            ledger,
            admin,
            pid,
            ProducerChanges(name="Hợp tác xã Rau Trà Quế", address=new_address),
        )
    with database.read_sessions() as s:
        entry = s.get(LedgerEntry, (ledger.origin, receipt.ledger_index))
        assert entry is not None and entry.type == "producer.updated"
        row = s.execute(select(Producer).where(Producer.public_id == pid)).scalar_one()
        assert (row.name, row.province, row.commune) == (
            "Hợp tác xã Rau Trà Quế",
            "Thành phố Đà Nẵng",
            "Phường Hội An Tây",
        )
        assert row.address_recorded_on == date(2025, 7, 1)
        assert (row.province_key, row.commune_key) == ("da nang", "hoi an tay")
        assert row.name_key == "hop tac xa rau tra que"
        assert row.updated_seq == receipt.ledger_index
        history = s.execute(
            select(ProducerChange.type)
            .where(ProducerChange.producer_id == row.id)
            .order_by(ProducerChange.seq)
        ).scalars()
        types = list(history)
        assert types == ["producer.registered", "producer.updated"]
        assert set(types) <= set(HISTORY_TYPES)
    with database.write() as s, pytest.raises(ProducerExists):
        update_producer(s, ledger, admin, pid, ProducerChanges(tax_code="4000999999"))
    with database.write() as s, pytest.raises(ProducerInvalid):
        # The same address again changes nothing, and nothing is written.
        update_producer(s, ledger, admin, pid, ProducerChanges(address=new_address))
    with database.write() as s, pytest.raises(NotProducersActor):
        update_producer(
            s, ledger, scenario.producer_key, scenario.producer, ProducerChanges(name="X")
        )


def test_suspension_refuses_the_producers_writes_until_resumed(
    database: Database, ledger: Ledger, admin: str, scenario: Scenario
) -> None:
    with database.write() as s:
        _token, secret = create_token(s, "producer", scenario.producer)
        create_account(
            s,
            PRODUCER_OWNER,
            scenario.producer,
            PersonInput("Nguyễn Văn Hùng", "hung@example.vn", None, "chè shan tuyết bản mế"),
        )
    office = WriteRequest(admin)
    with database.write() as s:
        change = suspend_producer(s, ledger, office, scenario.producer, "Kiểm tra hồ sơ")
    assert change.tokens_revoked == 1
    with database.read_sessions() as s:
        assert authenticate(s, secret) is None
        assert s.execute(select(ApiToken.revoked_at)).scalar_one() is not None
        owner = s.execute(select(Account)).scalar_one()
        assert owner.suspended_at is not None
    event = EventInput(
        type="ObjectEvent",
        event_time=datetime(2026, 12, 3, 9, tzinfo=VN),
        biz_step="inspecting",
        items=scenario.items[:1],
    )
    before = _size(database)
    with database.write() as s, pytest.raises(ProducerSuspended) as refused:
        record_event(s, ledger, scenario.producer_key, event)
    assert refused.value.code == "PRODUCER_SUSPENDED"
    with database.write() as s, pytest.raises(ProducerSuspended):
        register_product(
            s,
            ledger,
            scenario.producer_key,
            ProductInput(scenario.producer, "8938505974026", "Chè xanh", "drinks"),
        )
    assert _size(database) == before
    with database.write() as s, pytest.raises(ProducerStatusUnchanged):
        suspend_producer(s, ledger, office, scenario.producer, "again")
    with database.write() as s:
        # The office's own key still acts for it (to correct a record).
        record_event(s, ledger, admin, event)
        resumed = resume_producer(s, ledger, office, scenario.producer, None)
    assert resumed.accounts_resumed == 1
    later = EventInput(**{**event.__dict__, "event_time": datetime(2026, 12, 3, 10, tzinfo=VN)})
    with database.write() as s:
        record_event(s, ledger, scenario.producer_key, later)
    with database.read_sessions() as s:
        assert s.execute(select(Account.suspended_at)).scalar_one() is None
        # A revoked token stays revoked: the owner makes a new one.
        assert authenticate(s, secret) is None


def _size(database: Database) -> int:
    with database.read_sessions() as s:
        return len(s.execute(select(LedgerEntry.seq)).all())


def test_rebuild_and_deep_verify_cover_the_office_statements(
    runner: FlaskCliRunner, database: Database, ledger: Ledger, admin: str, scenario: Scenario
) -> None:
    office = WriteRequest(admin)
    with database.write() as s:
        update_producer(
            s,
            ledger,
            admin,
            scenario.producer,
            ProducerChanges(kind="enterprise", gln="8938505970004"),
        )
        suspend_producer(s, ledger, office, scenario.producer, "Tạm dừng")
    with database.read_sessions() as s:
        before = snapshot(s)
    assert before["producer_changes"]
    result = runner.invoke(args=["ledger", "rebuild"])
    assert result.exit_code == 0, result.output
    with database.read_sessions() as s:
        assert first_difference(before, snapshot(s)) is None
    result = runner.invoke(args=["ledger", "verify", "--deep"])
    assert result.exit_code == 0, result.output
    with database.write() as s:
        row = s.execute(
            select(Producer).where(Producer.public_id == scenario.producer)
        ).scalar_one()
        row.suspended_seq = None  # an edit behind the ledger's back
        row.province_key = "ha noi"
    result = runner.invoke(args=["ledger", "verify", "--deep"])
    assert result.exit_code == 1
    assert "producers" in result.output and (
        "suspended_seq" in result.output or "province_key" in result.output
    )
