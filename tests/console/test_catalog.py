"""The catalogue pages on both engines: products (GTIN help, edit, photo), places, batches.

Every write is checked on the ledger: the entry is the same statement the API would sign, with
the member's pseudonym in it. Another producer's objects answer 404; office accounts see none.
"""

from __future__ import annotations

import io
import json
import re

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from werkzeug.test import TestResponse

from traceapp.accounts.models import Account
from traceapp.batches.models import Batch
from traceapp.db.sessions import Database
from traceapp.ledger_store.models import LedgerEntry
from traceapp.locations.models import Location
from traceapp.products.models import Product

from .conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    STAFF_PASSWORD,
    People,
    csrf_of,
    invitation_token,
    owner_of,
    post_form,
    sign_in,
)

PAGE_BUDGET = 50 * 1024
_KEY = re.compile(r'name="key" value="([^"]+)"')


def send(client: FlaskClient, page: str, action: str, data: dict[str, str]) -> TestResponse:
    """Open ``page``, fill its form (keeping its idempotency key) and send it to ``action``."""
    opened = client.get(page)
    assert opened.status_code == 200, opened.get_data(as_text=True)[:500]
    found = _KEY.search(opened.get_data(as_text=True))
    key = {"key": found.group(1)} if found else {}
    return client.post(action, data={**key, **data, "csrf_token": csrf_of(opened)})


def last_entry(database: Database) -> dict[str, object]:
    with database.read_sessions() as s:
        row = s.execute(select(LedgerEntry.entry).order_by(LedgerEntry.seq.desc())).first()
    assert row is not None
    body: dict[str, object] = json.loads(row[0])
    return body


def member_id(database: Database, login: str) -> str:
    with database.read_sessions() as s:
        return s.execute(select(Account.member_id).where(Account.login == login)).scalar_one()


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (40, 120, 60)).save(out, format="PNG")
    return out.getvalue()


PRODUCT = {
    "nameVi": "Mật ong hoa bạc hà",
    "nameEn": "Mint-flower honey",
    "group": "food",
    "description": "Mật ong từ cao nguyên đá Đồng Văn.",
    "standards": "TCVN 12605:2019, VietGAP",
}


def test_gtin_check_digit_is_computed_and_explained(app: Flask, people: People) -> None:
    owner = app.test_client()
    owner_of(owner, people, people.producer_b, "b@example.vn")
    checked = send(
        owner,
        "/console/products/new",
        "/console/products/new",
        {**PRODUCT, "gtin": "893850000002", "action": "check"},
    )
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200
    # Weighted 3,1,3... from the right the 12 digits sum to 73: the check digit is 7.
    assert "GTIN-13 đầy đủ: 8938500000027" in page
    assert "Chữ số kiểm tra là 7" in page
    assert 'value="Mật ong hoa bạc hà"' in page  # the form is kept
    wrong = send(
        owner,
        "/console/products/new",
        "/console/products/new",
        {**PRODUCT, "gtin": "8938500000023", "action": "save"},
    )
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 422
    assert "chữ số kiểm tra phải là 7, không phải 3" in text
    assert 'value="8938500000023"' in text and "Mint-flower honey" in text
    english = owner.get("/console/products/new", headers={"Accept-Language": "en"})
    assert "Add a product" in english.get_data(as_text=True)
    token = csrf_of(english)
    wrong_en = owner.post(
        "/console/products/new",
        data={**PRODUCT, "gtin": "8938500000023", "action": "check", "csrf_token": token},
        headers={"Accept-Language": "en"},
    )
    assert "the check digit should be 7, not 3" in wrong_en.get_data(as_text=True)
    for page in ("/console/products/new", "/console/places/new", "/console/batches/new"):
        assert len(owner.get(page).get_data()) <= PAGE_BUDGET, page
    assert len(owner.get("/console/products").get_data()) <= PAGE_BUDGET


