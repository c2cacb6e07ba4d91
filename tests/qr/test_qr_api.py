"""QR images: exist only for recorded codes, decode to the canonical Digital Link URI."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from flask.testing import FlaskClient
from PIL import Image
from support.scenario import Scenario

from traceapp.batches.models import Item
from traceapp.db.sessions import get_database

GTIN14 = "08938505974019"
LOT = "L2026-11A"
TEST_PUBLIC_URL = "https://truyxuat.ocop.example.vn"  # tests/conftest.py app_config
EXPIRY = "?17=281102"


def serials(client: FlaskClient, scenario: Scenario) -> list[str]:
    with get_database(client.application).read_sessions() as session:
        return [
            session.query(Item).filter(Item.public_id == item).one().serial
            for item in scenario.items
        ]


def decode_png(body: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(body)))]


def test_item_png_decodes_to_the_item_uri(client: FlaskClient, scenario: Scenario) -> None:
    serial = serials(client, scenario)[0]
    response = client.get(f"/qr/01/{GTIN14}/10/{LOT}/21/{serial}.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    expected = f"{TEST_PUBLIC_URL}/01/{GTIN14}/10/{LOT}/21/{serial}{EXPIRY}"
    assert decode_png(response.data) == [expected]


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        # A GTIN-13 in the request still gives the canonical 14-digit URI.
        ("/qr/01/8938505974019.png", f"/01/{GTIN14}"),
        (f"/qr/01/{GTIN14}/10/{LOT}.png", f"/01/{GTIN14}/10/{LOT}{EXPIRY}"),
    ],
)
def test_product_and_batch_png(
    client: FlaskClient, scenario: Scenario, path: str, uri: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert decode_png(response.data) == [TEST_PUBLIC_URL + uri]


def test_svg_is_well_formed(client: FlaskClient, scenario: Scenario) -> None:
    serial = serials(client, scenario)[1]
    response = client.get(f"/qr/01/{GTIN14}/10/{LOT}/21/{serial}.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    assert root.tag.endswith("svg")
    assert any(element.tag.endswith("path") for element in root.iter())


def test_cache_headers_and_etag(client: FlaskClient, scenario: Scenario) -> None:
    path = f"/qr/01/{GTIN14}/10/{LOT}.png"
    first = client.get(path)
    assert first.cache_control.public and first.cache_control.max_age >= 86400
    etag = first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    svg = client.get(path.replace(".png", ".svg"))
    assert svg.headers["ETag"] != etag


@pytest.mark.parametrize(
    "path",
    [
        "/qr/01/08938505974026.png",  # valid check digit, never registered
        f"/qr/01/{GTIN14}/10/NOPE.png",
        f"/qr/01/{GTIN14}/10/{LOT}/21/ZZZZZZZZZZZZ.svg",
        f"/qr/01/{GTIN14}/10/{LOT}.gif",
        f"/qr/01/{GTIN14}",
    ],
)
def test_unknown_codes_are_404(client: FlaskClient, scenario: Scenario, path: str) -> None:
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/qr/01/08938505974018.png",  # wrong check digit
        "/qr/01/abc.png",
        "/qr/02/08938505974019.png",
        f"/qr/01/{GTIN14}/21/X/10/{LOT}.png",  # serial before lot
        f"/qr/01/{GTIN14}/10/L%ZZ.png",  # damaged percent-encoding
        f"/qr/01/{GTIN14}/10/%C3%A0.png",  # non-CSET 82 lot
        f"/qr/01/{GTIN14}/10/{'A' * 21}.png",  # lot too long
        "/qr/01/.png",
    ],
)
def test_malformed_codes_are_400(client: FlaskClient, scenario: Scenario, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert response.json is not None and response.json["error"]["code"]
