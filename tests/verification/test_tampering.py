"""What is shown is what is proven (DESIGN principle 7; issue 14 item 4).

Projection rows edited behind the app (plain SQL: only the ledger tables are append-only)
change nothing the page, its JSON, GraphQL ``verifyItem`` or the proof bundle show; a row that
names an entry that does not back it is shown with a ``projection_mismatch`` warning, and no
bundle is served for it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from support.scenario import VN, Scenario
from verify_support import GTIN, LOT, item_path, verify

from traceapp.db.sessions import get_database
from traceapp.events.building import EventInput
from traceapp.events.models import Event
from traceapp.events.services import declare_error, record_event
from traceapp.gs1.digital_link import DigitalLink
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.models import LedgerCheckpoint
from traceapp.ledger_store.reads import latest_checkpoint_head
from traceapp.producers.services import ProducerInput, register_producer
from traceapp.products.services import ProductChanges, update_product
from traceapp.recalls.services import RecallInput, issue_recall
from traceapp.verification import snapshot
from traceapp.verification.proofs import Head

JSON = {"Accept": "application/json"}
ORIGIN = {"Origin": "https://truyxuat.ocop.example.vn"}
QUERY = """query ($code: String!) { verifyItem(code: $code) { found verification {
  product { nameVi nameEn group standards } producer { name province }
  ocop { stars validUntil status } certificates { stars issuedOn validUntil status }
  batch { lot expiryDate quantity origin } item { status claimed hasPin }
  journey { bizStep disposition localTime corrected readPoint { name } destinations { name } }
  warnings { code params } } } }"""
VOLATILE = ("checkedAt", "scans", "clone")

TAMPERING = {
    "product name": "UPDATE products SET name_vi = 'FAKE cake', name_en = 'FAKE cake', "
    "standards = '[\"FAKE\"]'",
    "producer name": "UPDATE producers SET name = 'FAKE co-op', province = 'FAKE'",
    "event bizStep": "UPDATE events SET biz_step = 'FAKE_step', disposition = 'FAKE_disp', "
    "event_time_zone_offset = '-11:00'",
    "certificate stars and validity": "UPDATE certifications SET stars = 5, "
    "valid_until = '2031-12-31', issued_on = '2024-12-31'",
    "item status": "UPDATE items SET status = 'active'",
    "batch expiry and origin": "UPDATE batches SET expiry_date = '2031-01-01', quantity = 999",
    "location name": "UPDATE locations SET name = 'FAKE farm'",
}


def _destroy(app: Flask, scenario: Scenario, item: str) -> None:
    """Record that ``item`` was destroyed: its page warns so."""
    with get_database(app).write() as session:
        record_event(
            session,
            get_ledger(app),
            scenario.producer_key,
            EventInput(
                type="ObjectEvent",
                event_time=datetime(2026, 11, 5, 9, 0, tzinfo=VN),
                action="OBSERVE",
                biz_step="destroying",
                disposition="destroyed",
                read_point=scenario.farm,
                items=[item],
            ),
        )


def _tamper(app: Flask, sql: str) -> None:
    with get_database(app).write() as session:
        session.execute(text(sql))
    snapshot.clear_cache()  # as a restarted server would: the checkpoint did not change


def _shown(client: FlaskClient, path: str) -> dict[str, Any]:
    """The JSON answer, GraphQL verifyItem, the HTML page and the bundle of ``path``."""
    answer = client.get(path, headers=JSON)
    assert answer.status_code == 200
    data = {k: v for k, v in answer.json.items() if k not in VOLATILE}  # type: ignore[union-attr]
    graphql = client.post("/graphql", json={"query": QUERY, "variables": {"code": path}})
    assert graphql.status_code == 200 and "errors" not in graphql.json, graphql.json  # type: ignore[operator]
    bundle = client.get("/ledger/bundle" + path)
    return {
        "json": data,
        "graphql": graphql.json,
        "html": client.get(path).get_data(as_text=True),
        "bundle": (bundle.status_code, bundle.get_data()),
    }


@pytest.mark.parametrize("sql", TAMPERING.values(), ids=TAMPERING.keys())
def test_edited_rows_change_nothing_shown(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str], sql: str
) -> None:
    _destroy(app, scenario, scenario.items[1])
    path = item_path(serials[1])
    snapshot.clear_cache()
    before = _shown(client, path)
    assert [w["code"] for w in before["json"]["warnings"]] == ["destroyed"]
    _tamper(app, sql)
    after = _shown(client, path)
    assert after["json"] == before["json"]
    assert after["graphql"] == before["graphql"]
    assert after["bundle"] == before["bundle"] and after["bundle"][0] == 200
    html = after["html"]
    assert "FAKE" not in html and "2031" not in html and "-11:00" not in html
    assert 'data-code="destroyed"' in html and "Trà Shan tuyết Cổ thụ" in html


def test_an_expired_certificate_stays_expired(
    app: Flask, scenario: Scenario, serials: list[str]
) -> None:
    """The rating of the issue: an expired OCOP certificate edited to 5 stars until 2031."""
    _tamper(app, TAMPERING["certificate stars and validity"])
    view = verify(app, DigitalLink(GTIN, LOT, serials[0]), today=date(2028, 3, 16))
    assert view.ocop is not None
    assert (view.ocop.stars, view.ocop.valid_until, view.ocop.status) == (
        4,
        date(2028, 3, 15),
        "expired",
    )
    assert [w.code for w in view.warnings] == ["ocop_expired"]


def test_a_row_naming_another_entry_is_a_mismatch_warning(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    path = item_path(serials[0])
    _tamper(app, "UPDATE products SET ledger_seq = (SELECT ledger_seq FROM producers)")
    data = client.get(path, headers=JSON).json
    assert data is not None
    mismatch = data["warnings"][0]
    assert (mismatch["code"], mismatch["severity"]) == ("projection_mismatch", "danger")
    assert mismatch["params"] == {"subjects": "product"}
    graphql = client.post("/graphql", json={"query": QUERY, "variables": {"code": path}}).json
    assert graphql is not None
    warnings = graphql["data"]["verifyItem"]["verification"]["warnings"]
    assert warnings[0]["code"] == "projection_mismatch"
    assert 'data-code="projection_mismatch"' in client.get(path).get_data(as_text=True)
    bundle = client.get("/ledger/bundle" + path)
    assert bundle.status_code == 409
    assert bundle.json is not None and bundle.json["error"]["code"] == "PROJECTION_MISMATCH"


def test_an_item_row_naming_another_issue_is_a_mismatch(
    app: Flask, scenario: Scenario, serials: list[str]
) -> None:
    _tamper(app, "UPDATE items SET issued_seq = (SELECT ledger_seq FROM batches)")
    view = verify(app, DigitalLink(GTIN, LOT, serials[0]))
    assert [(w.code, w.params) for w in view.warnings] == [
        ("projection_mismatch", {"subjects": "item"})
    ]


def test_a_retracted_destruction_no_longer_shows(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    """The shown status is the item's proven, non-retracted events' (issue 14 item 1)."""
    _destroy(app, scenario, scenario.items[1])
    with get_database(app).read_sessions() as session:
        destroying = session.execute(
            select(Event.event_id).where(Event.disposition == "destroyed")
        ).scalar_one()
    with get_database(app).write() as session:
        declare_error(session, get_ledger(app), scenario.producer_key, destroying, "incorrect_data")
    view = verify(app, DigitalLink(GTIN, LOT, serials[1]), today=date(2026, 11, 28))
    assert view.item is not None and view.item.status == "active"
    assert "destroyed" not in {w.code for w in view.warnings}
    destroyed_step = next(s for s in view.journey if s.disposition == "destroyed")
    assert destroyed_step.corrected
    assert view.proofs.all_verified


def test_a_sale_is_shown_with_its_time(app: Flask, scenario: Scenario, serials: list[str]) -> None:
    """Sold, from the ledger, with the time of the selling entry (the clone rules use it)."""
    with get_database(app).write() as session:
        record_event(
            session,
            get_ledger(app),
            scenario.producer_key,
            EventInput(
                type="ObjectEvent",
                event_time=datetime(2026, 11, 6, 9, 0, tzinfo=VN),
                action="OBSERVE",
                biz_step="retail_selling",
                disposition="retail_sold",
                read_point=scenario.shop,
                items=[scenario.items[2]],
            ),
        )
    _tamper(app, "UPDATE items SET status = 'active'")
    link = DigitalLink(GTIN, LOT, serials[2])
    view = verify(app, link)
    assert view.item is not None and view.item.status == "sold"
    with get_database(app).read_sessions() as session:
        snap = snapshot.snapshot(session, get_ledger(app), link, date(2026, 11, 28))
    assert snap.status_changed_at is not None
    assert datetime.now(VN) - snap.status_changed_at < timedelta(minutes=5)


def test_an_entry_appended_after_the_checkpoint_read_is_no_mismatch(
    app: Flask, scenario: Scenario, serials: list[str]
) -> None:
    """PostgreSQL reads each statement at its own snapshot: rows may name an entry appended
    after the checkpoint was read. Not proven yet, but not a mismatch either."""
    _destroy(app, scenario, scenario.items[1])
    ledger = get_ledger(app)
    with get_database(app).read_sessions() as session:
        size, _, _ = latest_checkpoint_head(session, ledger.origin)
        earlier = session.execute(
            select(LedgerCheckpoint).where(
                LedgerCheckpoint.log == ledger.origin, LedgerCheckpoint.size == size - 1
            )
        ).scalar_one()
        head = Head(earlier.size, earlier.root_hash, earlier.note)
        snap = snapshot.build(
            session, ledger, DigitalLink(GTIN, LOT, serials[1]), head, date(2026, 11, 28)
        )
    assert snap.integrity == ()
    late = next(e for e in snap.proofs.entries if e.seq == size - 1)
    assert (late.verified, late.error) == (False, "not in checkpoint")


def test_every_product_update_is_applied_and_proven(
    app: Flask, scenario: Scenario, serials: list[str]
) -> None:
    """The row names only the last update: the earlier ones are found and applied too."""
    with get_database(app).write() as session:
        ledger = get_ledger(app)
        update_product(
            session,
            ledger,
            scenario.producer_key,
            scenario.product,
            ProductChanges(name_vi="Trà mới"),
        )
        update_product(
            session, ledger, scenario.producer_key, scenario.product,
            ProductChanges(description="Búp hái tay"),
        )  # fmt: skip
    _tamper(app, "UPDATE products SET name_vi = 'FAKE', description = 'FAKE'")
    view = verify(app, DigitalLink(GTIN, LOT, serials[0]))
    assert (view.product.name_vi, view.product.description) == ("Trà mới", "Búp hái tay")
    assert [e.subject for e in view.proofs.entries].count("product_update") == 2
    assert "projection_mismatch" not in {w.code for w in view.warnings}


def test_a_claimed_then_recalled_item_from_the_ledger(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    serial = serials[2]
    claim = client.post(item_path(serial), data={"pin": scenario.pins[serial]}, headers=ORIGIN)
    assert claim.status_code == 200
    _tamper(app, "UPDATE items SET status = 'active'")
    claimed = verify(app, DigitalLink(GTIN, LOT, serial))
    assert claimed.item is not None and claimed.item.claimed
    assert claimed.item.status == "claimed" and "claimed" in {w.code for w in claimed.warnings}
    with get_database(app).write() as session:
        issue_recall(
            session,
            get_ledger(app),
            scenario.producer_key,
            RecallInput([scenario.batch], "Nấm mốc", "high", datetime(2026, 11, 20, tzinfo=UTC)),
        )
    _tamper(app, "UPDATE items SET status = 'active'")
    _tamper(app, "UPDATE recalls SET reason = 'FAKE', severity = 'low'")
    recalled = verify(app, DigitalLink(GTIN, LOT, serial))
    assert recalled.item is not None and recalled.item.status == "recalled"
    assert recalled.warnings[0].params == {
        "reason": "Nấm mốc",
        "severity": "high",
        "date": "2026-11-20",
    }


def test_a_revocation_the_ledger_does_not_hold_is_a_mismatch(
    app: Flask, scenario: Scenario, serials: list[str]
) -> None:
    _tamper(app, "UPDATE certifications SET revoked_seq = ledger_seq, revoke_reason = 'FAKE'")
    view = verify(app, DigitalLink(GTIN, LOT, serials[0]))
    assert view.ocop is not None and (view.ocop.status, view.ocop.revoke_reason) == ("valid", None)
    assert [(w.code, w.params) for w in view.warnings] == [
        ("projection_mismatch", {"subjects": "certification"})
    ]


def test_a_product_row_moved_to_another_producer_is_a_mismatch(
    app: Flask, scenario: Scenario, serials: list[str], admin: str
) -> None:
    with get_database(app).write() as session:
        other = register_producer(
            session,
            get_ledger(app),
            admin,
            ProducerInput(
                kind="enterprise",
                name="Công ty FAKE",
                province="Hà Nội",
                commune=None,
                street=None,
                address_recorded_on=date(2025, 7, 1),
            ),
        ).public_ids[0]
    _tamper(
        app,
        f"UPDATE products SET producer_id = (SELECT id FROM producers WHERE public_id = '{other}')",
    )
    view = verify(app, DigitalLink(GTIN, LOT, serials[0]))
    assert [(w.code, w.params) for w in view.warnings] == [
        ("projection_mismatch", {"subjects": "producer"})
    ]
