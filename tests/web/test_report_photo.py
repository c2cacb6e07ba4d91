"""A photo on the report of a suspected fake: a multipart form (no script), checked, re-encoded
without EXIF, kept in the private report store (never under /media, never on the ledger)."""

from __future__ import annotations

import io
import stat
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from support.images import GPS_IFD, photo

from traceapp.config import get_settings
from traceapp.db.sessions import get_database
from traceapp.ledger_store.models import LedgerEntry
from traceapp.media.images import MAX_UPLOAD_BYTES
from traceapp.reports.models import Report
from traceapp.reports.services import (
    MAX_PER_WINDOW,
    ReportInput,
    list_reports,
    open_report_store,
    prepare_photo,
    submit_report,
)

BASE = "https://truyxuat.ocop.example.vn"
CODE = f"{BASE}/01/08938505974019/10/L2026-11A/21/FAKE42"
ORIGIN = {"Origin": BASE}


def post(
    client: FlaskClient, upload: tuple[bytes, str] | None, lang: str = "vi", **fields: str
) -> Any:
    data: dict[str, Any] = {"code": CODE, "reason": "label", "details": "tem lạ", **fields}
    if upload is not None:
        data["photo"] = (io.BytesIO(upload[0]), upload[1])
    return client.post(
        f"/report?lang={lang}", data=data, headers=ORIGIN, content_type="multipart/form-data"
    )


def stored_files(app: Flask) -> list[Path]:
    root = get_settings(app).media_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def nothing_stored(app: Flask) -> None:
    with get_database(app).read_sessions() as session:
        assert session.execute(select(func.count()).select_from(Report)).scalar_one() == 0
    assert stored_files(app) == []


def test_the_form_takes_a_photo_without_javascript(client: FlaskClient) -> None:
    for lang, label in (("vi", "Ảnh chụp sản phẩm hoặc tem"), ("en", "A photo of the product")):
        html = client.get(f"/report?lang={lang}").get_data(as_text=True)
        assert 'enctype="multipart/form-data"' in html and 'method="post"' in html
        assert '<label for="photo">' + label in html
        assert 'type="file" accept="image/jpeg,image/png,image/webp"' in html
        assert "<script" not in html


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_photo_is_kept_without_exif_and_listed_for_the_office(
    app: Flask, client: FlaskClient, fmt: str
) -> None:
    with get_database(app).read_sessions() as session:
        entries = session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()
    upload = photo((1600, 1200), fmt, gps=True)
    if fmt == "JPEG":  # the upload really carries a GPS position
        assert GPS_IFD in Image.open(io.BytesIO(upload)).getexif()
    response = post(client, (upload, "IMG_0001.jpg"))
    assert response.status_code == 303, response.get_data(as_text=True)[-800:]
    with get_database(app).read_sessions() as session:
        (report,) = list_reports(session)
        # Personal data stays off the ledger: no entry was appended.
        assert (
            session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one() == entries
        )
    assert report.photo is not None and (report.photo.width, report.photo.height) == (1080, 810)
    store = open_report_store(get_settings(app))
    for digest, kind in (
        (report.photo.sha256, "WEBP"),
        (report.photo.jpeg, "JPEG"),
        (report.photo.thumb_sha256, "WEBP"),
        (report.photo.thumb_jpeg, "JPEG"),
    ):
        data = store.get(digest)
        assert data is not None
        kept = Image.open(io.BytesIO(data))
        assert kept.format == kind
        assert len(kept.getexif()) == 0 and "exif" not in kept.info and b"Exif" not in data
        assert "icc_profile" not in kept.info and "xmp" not in kept.info
        # Private: not served under /media, and readable by the owner only.
        ext = "webp" if kind == "WEBP" else "jpg"
        assert client.get(f"/media/{digest}.{ext}").status_code == 404
    for path in stored_files(app):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_service_keeps_the_photo_in_the_given_store(app: Flask) -> None:
    from datetime import UTC, datetime

    store = open_report_store(get_settings(app))
    made = prepare_photo(photo((400, 300), "PNG"))
    with get_database(app).write() as session:
        view = submit_report(
            session,
            ReportInput(CODE, "copied"),
            client="abc",
            now=datetime.now(UTC),
            public_url=BASE,
            photo=(store, made),
        )
    assert view.photo is not None and store.exists(view.photo.sha256)
    with get_database(app).read_sessions() as session:
        assert list_reports(session)[0].photo == view.photo


@pytest.mark.parametrize(
    "lang, message",
    [
        ("vi", "Ảnh quá lớn: tối đa 10 MB."),
        ("en", "The photo is too large: at most 10 MB."),
    ],
)
def test_an_oversize_photo_is_refused_with_a_clear_message(
    app: Flask, client: FlaskClient, lang: str, message: str
) -> None:
    big = b"\xff\xd8\xff" + b"\0" * MAX_UPLOAD_BYTES  # one byte over
    response = post(client, (big, "big.jpg"), lang)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert message in html and 'role="alert"' in html and 'aria-invalid="true"' in html
    assert 'value="' + CODE + '"' in html  # what was typed is kept
    # A body far beyond a photo is refused before it is read, with the same words.
    huge = post(client, (b"\xff\xd8\xff" + b"\0" * (MAX_UPLOAD_BYTES + 200_000), "x.jpg"), lang)
    assert huge.status_code == 413 and message in huge.get_data(as_text=True)
    nothing_stored(app)


@pytest.mark.parametrize(
    "upload, message",
    [
        ((b"%PDF-1.4 not a picture", "photo.jpg"), "The attached file is not a JPEG, PNG or WebP"),
        ((b"GIF89a" + b"\0" * 40, "anim.gif"), "The attached file is not a JPEG, PNG or WebP"),
        ((photo((800, 600), "JPEG")[:400], "cut.jpg"), "The picture cannot be read"),
    ],
)
def test_a_file_that_is_not_a_picture_is_refused(
    app: Flask, client: FlaskClient, upload: tuple[bytes, str], message: str
) -> None:
    response = post(client, upload, "en")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    nothing_stored(app)


def test_a_wrong_field_stores_no_photo_and_asks_for_it_again(
    app: Flask, client: FlaskClient
) -> None:
    response = post(client, (photo((640, 480), "JPEG", gps=True), "a.jpg"), "en", reason="")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Please choose a reason." in html and "choose it again" in html
    nothing_stored(app)
    # Without a photo, the report still goes through as before.
    assert post(client, None).status_code == 303
    with get_database(app).read_sessions() as session:
        assert list_reports(session)[0].photo is None


def test_an_over_limit_client_spends_no_image_work(app: Flask, client: FlaskClient) -> None:
    for _ in range(MAX_PER_WINDOW):
        assert post(client, None).status_code == 303
    # Not a picture: had it been looked at, the answer would be 400; the limit comes first.
    over = post(client, (b"%PDF-1.4 not a picture", "a.jpg"))
    assert over.status_code == 429 and int(over.headers["Retry-After"]) > 3000
    assert stored_files(app) == []
