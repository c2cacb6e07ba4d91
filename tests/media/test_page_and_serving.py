"""The item page shows the proven photo and logo; /media serves them immutable and safely."""

from __future__ import annotations

import hashlib
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from support.images import photo
from support.scenario import Scenario

from traceapp.batches.models import Item
from traceapp.config import get_settings
from traceapp.db.sessions import Database
from traceapp.ledger_store.writer import Ledger
from traceapp.media.images import StoredPhoto, store_photo
from traceapp.media.store import DirectoryStore
from traceapp.producers.logos import set_producer_logo
from traceapp.products.photos import set_product_photo

GTIN, LOT = "08938505974019", "L2026-11A"
HTML = {"Accept": "text/html"}


def item_path(database: Database, scenario: Scenario) -> str:
    with database.read_sessions() as session:
        serial = session.execute(
            select(Item.serial).where(Item.public_id == scenario.items[0])
        ).scalar_one()
    return f"/01/{GTIN}/10/{LOT}/21/{serial}"


@pytest.fixture
def with_photo(
    app: Flask, database: Database, ledger: Ledger, scenario: Scenario
) -> tuple[StoredPhoto, int, StoredPhoto, int]:
    store = DirectoryStore(get_settings(app).media_dir)
    picture = store_photo(store, photo((1600, 1200), "JPEG", gps=True))
    logo = store_photo(store, photo((600, 600), "PNG"))
    with database.write() as s:
        photo_seq = set_product_photo(
            s, ledger, scenario.producer_key, scenario.product, picture
        ).ledger_index
        logo_seq = set_producer_logo(
            s, ledger, scenario.producer_key, scenario.producer, logo
        ).ledger_index
    return picture, photo_seq, logo, logo_seq


def test_the_page_shows_the_photo_its_hash_and_its_proof(
    client: FlaskClient,
    database: Database,
    scenario: Scenario,
    with_photo: tuple[StoredPhoto, int, StoredPhoto, int],
) -> None:
    picture, photo_seq, logo, logo_seq = with_photo
    html = client.get(item_path(database, scenario) + "?lang=en", headers=HTML).get_data(
        as_text=True
    )
    figure = html[html.index('<figure class="product-photo">') : html.index("</figure>")]
    assert f'<source type="image/webp" srcset="/media/{picture.thumb_sha256}.webp 320w, ' \
        f'/media/{picture.sha256}.webp 1080w"' in figure  # fmt: skip
    assert f'src="/media/{picture.jpeg}.jpg"' in figure
    assert 'width="1080" height="810"' in figure
    assert 'alt="Photo of Ancient Shan Tuyet tea"' in figure
    assert (
        f"This photo&#39;s SHA-256 hash is recorded on the ledger (entry #{photo_seq}): "
        f"{picture.sha256}"
    ) in figure
    # The entry is among the proofs, verified.
    proofs = html[html.index('id="proofs"') :]
    for seq, subject in ((photo_seq, "Product photo"), (logo_seq, "Producer logo")):
        assert re.search(
            rf'<li class="ok" data-seq="{seq}">\s*<span[^>]*>✓</span>\s*{subject} — Entry {seq}: '
            "verified",
            proofs,
        )
    assert f'src="/media/{logo.thumb_jpeg}.jpg"' in html
    assert f'srcset="/media/{logo.thumb_sha256}.webp"' in html
    assert "Cryptographically verified" in html


def test_the_alt_text_names_the_product_in_vietnamese(
    client: FlaskClient,
    database: Database,
    scenario: Scenario,
    with_photo: tuple[StoredPhoto, int, StoredPhoto, int],
) -> None:
    html = client.get(item_path(database, scenario) + "?lang=vi", headers=HTML).get_data(
        as_text=True
    )
    name = re.search(r'<h2 class="name" translate="no">([^<]+)</h2>', html)
    assert name is not None
    assert f'alt="Ảnh sản phẩm {name.group(1)}"' in html
    assert re.search(r"Ảnh sản phẩm — Mục số \d+: ", html)


def test_without_a_photo_the_page_has_no_picture(
    client: FlaskClient, database: Database, scenario: Scenario
) -> None:
    html = client.get(item_path(database, scenario), headers=HTML).get_data(as_text=True)
    assert "<picture" not in html and "/media/" not in html


def test_the_served_photo_is_immutable_with_its_hash_as_etag(
    client: FlaskClient, with_photo: tuple[StoredPhoto, int, StoredPhoto, int]
) -> None:
    picture = with_photo[0]
    for digest, ext, kind in (
        (picture.sha256, "webp", "image/webp"),
        (picture.jpeg, "jpg", "image/jpeg"),
        (picture.thumb_sha256, "webp", "image/webp"),
    ):
        response = client.get(f"/media/{digest}.{ext}")
        assert response.status_code == 200
        assert response.content_type == kind
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["ETag"] == f'"{digest}"'
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert hashlib.sha256(response.data).hexdigest() == digest
        again = client.get(f"/media/{digest}.{ext}", headers={"If-None-Match": f'"{digest}"'})
        assert again.status_code == 304 and again.data == b""
        head = client.head(f"/media/{digest}.{ext}")
        assert head.status_code == 200 and head.data == b""


def test_unknown_wrong_and_hostile_names_are_404(
    app: Flask, client: FlaskClient, with_photo: tuple[StoredPhoto, int, StoredPhoto, int]
) -> None:
    picture = with_photo[0]
    secret = get_settings(app).media_dir.parent / "log.key"
    assert secret.exists()
    for path in (
        f"/media/{'0' * 64}.webp",
        f"/media/{picture.sha256}.jpg",  # a WebP is not served as a JPEG
        f"/media/{picture.jpeg}.webp",
        f"/media/{picture.sha256}.png",
        f"/media/{picture.sha256.upper()}.webp",
        f"/media/{picture.sha256[:2]}/{picture.sha256}",
        "/media/..%2Flog.key",
        "/media/../log.key",
        "/media/%2e%2e/log.key",
        f"/media/{picture.sha256}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"PRIVATE" not in response.data and response.headers.get("Cache-Control") != (
            "public, max-age=31536000, immutable"
        )
