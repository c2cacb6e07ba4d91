"""Uploading photos and logos through GraphQL multipart requests, on both engines."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from support.images import GPS_IFD, photo, png_bomb
from support.scenario import Scenario

from traceapp.api.ids import encode_global_id
from traceapp.auth.services import create_token
from traceapp.config import get_settings
from traceapp.db.sessions import Database
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.writer import Ledger
from traceapp.media.images import MAX_UPLOAD_BYTES
from traceapp.producers.models import Producer
from traceapp.producers.services import ProducerInput, producer_key, register_producer
from traceapp.products.models import Product
from traceapp.products.services import ProductInput, register_product

PHOTO = """mutation($input: UploadProductPhotoInput!) { uploadProductPhoto(input: $input) {
  ledgerIndex replayed userErrors { field message code }
  product { photo { sha256 width height url jpegUrl thumbnailUrl thumbnailJpegUrl ledgerIndex } }
} }"""
LOGO = """mutation($input: UploadProducerLogoInput!) { uploadProducerLogo(input: $input) {
  ledgerIndex userErrors { field message code } producer { logo { sha256 url ledgerIndex } }
} }"""


def upload(
    client: FlaskClient,
    query: str,
    fields: dict[str, Any],
    data: bytes,
    token: str | None,
    name: str = "photo.jpg",
    status: int = 200,
) -> dict[str, Any]:
    operations = {"query": query, "variables": {"input": {**fields, "file": None}}}
    form = {
        "operations": json.dumps(operations),
        "map": json.dumps({"0": ["variables.input.file"]}),
        "0": (io.BytesIO(data), name, "image/jpeg"),
    }
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post(
        "/graphql", data=form, content_type="multipart/form-data", headers=headers
    )
    assert response.status_code == status, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


@pytest.fixture
def tokens(database: Database, scenario: Scenario) -> dict[str, str]:
    with database.write() as session:
        return {
            "admin": create_token(session, "admin")[1],
            "auditor": create_token(session, "auditor")[1],
            "producer": create_token(session, "producer", scenario.producer)[1],
        }


def media_files(app: Flask) -> list[Path]:
    root = get_settings(app).media_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def entry_count(database: Database) -> int:
    with database.read_sessions() as session:
        return session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()


def stored_entry(database: Database, seq: int) -> dict[str, Any]:
    with database.read_sessions() as session:
        data = session.execute(select(LedgerEntry.entry).where(LedgerEntry.seq == seq)).scalar_one()
    entry: dict[str, Any] = json.loads(data)
    return entry


def product_id(scenario: Scenario) -> str:
    return encode_global_id("Product", scenario.product)


def test_the_producer_uploads_a_photo_its_hash_goes_on_the_ledger(
    app: Flask,
    client: FlaskClient,
    database: Database,
    scenario: Scenario,
    tokens: dict[str, str],
) -> None:
    data = photo((2400, 1800), "JPEG", gps=True, orientation=1)
    out = upload(client, PHOTO, {"product": product_id(scenario), "idempotencyKey": "p-1"},
                 data, tokens["producer"])["data"]["uploadProductPhoto"]  # fmt: skip
    assert out["userErrors"] == []
    shown = out["product"]["photo"]
    assert (shown["width"], shown["height"]) == (1080, 810)
    assert shown["ledgerIndex"] == out["ledgerIndex"]
    entry = stored_entry(database, out["ledgerIndex"])
    assert entry["type"] == "product.photo_set"
    assert entry["actor"] == scenario.producer_key
    assert entry["statement"]["id"] == scenario.product
    assert entry["statement"]["photo"]["sha256"] == shown["sha256"]
    with database.read_sessions() as session:
        row = session.execute(select(Product).where(Product.public_id == scenario.product))
        product = row.scalar_one()
    assert product.photo_sha256 == shown["sha256"] and product.photo_seq == out["ledgerIndex"]
    # Every URL serves bytes whose SHA-256 is the name the ledger gives, without GPS.
    for url, kind in ((shown["url"], "image/webp"), (shown["jpegUrl"], "image/jpeg"),
                      (shown["thumbnailUrl"], "image/webp"),
                      (shown["thumbnailJpegUrl"], "image/jpeg")):  # fmt: skip
        path = url.removeprefix("https://truyxuat.ocop.example.vn")
        served = client.get(path)
        assert served.status_code == 200 and served.mimetype == kind
        digest = path.rsplit("/", 1)[1].split(".")[0]
        assert hashlib.sha256(served.data).hexdigest() == digest
        assert GPS_IFD not in Image.open(io.BytesIO(served.data)).getexif()
    assert len(media_files(app)) == 4


def test_a_retry_with_the_same_key_replays(
    client: FlaskClient, database: Database, scenario: Scenario, tokens: dict[str, str]
) -> None:
    fields = {"product": product_id(scenario), "idempotencyKey": "same-photo"}
    data = photo((800, 600), "PNG")
    first = upload(client, PHOTO, fields, data, tokens["producer"])["data"]["uploadProductPhoto"]
    size = entry_count(database)
    again = upload(client, PHOTO, fields, data, tokens["producer"])["data"]["uploadProductPhoto"]
    assert again["replayed"] and again["ledgerIndex"] == first["ledgerIndex"]
    assert entry_count(database) == size


def test_the_admin_uploads_a_logo(
    client: FlaskClient, database: Database, scenario: Scenario, tokens: dict[str, str]
) -> None:
    fields = {"producer": encode_global_id("Producer", scenario.producer)}
    out = upload(client, LOGO, fields, photo((500, 500), "WEBP"), tokens["admin"])
    result = out["data"]["uploadProducerLogo"]
    assert result["userErrors"] == []
    entry = stored_entry(database, result["ledgerIndex"])
    assert entry["type"] == "producer.logo_set"
    assert entry["actor"] != scenario.producer_key  # the programme office signed it
    assert entry["statement"]["logo"]["sha256"] == result["producer"]["logo"]["sha256"]
    with database.read_sessions() as session:
        row = session.execute(select(Producer).where(Producer.public_id == scenario.producer))
        producer = row.scalar_one()
    assert producer.logo_sha256 == entry["statement"]["logo"]["sha256"]
    assert producer.logo_seq == result["ledgerIndex"]


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"just some text, not a photo\n" * 20, "photo.jpg", "NOT_AN_IMAGE"),
        (photo((64, 64), "PNG") + b"\x00" * MAX_UPLOAD_BYTES, "big.png", "TOO_LARGE"),
        (png_bomb(), "bomb.png", "TOO_MANY_PIXELS"),
        (photo((1200, 900), "JPEG")[:3000], "cut.jpg", "DAMAGED_IMAGE"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(
    app: Flask,
    client: FlaskClient,
    database: Database,
    scenario: Scenario,
    tokens: dict[str, str],
    data: bytes,
    name: str,
    code: str,
) -> None:
    size = entry_count(database)
    out = upload(client, PHOTO, {"product": product_id(scenario)}, data, tokens["producer"], name)
    errors = out["data"]["uploadProductPhoto"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [("file", code)]
    assert entry_count(database) == size
    assert media_files(app) == []


def test_another_producers_product_is_refused_before_the_upload_is_read(
    app: Flask,
    client: FlaskClient,
    database: Database,
    ledger: Ledger,
    admin: str,
    scenario: Scenario,
    tokens: dict[str, str],
) -> None:
    with database.write() as s:
        other = register_producer(
            s, ledger, admin,
            ProducerInput(kind="enterprise", name="Công ty Chè Mộc Châu", province="Sơn La",
                          address_recorded_on=date(2025, 7, 1)),
        ).public_ids[0]  # fmt: skip
    with database.write() as s:
        theirs = register_product(
            s, ledger, producer_key(s, other),
            ProductInput(other, "08938505974026", "Chè Mộc Châu", "drinks"),
        ).public_ids[0]  # fmt: skip
    fields = {"product": encode_global_id("Product", theirs)}
    out = upload(client, PHOTO, fields, photo((300, 200)), tokens["producer"])
    errors = out["data"]["uploadProductPhoto"]["userErrors"]
    assert [e["code"] for e in errors] == ["FORBIDDEN"]
    assert media_files(app) == []


def test_callers_without_the_right_are_refused(
    app: Flask, client: FlaskClient, scenario: Scenario, tokens: dict[str, str]
) -> None:
    fields = {"product": product_id(scenario)}
    # Without a token a multipart request is refused outright: no form post can carry one.
    refused = upload(client, PHOTO, fields, photo((300, 200)), None, status=401)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    denied = upload(client, PHOTO, fields, photo((300, 200)), tokens["auditor"])
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert media_files(app) == []


def test_a_file_field_sent_as_json_is_not_an_upload(
    client: FlaskClient, scenario: Scenario, tokens: dict[str, str]
) -> None:
    variables = {"input": {"product": product_id(scenario),
                           "file": base64.b64encode(photo((50, 50))).decode()}}  # fmt: skip
    response = client.post(
        "/graphql", json={"query": PHOTO, "variables": variables},
        headers={"Authorization": f"Bearer {tokens['producer']}"},
    )  # fmt: skip
    errors = response.get_json()["data"]["uploadProductPhoto"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [("file", "NOT_AN_IMAGE")]


@pytest.mark.parametrize(
    ("operations", "files_map"),
    [
        ("{not json", '{"0": ["variables.input.file"]}'),
        ('{"query": "mutation { x }"}', "not json"),
        ('{"query": "{ viewer { role } }", "variables": {}}', '{"1": ["variables.input.file"]}'),
        ('{"query": "{ viewer { role } }", "variables": {}}', '{"0": ["variables.a.b.c"]}'),
        ('{"query": "{ viewer { role } }", "variables": {}}', '{"0": "variables"}'),
        ('{"query": "{ viewer { role } }", "variables": {"a": 1}}', '{"0": ["variables.a.x"]}'),
        ("[]", '{"0": ["0.variables.file"]}'),
        ('{"query": "{ viewer { role } }", "variables": {"a": []}}', '{"0": ["variables.a.x"]}'),
        ('{"query": "{ viewer { role } }", "variables": {}}', '["variables.a"]'),
    ],
)
def test_malformed_multipart_requests_are_client_errors(
    app: Flask, client: FlaskClient, tokens: dict[str, str], operations: str, files_map: str
) -> None:
    form = {"operations": operations, "map": files_map, "0": (io.BytesIO(b"x"), "a.jpg")}
    response = client.post(
        "/graphql", data=form, content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {tokens['producer']}"},
    )  # fmt: skip
    assert response.status_code < 500, response.get_data(as_text=True)
    for error in (response.get_json(silent=True) or {}).get("errors") or []:
        assert error["extensions"]["code"] != "INTERNAL_SERVER_ERROR", error
    assert media_files(app) == []
