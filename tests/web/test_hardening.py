"""Issue 14 at the HTTP edges: bad bytes and numbers are 4xx with a clear message, never 500;
every response says nosniff; production adds HSTS."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from support.scenario import Scenario

from traceapp import create_app
from traceapp.auth.services import create_token
from traceapp.batches.models import Batch, Item
from traceapp.db.sessions import Database, get_database
from traceapp.gs1.digital_link import DigitalLink
from traceapp.ledger_runtime import get_ledger
from traceapp.products.models import Product
from traceapp.products.services import ProductChanges, update_product

TEST_HOST = "truyxuat.ocop.example.vn"  # tests/conftest.py's TEST_PUBLIC_URL


def _clear_4xx(response: Any) -> None:
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)


def test_invalid_utf8_in_a_graphql_body_is_400(client: FlaskClient) -> None:
    response = client.post(
        "/graphql",
        data=b'{"query": "{ viewer { role } }\xff\xfe"}',
        content_type="application/json",
    )
    _clear_4xx(response)
    assert "UTF-8" in response.get_data(as_text=True)


def test_deeply_nested_graphql_variables_are_400(client: FlaskClient) -> None:
    body = (
        '{"query": "{ viewer { role } }", "variables": ' + '{"a":' * 100_000 + "1" + "}" * 100_001
    )
    response = client.post("/graphql", data=body, content_type="application/json")
    _clear_4xx(response)
    assert "nested" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/ledger/checkpoint/99999999999999999999999999",
        "/ledger/entries/9223372036854775808",
        "/ledger/entries/99999999999999999999999999",
    ],
)
def test_numbers_beyond_64_bits_in_ledger_paths_are_4xx(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    _clear_4xx(response)
    assert response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/graphql?query=%7Bviewer%7Brole%7D%7D",
        "/ledger/checkpoint",
        "/ledger/vkey",
        "/epcis/events",
        "/healthz",
        "/no-such-page",
    ],
)
def test_every_response_says_nosniff(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # not in development


def _item_path(app: Flask, scenario: Scenario) -> str:
    with get_database(app).read_sessions() as session:
        item = session.scalars(select(Item).where(Item.public_id == scenario.items[0])).one()
        batch = session.get(Batch, item.batch_id)
        assert batch is not None
        product = session.get(Product, batch.product_id)
        assert product is not None
        return DigitalLink(product.gtin, batch.lot, item.serial).path


def test_qr_svg_and_pages_say_nosniff(app: Flask, client: FlaskClient, scenario: Scenario) -> None:
    path = _item_path(app, scenario)
    for url in ("/ledger/entries/0", f"/qr{path}.svg", path, "/ledger/bundle" + path):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url


@pytest.mark.parametrize(
    "image",
    [
        "/\\127.0.0.1:8202/x.png",
        "//127.0.0.1:8202/x.png",
        "/\t/127.0.0.1:8202/x.png",
        f"https://{TEST_HOST}//127.0.0.1:8202/x.png",
        f"https://{TEST_HOST}/\\127.0.0.1:8202/x.png",
    ],
)
def test_image_urls_that_leave_our_host_are_not_shown(
    app: Flask, client: FlaskClient, scenario: Scenario, image: str
) -> None:
    with get_database(app).write() as session:
        update_product(
            session,
            get_ledger(app),
            scenario.producer_key,
            scenario.product,
            ProductChanges(image_url=image),
        )
    html = client.get(_item_path(app, scenario), headers={"Accept": "text/html"}).get_data(
        as_text=True
    )
    assert "127.0.0.1:8202" not in html


def test_production_sends_hsts(app_config: dict[str, Any]) -> None:
    kek = base64.b64encode(bytes(range(1, 33))).decode()
    config = {**app_config, "TESTING": False, "ENV": "production", "KEY_ENCRYPTION_KEY": kek}
    app: Flask = create_app(config)
    response = app.test_client().get("/ledger/vkey")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


EPCIS_EXAMPLE = (
    Path(__file__).parents[1]
    / "fixtures"
    / "epcis"
    / "examples"
    / "Example_9.6.1-ObjectEvent.jsonld"
)


def _epcis_bodies() -> dict[str, bytes]:
    document = json.loads(EPCIS_EXAMPLE.read_bytes())

    def changed(**fields: Any) -> bytes:
        copy = json.loads(json.dumps(document))
        copy["epcisBody"]["eventList"] = [{**copy["epcisBody"]["eventList"][0], **fields}]
        return json.dumps(copy).encode()

    reading = {"type": "gs1:Temperature", "value": 2**64, "uom": "CEL"}
    return {
        "bad-utf8": EPCIS_EXAMPLE.read_bytes()[:-3] + b"\xff\xfe}",
        "deep-json": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        "early-time": changed(eventTime="0001-01-01T00:00:00+14:00", eventTimeZoneOffset="+14:00"),
        "late-time": changed(eventTime="9999-12-31T23:59:59-12:00", eventTimeZoneOffset="-12:00"),
        "huge-sensor-value": changed(sensorElementList=[{"sensorReport": [reading]}]),
    }


@pytest.mark.parametrize("case", sorted(_epcis_bodies()))
def test_hostile_epcis_capture_is_a_problem_not_a_500(
    client: FlaskClient, scenario: Scenario, database: Database, case: str
) -> None:
    with database.write() as session:
        bearer = create_token(session, "admin")[1]
    response = client.post(
        "/epcis/capture",
        data=_epcis_bodies()[case],
        # Prefer: wait: the ledger's refusals come in the answer, not later in the job.
        headers={
            "Content-Type": "application/ld+json",
            "Authorization": f"Bearer {bearer}",
            "Prefer": "wait",
        },
    )
    _clear_4xx(response)
    assert response.get_json()["title"]
