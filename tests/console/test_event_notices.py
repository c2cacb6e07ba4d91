"""A step recorded in the console that the plausibility rules remark on (docs/rules.md, "Allowed
with a notice"): recorded, and the batch's log says so in the person's language."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select
from support.scenario import Scenario

from traceapp.batches.models import Item
from traceapp.db.sessions import Database

from .conftest import People, owner_of
from .test_catalog import last_entry

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_a_late_step_is_recorded_with_its_notice(
    app: Flask, people: People, database: Database, scenario: Scenario
) -> None:
    owner = app.test_client()
    owner_of(owner, people, people.producer_a, "a@example.vn")
    with database.read_sessions() as s:
        serial = s.execute(
            select(Item.serial).where(Item.public_id == scenario.items[0])
        ).scalar_one()
    page = f"/console/batches/{scenario.batch}/events/new"
    for lang, when, text in (
        # The scenario shipped its items on 2026-11-04: a step dated before is a late capture.
        ("vi", "2026-11-03T10:00", "sớm hơn bước đã ghi gần nhất của sản phẩm"),
        ("en", "2026-11-03T11:00", "is before the last recorded step of item"),
    ):
        form = owner.get(page, headers={"Accept-Language": lang}).get_data(as_text=True)
        csrf = _CSRF.search(form)
        assert csrf is not None
        sent = owner.post(
            page,
            data={
                "csrf_token": csrf.group(1),
                "step": "inspect",
                "when": when,
                "scope": "items",
                "codes": serial,
            },
            headers={"Accept-Language": lang},
        )
        shown = sent.get_data(as_text=True)
        assert sent.status_code == 200, shown[:500]
        assert 'id="notices"' in shown and text in shown and scenario.items[0] in shown
        assert last_entry(database)["type"] == "event.recorded"
    # A step in order is recorded without remark: back to the log.
    form = owner.get(page).get_data(as_text=True)
    csrf = _CSRF.search(form)
    assert csrf is not None
    plain = owner.post(
        page,
        data={
            "csrf_token": csrf.group(1),
            "step": "inspect",
            "when": "2026-11-20T10:00",
            "scope": "items",
            "codes": serial,
        },
    )
    assert plain.status_code == 303
    assert 'id="notices"' not in owner.get(plain.headers["Location"]).get_data(as_text=True)
