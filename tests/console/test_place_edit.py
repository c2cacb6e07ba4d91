"""Editing a place in the console (/console/places/<id>/edit), on both engines.

The write is ``updateLocation``'s: a ``location.updated`` naming only what changed, with the
member's pseudonym; the shopper's item page then shows the place as it stands. Another producer's
place answers 404; a post without CSRF is refused; refusals keep the form as it was sent.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from support.scenario import Scenario

from traceapp.batches.models import Item
from traceapp.db.sessions import Database
from traceapp.ledger_store.models import LedgerEntry
from traceapp.locations.models import Location

from .conftest import People, csrf_of, owner_of
from .test_catalog import PAGE_BUDGET, last_entry, member_id, send

FARM_PAGE = "/console/places/{id}/edit"


def _item_path(database: Database) -> str:
    with database.read_sessions() as s:
        serial = s.execute(select(Item.serial).order_by(Item.id)).scalars().first()
    return f"/01/08938505974019/10/L2026-11A/21/{serial}"


def test_owner_edits_a_place_and_shoppers_see_it(
    app: Flask, people: People, database: Database, scenario: Scenario
) -> None:
    owner = app.test_client()
    owner_of(owner, people, people.producer_a, "a@example.vn")
    page = FARM_PAGE.format(id=scenario.farm)
    listed = owner.get("/console/places").get_data(as_text=True)
    assert f'href="{page}"' in listed
    form = owner.get(page)
    text = form.get_data(as_text=True)
    assert form.status_code == 200 and "Sửa địa điểm" in text
    assert len(form.data) <= PAGE_BUDGET
    assert 'value="Đồi chè Na Pá"' in text and "FARM-1" in text
    assert 'name="code"' not in text and 'name="gln"' not in text  # identifiers never change
    english = owner.get(page, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Edit the place" in english and "cannot change" in english
    base = {"name": "Đồi chè Na Pá", "kind": "farm", "province": "", "commune": "", "street": ""}
    same = send(owner, page, page, base)
    assert same.status_code == 422 and "Không có gì thay đổi." in same.get_data(as_text=True)
    half = send(owner, page, page, {**base, "name": "Đồi chè mới", "latitude": "22,4"})
    shown = half.get_data(as_text=True)
    assert half.status_code == 422 and 'id="e-longitude"' in shown
    assert 'value="Đồi chè mới"' in shown and 'value="22,4"' in shown
    changed = {
        **base,
        "name": "Đồi chè Shan tuyết Na Pá",
        "street": "Thôn Na Pá",
        "latitude": "22,4",
        "longitude": "104.05",
    }
    done = send(owner, page, page, changed)
    assert done.status_code == 303 and done.headers["Location"].endswith("/console/places")
    entry = last_entry(database)
    assert entry["type"] == "location.updated"
    assert entry["statement"] == {
        "id": scenario.farm,
        "changes": {
            "name": "Đồi chè Shan tuyết Na Pá",
            "address": {"province": None, "commune": None, "street": "Thôn Na Pá"},
            "geo": {"lat": "22.400000", "lon": "104.050000"},
        },
        "member": member_id(database, "a@example.vn"),
    }
    listed = owner.get("/console/places").get_data(as_text=True)
    assert "Đồi chè Shan tuyết Na Pá" in listed and "22.400000, 104.050000" in listed
    # Emptying both coordinates removes the position.
    cleared = send(owner, page, page, {**changed, "latitude": "", "longitude": ""})
    assert cleared.status_code == 303
    assert last_entry(database)["statement"]["changes"] == {"geo": None}  # type: ignore[index]
    with database.read_sessions() as s:
        row = s.execute(select(Location).where(Location.public_id == scenario.farm)).scalar_one()
    assert (row.name, row.street, row.latitude) == ("Đồi chè Shan tuyết Na Pá", "Thôn Na Pá", None)
    # The shopper's page names the batch's origin as it stands now.
    item = app.test_client().get(_item_path(database), headers={"Accept-Language": "vi"})
    assert item.status_code == 200
    assert "Đồi chè Shan tuyết Na Pá" in item.get_data(as_text=True)


def test_another_producers_place_is_404_and_csrf_is_required(
    app: Flask, people: People, database: Database, scenario: Scenario
) -> None:
    with database.read_sessions() as s:
        before = s.execute(select(LedgerEntry.seq).order_by(LedgerEntry.seq.desc())).scalar()
    owner_b = app.test_client()
    owner_of(owner_b, people, people.producer_b, "b@example.vn")
    page = FARM_PAGE.format(id=scenario.farm)
    assert owner_b.get(page).status_code == 404
    assert owner_b.get(FARM_PAGE.format(id="loc_00000000000000")).status_code == 404
    token = csrf_of(owner_b.get("/console/places"))
    posted = owner_b.post(page, data={"csrf_token": token, "name": "Của B", "kind": "farm"})
    assert posted.status_code == 404
    owner_a = app.test_client()
    owner_of(owner_a, people, people.producer_a, "a@example.vn")
    refused = owner_a.post(page, data={"name": "Không có CSRF", "kind": "farm"})
    assert refused.status_code == 400
    with database.read_sessions() as s:
        after = s.execute(select(LedgerEntry.seq).order_by(LedgerEntry.seq.desc())).scalar()
        name = s.execute(select(Location.name).where(Location.public_id == scenario.farm))
        assert name.scalar_one() == "Đồi chè Na Pá"
    assert before == after
