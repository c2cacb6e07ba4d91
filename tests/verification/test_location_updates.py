"""A place edited on the ledger (``location.updated``): the item page shows it as it stands now,
taken from its proven statements (registration + every update), with each update among the
proofs; a row edited behind the app changes nothing shown."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from support.scenario import Scenario
from verify_support import GTIN, LOT, item_path, verify

from ledger.bundle import verify_bundle
from traceapp.db.sessions import get_database
from traceapp.gs1.digital_link import DigitalLink
from traceapp.ledger_runtime import get_ledger
from traceapp.locations.services import LocationChanges, update_location
from traceapp.verification import snapshot


def _rename(app: Flask, scenario: Scenario, location: str, **changes: str) -> None:
    with get_database(app).write() as session:
        update_location(
            session,
            get_ledger(app),
            scenario.producer_key,
            location,
            LocationChanges(**changes),  # type: ignore[arg-type]
        )


def _tamper(app: Flask, sql: str) -> None:
    with get_database(app).write() as session:
        session.execute(text(sql))
    snapshot.clear_cache()


def test_the_page_shows_each_place_as_its_updates_leave_it(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    # The farm (the batch's origin) is renamed twice, the shop (a destination) once.
    _rename(app, scenario, scenario.farm, name="Đồi chè Shan tuyết Na Pá")
    _rename(app, scenario, scenario.farm, kind="other", street="Thôn Na Pá")
    _rename(app, scenario, scenario.shop, name="Cửa hàng OCOP Lào Cai")
    _tamper(app, "UPDATE locations SET name = 'FAKE place'")
    view = verify(app, DigitalLink(GTIN, LOT, serials[0]))
    assert view.batch is not None and view.batch.origin == "Đồi chè Shan tuyết Na Pá"
    shipped = next(step for step in view.journey if step.biz_step == "shipping")
    assert [p.name for p in shipped.destinations] == ["Cửa hàng OCOP Lào Cai"]
    subjects = [e.subject for e in view.proofs.entries]
    assert subjects.count("location_update") == 3
    assert all(e.verified for e in view.proofs.entries)
    assert "projection_mismatch" not in {w.code for w in view.warnings}
    page = client.get(item_path(serials[0]), headers={"Accept-Language": "vi"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Đồi chè Shan tuyết Na Pá" in html and "Cửa hàng OCOP Lào Cai" in html
    assert "FAKE place" not in html and "Cập nhật địa điểm" in html
    # The bundle carries the updates, and verifies offline.
    bundle = client.get(f"/ledger/bundle{item_path(serials[0])}").json
    assert bundle is not None
    verify_bundle(bundle, vkey=get_ledger(app).log.vkey)
    indices = {row["index"] for row in bundle["entries"]}
    updates = {e.seq for e in view.proofs.entries if e.subject == "location_update"}
    assert updates <= indices


def test_a_row_naming_another_entry_as_its_update_is_flagged(
    app: Flask, scenario: Scenario, serials: list[str]
) -> None:
    _rename(app, scenario, scenario.farm, name="Đồi chè mới")
    # The row claims its last change is the product's registration: not a location.updated.
    with get_database(app).read_sessions() as session:
        product_seq = session.execute(
            text("SELECT ledger_seq FROM products WHERE public_id = :p"),
            {"p": scenario.product},
        ).scalar_one()
    _tamper(
        app,
        f"UPDATE locations SET updated_seq = {product_seq} WHERE public_id = '{scenario.farm}'",
    )
    view = verify(app, DigitalLink(GTIN, LOT, serials[0]))
    assert "projection_mismatch" in {w.code for w in view.warnings}