def test_owner_creates_and_edits_a_product_on_the_ledger(
    app: Flask, people: People, database: Database
) -> None:
    owner = app.test_client()
    owner_of(owner, people, people.producer_b, "b@example.vn")
    me = member_id(database, "b@example.vn")
    created = send(
        owner,
        "/console/products/new",
        "/console/products/new",
        {**PRODUCT, "gtin": "893850000002", "action": "save"},
    )
    assert created.status_code == 303, created.get_data(as_text=True)[:2000]
    entry = last_entry(database)
    statement = entry["statement"]
    assert isinstance(statement, dict)
    assert entry["type"] == "product.registered" and statement["member"] == me
    assert statement["gtin"] == "08938500000027"
    assert statement["standards"] == ["TCVN 12605:2019", "VietGAP"]
    detail_url = created.headers["Location"]
    detail = owner.get(detail_url)
    assert detail.status_code == 200 and "Mật ong hoa bạc hà" in detail.get_data(as_text=True)
    assert len(detail.get_data()) <= PAGE_BUDGET
    product_id = detail_url.rsplit("/", 1)[1]
    # The same GTIN again: refused next to its field, the form kept.
    again = send(
        owner,
        "/console/products/new",
        "/console/products/new",
        {**PRODUCT, "nameVi": "Mật ong khác", "gtin": "8938500000027", "action": "save"},
    )
    assert again.status_code == 422
    assert 'id="e-gtin"' in again.get_data(as_text=True)
    assert "đã được đăng ký" in again.get_data(as_text=True)
    # Edit: only what changed goes on the ledger.
    edit = f"/console/products/{product_id}/edit"
    blank = send(owner, edit, edit, {**PRODUCT, "nameVi": " "})
    assert blank.status_code == 422 and 'id="e-nameVi"' in blank.get_data(as_text=True)
    assert "Hãy điền mục này." in blank.get_data(as_text=True)
    done = send(owner, edit, edit, {**PRODUCT, "nameVi": "Mật ong bạc hà Đồng Văn"})
    assert done.status_code == 303
    entry = last_entry(database)
    assert entry["type"] == "product.updated"
    assert entry["statement"] == {
        "id": product_id,
        "changes": {"name": {"vi": "Mật ong bạc hà Đồng Văn", "en": "Mint-flower honey"}},
        "member": me,
    }
    assert "Mật ong bạc hà Đồng Văn" in owner.get("/console/products").get_data(as_text=True)


