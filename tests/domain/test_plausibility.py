"""The plausibility rules (docs/rules.md), each through the domain services every door uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from support.scenario import VN, Scenario

from traceapp.batches.models import Item
from traceapp.batches.services import claim_item, issue_items
from traceapp.db.sessions import Database
from traceapp.errors import DomainError
from traceapp.events.building import EventInput
from traceapp.events.epc import item_epc
from traceapp.events.errors import EventsRejected
from traceapp.events.models import Event
from traceapp.events.planning import EventPlan
from traceapp.events.services import capture_epcis_events, record_event, record_events
from traceapp.keys.services import service_key_name
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.writer import Ledger
from traceapp.recalls.services import RecallInput, issue_recall

GTIN = "08938505974019"
# After the scenario's shipping (2026-11-04), before the test machine's today.
DAY = datetime(2026, 11, 20, 9, tzinfo=VN)


def _entries(database: Database) -> int:
    with database.read_sessions() as s:
        return s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()


def _record(
    database: Database,
    ledger: Ledger,
    actor: str,
    items: list[str],
    step: str,
    disposition: str | None = None,
    when: datetime = DAY,
) -> None:
    event = EventInput(
        type="ObjectEvent", event_time=when, biz_step=step, disposition=disposition, items=items
    )
    with database.write() as s:
        record_event(s, ledger, actor, event)


def _refusal(database: Database, call: Any) -> DomainError:
    before = _entries(database)
    with pytest.raises(DomainError) as caught:
        call()
    assert _entries(database) == before  # nothing of a refused request is written
    return caught.value


def _epc(database: Database, item: str) -> str:
    with database.read_sessions() as s:
        serial = s.execute(select(Item.serial).where(Item.public_id == item)).scalar_one()
    return item_epc(GTIN, serial)


def _document(epcs: list[str], when: datetime, **fields: str) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "eventTime": when.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "eventTimeZoneOffset": "+07:00",
        "epcList": epcs,
        **fields,
    }


def _capture(
    database: Database, ledger: Ledger, actor: str, events: list[dict[str, Any]]
) -> list[EventPlan]:
    with database.write() as s:
        _receipt, plans = capture_epcis_events(s, ledger, actor, events)
    return plans


# -- event time ----------------------------------------------------------------------------


def test_an_event_in_the_future_is_refused_beyond_the_clock_skew(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    item = scenario.items[0]
    later = datetime.now(UTC) + timedelta(minutes=10)
    error = _refusal(
        database,
        lambda: _record(database, ledger, scenario.producer_key, [item], "storing", when=later),
    )
    assert (error.code, error.field) == ("EVENT_IN_FUTURE", "events.0.eventTime")
    assert error.params == {"minutes": 5}
    # Within the skew: a client clock a little ahead is fine.
    soon = datetime.now(UTC) + timedelta(minutes=2)
    _record(database, ledger, scenario.producer_key, [item], "storing", when=soon)
    ledger.clock_skew = timedelta(0)
    soon = datetime.now(UTC) + timedelta(minutes=2)
    error = _refusal(
        database,
        lambda: _record(database, ledger, scenario.producer_key, [item], "storing", when=soon),
    )
    assert error.code == "EVENT_IN_FUTURE"


def test_epcis_capture_refuses_future_events_of_anyone(
    database: Database, ledger: Ledger, admin: str, scenario: Scenario
) -> None:
    foreign = "https://id.gs1.org/01/09506000134352/21/PARTNER1"
    later = datetime.now(UTC) + timedelta(hours=2)
    error = _refusal(
        database, lambda: _capture(database, ledger, admin, [_document([foreign], later)])
    )
    assert isinstance(error, EventsRejected)
    assert [e.code for e in error.errors] == ["EVENT_IN_FUTURE"]


# -- CBV names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "disposition", "code", "suggested"),
    [
        ("harvest", None, "UNKNOWN_BIZ_STEP", "did you mean harvesting?"),
        ("shiping", None, "UNKNOWN_BIZ_STEP", "did you mean shipping?"),
        ("storing", "in_transport", "UNKNOWN_DISPOSITION", "did you mean in_transit?"),
    ],
)
def test_a_misspelt_cbv_name_is_refused_with_a_suggestion(
    database: Database,
    ledger: Ledger,
    scenario: Scenario,
    step: str,
    disposition: str | None,
    code: str,
    suggested: str,
) -> None:
    item = scenario.items[0]
    error = _refusal(
        database,
        lambda: _record(database, ledger, scenario.producer_key, [item], step, disposition),
    )
    assert error.code == code
    assert error.field == ("bizStep" if code == "UNKNOWN_BIZ_STEP" else "disposition")
    assert error.message.endswith(suggested)


@pytest.mark.parametrize(
    "biz_step",
    ["harvest", "https://ref.gs1.org/cbv/BizStep-harvest", "urn:epcglobal:cbv:bizstep:harvest"],
)
def test_epcis_capture_checks_cbv_names_in_every_spelling(
    database: Database, ledger: Ledger, scenario: Scenario, biz_step: str
) -> None:
    epc = _epc(database, scenario.items[0])
    error = _refusal(
        database,
        lambda: _capture(
            database, ledger, scenario.producer_key, [_document([epc], DAY, bizStep=biz_step)]
        ),
    )
    assert isinstance(error, EventsRejected)
    assert error.errors[0].code == "UNKNOWN_BIZ_STEP"
    assert error.errors[0].field == "events.0.bizStep"
    assert "did you mean harvesting?" in error.errors[0].message


def test_extensions_as_full_uris_and_cbv_uris_pass(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    epc = _epc(database, scenario.items[0])
    plans = _capture(
        database,
        ledger,
        scenario.producer_key,
        [
            _document([epc], DAY, bizStep="https://example.com/bizstep/drying"),
            _document([epc], DAY + timedelta(hours=1), bizStep="urn:epcglobal:cbv:bizstep:storing"),
            _document(
                [epc],
                DAY + timedelta(hours=2),
                bizStep="https://ref.gs1.org/cbv/BizStep-inspecting",
                disposition="https://example.com/disp/aged",
            ),
        ],
    )
    assert [p.outcome for p in plans] == ["recorded"] * 3


# -- item state ----------------------------------------------------------------------------


def test_nothing_but_a_return_follows_a_retail_sale(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    item, key = scenario.items[0], scenario.producer_key
    _record(database, ledger, key, [item], "retail_selling", "retail_sold")
    later = DAY + timedelta(days=1)
    for step, disposition in (
        ("packing", None),
        ("shipping", "in_transit"),
        ("retail_selling", "retail_sold"),
    ):
        error = _refusal(
            database,
            lambda s=step, d=disposition: _record(database, ledger, key, [item], s, d, later),
        )
        assert (error.code, error.field) == ("ITEM_SOLD", "events.0.epcList")
        assert error.params == {"item": item}
    _record(database, ledger, key, [item], "receiving", "returned", later)
    # Returned: it may be stocked and sold again.
    _record(
        database, ledger, key, [item], "storing", "sellable_accessible", later + timedelta(hours=1)
    )
    _record(
        database, ledger, key, [item], "retail_selling", "retail_sold", later + timedelta(days=1)
    )


def test_nothing_follows_a_destruction(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    item, key = scenario.items[0], scenario.producer_key
    _record(database, ledger, key, [item], "destroying", "destroyed")
    for step, disposition in (("storing", None), ("receiving", "returned")):
        error = _refusal(
            database,
            lambda s=step, d=disposition: _record(
                database, ledger, key, [item], s, d, DAY + timedelta(days=1)
            ),
        )
        assert error.code == "ITEM_DESTROYED"


def test_a_recalled_item_may_only_come_back_and_be_destroyed(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    first, second = scenario.items[:2]
    key = scenario.producer_key
    with database.write() as s:
        issue_recall(s, ledger, key, RecallInput([scenario.batch], "Ẩm mốc", "high"))
    after = datetime.now(UTC)
    error = _refusal(
        database, lambda: _record(database, ledger, key, [first], "shipping", "in_transit", after)
    )
    assert error.code == "ITEM_RECALLED"
    _record(database, ledger, key, [first], "receiving", "returned", after)
    _record(database, ledger, key, [second], "destroying", "destroyed", after)


def test_a_bulk_is_checked_in_order(database: Database, ledger: Ledger, scenario: Scenario) -> None:
    item, key = scenario.items[0], scenario.producer_key
    events = [
        EventInput(
            type="ObjectEvent",
            event_time=DAY,
            biz_step="retail_selling",
            disposition="retail_sold",
            items=[item],
        ),
        EventInput(
            type="ObjectEvent",
            event_time=DAY + timedelta(hours=1),
            biz_step="shipping",
            items=[item],
        ),
    ]

    def bulk() -> None:
        with database.write() as s:
            record_events(s, ledger, key, events)

    error = _refusal(database, bulk)
    assert isinstance(error, EventsRejected)
    assert [(e.code, e.field) for e in error.errors] == [("ITEM_SOLD", "events.1.epcList")]


def test_history_filled_in_before_a_sale_passes_with_a_notice(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    item, key = scenario.items[0], scenario.producer_key
    epc = _epc(database, item)
    _record(database, ledger, key, [item], "retail_selling", "retail_sold")
    plans = _capture(
        database, ledger, key, [_document([epc], DAY - timedelta(days=1), bizStep="storing")]
    )
    assert plans[0].outcome == "recorded"
    assert [(n.code, n.field) for n in plans[0].notices] == [
        ("EVENT_BEFORE_LAST_STEP", "events.0.epcList")
    ]


def test_notices_for_steps_that_may_be_right(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    first, second = scenario.items[:2]
    key = scenario.producer_key
    epcs = [_epc(database, first), _epc(database, second)]
    with database.write() as s:
        claim_item(
            s,
            ledger,
            service_key_name(s),
            s.execute(select(Item).where(Item.public_id == second)).scalar_one(),
        )
    plans = _capture(
        database,
        ledger,
        key,
        [
            _document([epcs[0]], DAY, bizStep="commissioning", action="ADD"),
            _document([epcs[1]], DAY, bizStep="storing"),
        ],
    )
    assert [[n.code for n in p.notices] for p in plans] == [
        ["ITEM_COMMISSIONED_AGAIN"],
        ["ITEM_CLAIMED"],
    ]


def test_other_companies_items_are_not_policed(
    database: Database, ledger: Ledger, admin: str, scenario: Scenario
) -> None:
    foreign = "https://id.gs1.org/01/09506000134352/21/PARTNER1"
    plans = _capture(
        database,
        ledger,
        admin,
        [
            _document([foreign], DAY, bizStep="retail_selling", disposition="retail_sold"),
            _document([foreign], DAY + timedelta(hours=1), bizStep="packing"),
        ],
    )
    assert [(p.outcome, p.notices) for p in plans] == [("recorded", ())] * 2
    with database.read_sessions() as s:
        assert s.execute(select(func.count()).select_from(Event)).scalar_one() >= 5


# -- items issued ----------------------------------------------------------------------------


def test_items_beyond_the_batch_quantity_need_a_reason_on_the_ledger(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    key = scenario.producer_key  # the batch holds 120.5 kg and 5 items are issued
    error = _refusal(
        database,
        lambda: _issue(database, ledger, key, scenario.batch, 116, None),
    )
    assert (error.code, error.field) == ("OVER_BATCH_QUANTITY", "count")
    seq = _issue(database, ledger, key, scenario.batch, 116, "  bán lẻ theo gói 1 kg  ")
    with database.read_sessions() as s:
        entry = s.execute(select(LedgerEntry).where(LedgerEntry.seq == seq)).scalar_one()
    assert '"over_quantity_reason":"bán lẻ theo gói 1 kg"' in entry.entry.decode()


def test_items_within_the_batch_quantity_record_no_reason(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    seq = _issue(database, ledger, scenario.producer_key, scenario.batch, 115, None)
    with database.read_sessions() as s:
        entry = s.execute(select(LedgerEntry).where(LedgerEntry.seq == seq)).scalar_one()
    assert b"over_quantity_reason" not in entry.entry


def _issue(
    database: Database, ledger: Ledger, key: str, batch: str, count: int, reason: str | None
) -> int:
    with database.write() as s:
        issued = issue_items(s, ledger, key, batch, count, over_quantity_reason=reason)
    return issued.receipt.ledger_index


def test_an_items_history_is_kept_on_its_row_through_late_events_returns_and_retractions(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    """``items.last_step_time``/``returned_seq`` (events.item_history) are what the rules read:
    they follow out-of-order events and retractions, and equal the aggregate of the events."""
    from traceapp.events.services import declare_error

    item, key = scenario.items[0], scenario.producer_key

    def kept() -> tuple[datetime | None, int | None]:
        with database.read_sessions() as s:
            row = s.execute(
                select(Item.last_step_time, Item.returned_seq).where(Item.public_id == item)
            ).one()
        return row.last_step_time, row.returned_seq

    def event_id_at(when: datetime) -> str:
        with database.read_sessions() as s:
            return s.execute(
                select(Event.event_id).where(Event.event_time == when.astimezone(UTC))
            ).scalar_one()

    late = DAY + timedelta(days=2)
    _record(database, ledger, key, [item], "shipping", "in_transit", late)
    assert kept()[0] == late
    # An earlier step arrives later: the latest stays, and the step is noticed as out of order.
    with database.write() as s:
        noticed = record_event(
            s,
            ledger,
            key,
            EventInput(type="ObjectEvent", event_time=DAY, biz_step="packing", items=[item]),
        )
    assert kept()[0] == late and noticed is not None
    _record(database, ledger, key, [item], "receiving", "returned", late + timedelta(hours=1))
    with database.read_sessions() as s:
        returned = s.execute(
            select(Event.ledger_seq).where(Event.disposition == "returned")
        ).scalar_one()
    assert kept() == (late + timedelta(hours=1), returned)
    # The return was recorded wrongly: its retraction gives the item back its earlier history.
    with database.write() as s:
        declare_error(s, ledger, key, event_id_at(late + timedelta(hours=1)), "incorrect_data")
    assert kept() == (late, None)
    # And without the return, the item is sold for good after a sale.
    _record(
        database, ledger, key, [item], "retail_selling", "retail_sold", late + timedelta(hours=2)
    )
    error = _refusal(
        database,
        lambda: _record(database, ledger, key, [item], "storing", None, late + timedelta(hours=3)),
    )
    assert error.code == "ITEM_SOLD"