def test_photo_upload_good_and_bad(app: Flask, people: People, database: Database) -> None:
    owner = app.test_client()
    owner_of(owner, people, people.producer_a, "a@example.vn")
    page = f"/console/products/{people_product(database, people.producer_a)}"
    opened = owner.get(page)
    assert opened.status_code == 200
    token, key = csrf_of(opened), _KEY.search(opened.get_data(as_text=True))
    assert key is not None
    bad = owner.post(
        f"{page}/photo",
        data={"csrf_token": token, "key": key.group(1), "photo": (io.BytesIO(b"hello"), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert "không phải ảnh JPEG, PNG hay WebP" in bad.get_data(as_text=True)
    huge = b"\x89PNG\r\n\x1a\n" + bytes(10 * 1024 * 1024)
    too_large = owner.post(
        f"{page}/photo",
        data={"csrf_token": token, "key": key.group(1), "photo": (io.BytesIO(huge), "a.png")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert too_large.status_code == 422
    assert "The photo is too large (10 MB at most)." in too_large.get_data(as_text=True)
    missing = owner.post(f"{page}/photo", data={"csrf_token": token, "key": key.group(1)})
    assert missing.status_code == 422 and 'id="e-photo"' in missing.get_data(as_text=True)
    good = owner.post(
        f"{page}/photo",
        data={"csrf_token": token, "key": key.group(1), "photo": (io.BytesIO(png()), "a.png")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 303, good.get_data(as_text=True)[:2000]
    entry = last_entry(database)
    assert entry["type"] == "product.photo_set"
    statement = entry["statement"]
    assert isinstance(statement, dict)
    assert statement["member"] == member_id(database, "a@example.vn")
    shown = owner.get(page).get_data(as_text=True)
    thumb = statement["photo"]["thumb"]["sha256"]  # type: ignore[index]
    assert f'src="/media/{thumb}.webp"' in shown
    assert owner.get(f"/media/{thumb}.webp").status_code == 200
    assert "OCOP" in shown  # the scenario's certificate, read-only


def people_product(database: Database, producer: str) -> str:
    from traceapp.producers.models import Producer

    with database.read_sessions() as s:
        return s.execute(
            select(Product.public_id)
            .join(Producer, Producer.id == Product.producer_id)
            .where(Producer.public_id == producer)
        ).scalar_one()


def test_staff_creates_a_place_and_a_batch(app: Flask, people: People, database: Database) -> None:
    owner = app.test_client()
    owner_of(owner, people, people.producer_a, "a@example.vn")
    invited = post_form(owner, "/console/staff", "/console/staff/invite", {})
    staff = app.test_client()
    page = f"/console/invitation/{invitation_token(invited)}"
    form = {"name": "Lò Thị Mai", "phone": "0912 000 111", "password": STAFF_PASSWORD}
    assert post_form(staff, page, page, form).status_code == 303
    me = member_id(database, "0912000111")
    bad = send(
        staff,
        "/console/places/new",
        "/console/places/new",
        {"name": "Xưởng sao chè", "kind": "facility", "code": "", "gln": "8938500000011"},
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="e-code"' in text and 'value="Xưởng sao chè"' in text
    place = {"name": "Xưởng sao chè", "kind": "facility", "code": "XUONG-9", "province": "Lào Cai"}
    done = send(staff, "/console/places/new", "/console/places/new", place)
    assert done.status_code == 303
    entry = last_entry(database)
    statement = entry["statement"]
    assert isinstance(statement, dict)
    assert entry["type"] == "location.registered" and statement["member"] == me
    assert "Xưởng sao chè" in staff.get("/console/places").get_data(as_text=True)
    with database.read_sessions() as s:
        place_id = s.execute(
            select(Location.public_id).where(Location.code == "XUONG-9")
        ).scalar_one()
    product_id = people_product(database, people.producer_a)
    batch = {
        "product": product_id,
        "lot": "L2026-12",
        "quantity": "12,5",
        "unit": "kg",
        "productionDate": "2026-12-01",
        "expiryDate": "2026-11-01",
        "originLocation": place_id,
    }
    early = send(staff, "/console/batches/new", "/console/batches/new", batch)
    assert early.status_code == 422
    assert "không được trước ngày sản xuất" in early.get_data(as_text=True)
    assert 'value="L2026-12"' in early.get_data(as_text=True)
    # Corrected and sent again from the refused form (which kept its key).
    fixed = {
        **batch,
        "expiryDate": "2027-12-01",
        "key": key_of(early),
        "csrf_token": csrf_of(early),
    }
    made = staff.post("/console/batches/new", data=fixed)
    assert made.status_code == 303, made.get_data(as_text=True)[:2000]
    entry = last_entry(database)
    statement = entry["statement"]
    assert isinstance(statement, dict)
    assert entry["type"] == "batch.created" and statement["member"] == me
    assert statement["quantity"] == "12.5" and statement["origin"] == place_id
    detail = staff.get(made.headers["Location"])
    text = detail.get_data(as_text=True)
    assert detail.status_code == 200 and "L2026-12" in text and "Xưởng sao chè" in text
    assert 'id="items-count">0 tem' in text
    # The same form sent twice (a double tap) writes once and lands on the same batch.
    seq = last_entry_seq(database)
    twice = staff.post("/console/batches/new", data=fixed)
    assert twice.status_code == 303 and twice.headers["Location"] == made.headers["Location"]
    assert last_entry_seq(database) == seq
    # An expired batch, made after it, is listed after the open one.
    old = {**batch, "lot": "L2019-01", "productionDate": "2019-01-01", "expiryDate": "2019-06-01"}
    assert send(staff, "/console/batches/new", "/console/batches/new", old).status_code == 303
    listing = staff.get("/console/batches")
    text = listing.get_data(as_text=True)
    assert text.index("L2026-12") < text.index("L2019-01")
    assert "hết hạn hoặc đã thu hồi" in text[text.index("L2019-01") :]
    assert len(listing.get_data()) <= PAGE_BUDGET


def key_of(response: TestResponse) -> str:
    found = _KEY.search(response.get_data(as_text=True))
    assert found is not None
    return found.group(1)


def last_entry_seq(database: Database) -> int:
    with database.read_sessions() as s:
        return int(
            s.execute(
                select(LedgerEntry.seq).order_by(LedgerEntry.seq.desc()).limit(1)
            ).scalar_one_or_none()
            or 0
        )


def test_scenario_batch_shows_items_and_events(
    app: Flask, people: People, database: Database
) -> None:
    owner = app.test_client()
    owner_of(owner, people, people.producer_a, "a@example.vn")
    with database.read_sessions() as s:
        batch = s.execute(select(Batch.public_id)).scalars().first()
    page = owner.get(f"/console/batches/{batch}").get_data(as_text=True)
    assert 'id="items-count">0 tem' not in page
    assert 'id="events"' in page and "Chưa có sự kiện nào." not in page


def test_other_producers_objects_and_office_get_404(
    app: Flask, people: People, database: Database
) -> None:
    owner_b = app.test_client()
    owner_of(owner_b, people, people.producer_b, "b@example.vn")
    product = people_product(database, people.producer_a)
    with database.read_sessions() as s:
        batch = s.execute(select(Batch.public_id)).scalars().first()
    for path in (
        f"/console/products/{product}",
        f"/console/products/{product}/edit",
        f"/console/batches/{batch}",
        "/console/products/prd_00000000000000",
    ):
        assert owner_b.get(path).status_code == 404, path
    token = csrf_of(owner_b.get("/console/products"))
    edit = owner_b.post(
        f"/console/products/{product}/edit", data={"csrf_token": token, "nameVi": "X"}
    )
    assert edit.status_code == 404
    photo = owner_b.post(
        f"/console/products/{product}/photo",
        data={"csrf_token": token, "photo": (io.BytesIO(png()), "a.png")},
        content_type="multipart/form-data",
    )
    assert photo.status_code == 404
    # B's batch form offers B's products only; A's product sent anyway is refused.
    form = owner_b.get("/console/batches/new").get_data(as_text=True)
    assert product not in form
    office = app.test_client()
    assert sign_in(office, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303
    for path in ("/console/products", "/console/places", "/console/batches/new"):
        assert office.get(path).status_code == 404, path
    assert "/console/products" not in office.get("/console/").get_data(as_text=True)


def test_a_post_without_csrf_is_refused(app: Flask, people: People, database: Database) -> None:
    owner = app.test_client()
    owner_of(owner, people, people.producer_b, "b@example.vn")
    with database.read_sessions() as s:
        before = s.execute(select(LedgerEntry.seq).order_by(LedgerEntry.seq.desc())).scalar()
    refused = owner.post(
        "/console/products/new", data={**PRODUCT, "gtin": "893850000002", "action": "save"}
    )
    assert refused.status_code == 400
    refused = owner.post("/console/places/new", data={"name": "X", "code": "X", "kind": "farm"})
    assert refused.status_code == 400
    with database.read_sessions() as s:
        after = s.execute(select(LedgerEntry.seq).order_by(LedgerEntry.seq.desc())).scalar()
    assert before == after


def test_a_place_with_its_gps_position(app: Flask, people: People, database: Database) -> None:
    owner = app.test_client()
    owner_of(owner, people, people.producer_b, "b@example.vn")
    form = owner.get("/console/places/new").get_data(as_text=True)
    # The button needs the script; without it the fields are there to type in.
    assert 'id="geo-fill" hidden' in form and 'id="f-latitude"' in form
    assert "/static/console-geo.js" in form
    place = {"name": "Vườn ong Sủng Là", "kind": "farm", "code": "VUON-1"}
    half = send(owner, "/console/places/new", "/console/places/new", {**place, "latitude": "23,1"})
    text = half.get_data(as_text=True)
    assert half.status_code == 422 and 'id="e-longitude"' in text and 'value="23,1"' in text
    far = send(
        owner,
        "/console/places/new",
        "/console/places/new",
        {**place, "latitude": "123", "longitude": "105.2"},
    )
    assert far.status_code == 422 and "từ -90 đến 90" in far.get_data(as_text=True)
    done = send(
        owner,
        "/console/places/new",
        "/console/places/new",
        {**place, "latitude": "23.1234567", "longitude": "105.25"},
    )
    assert done.status_code == 303
    entry = last_entry(database)
    statement = entry["statement"]
    assert isinstance(statement, dict)
    assert statement["geo"] == {"lat": "23.123457", "lon": "105.250000"}
    assert statement["member"] == member_id(database, "b@example.vn")
    with database.read_sessions() as s:
        row = s.execute(select(Location).where(Location.code == "VUON-1")).scalar_one()
    assert str(row.latitude) == "23.123457" and str(row.longitude) == "105.250000"
    assert "23.123457, 105.250000" in owner.get("/console/places").get_data(as_text=True)
    # A place without a position keeps the statement as it was (no ``geo`` key).
    plain = {"name": "Cửa hàng", "kind": "shop", "code": "SHOP-1"}
    assert send(owner, "/console/places/new", "/console/places/new", plain).status_code == 303
    statement = last_entry(database)["statement"]
    assert isinstance(statement, dict) and "geo" not in statement
