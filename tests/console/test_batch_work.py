"""A batch's work in the console, on both engines: issuing stamps with PINs as a PDF (decoded:
every QR code names an issued item, every PIN claims its item), recording events for the batch
or for items by their printed codes (once per form), declaring an event wrong, recalling the
batch; each write signed for the member; another producer's batch answers 404."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from labels.test_sheet import decode_pages
from pypdf import PdfReader
from sqlalchemy import func, select
from support.scenario import Scenario
from werkzeug.test import TestResponse

from traceapp.accounts.models import Account
from traceapp.batches.models import Batch, Item
from traceapp.batches.services import check_pin
from traceapp.db.sessions import Database
from traceapp.events.models import Event, EventEpc
from traceapp.gs1.digital_link import parse_path
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.writer import Ledger
from traceapp.products.models import Product
from traceapp.recalls.models import Recall
from traceapp.verification.pins import claim_with_pin

from .conftest import (
    STAFF_PASSWORD,
    People,
    csrf_of,
    invitation_token,
    owner_of,
    post_form,
)

_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
PAGE_BUDGET = 50 * 1024


def form_of(client: FlaskClient, page: str) -> dict[str, str]:
    """The hidden fields a rendered form carries: its CSRF token and idempotency key."""
    response = client.get(page)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    found = _KEY.search(response.get_data(as_text=True))
    assert found
    return {"csrf_token": csrf_of(response), "idempotency_key": found.group(1)}


def member_of(database: Database, login: str) -> str:
    with database.read_sessions() as s:
        return s.execute(select(Account.member_id).where(Account.login == login)).scalar_one()


def last_statement(database: Database, kind: str) -> dict[str, object]:
    with database.read_sessions() as s:
        entry = s.execute(
            select(LedgerEntry.entry)
            .where(LedgerEntry.type == kind)
            .order_by(LedgerEntry.seq.desc())
            .limit(1)
        ).scalar_one()
    statement: dict[str, object] = json.loads(entry)["statement"]
    return statement


def item_count(database: Database, batch: str) -> int:
    with database.read_sessions() as s:
        return int(
            s.execute(
                select(func.count())
                .select_from(Item)
                .join(Batch, Item.batch_id == Batch.id)
                .where(Batch.public_id == batch)
            ).scalar_one()
        )


def pins_by_serial(pdf: bytes) -> dict[str, str]:
    """Each label draws its PIN, then its text ending with ``SN: serial``."""
    pins: dict[str, str] = {}
    pending: str | None = None
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for line in page.extract_text().splitlines():
            line = line.strip()
            if re.fullmatch(r"\d{8}", line):
                pending = line
            elif line.startswith("SN: ") and pending is not None:
                pins[line[4:]] = pending
                pending = None
    return pins


def check_stamps(
    pdf: bytes, database: Database, ledger: Ledger, count: int, *, claim: bool = True
) -> list[str]:
    """The PDF's QR codes name ``count`` items just issued and its PINs match them (and claim
    them, with ``claim``); returns their serials."""
    assert pdf.startswith(b"%PDF")
    uris = set().union(*decode_pages(pdf, dpi=200))
    assert len(uris) == count
    serials = [parse_path(urlsplit(u).path).serial or "" for u in uris]
    pins = pins_by_serial(pdf)
    assert set(pins) == set(serials)
    assert "Quét để kiểm tra / Scan to verify" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    with database.write() as s:
        items = s.execute(select(Item).where(Item.serial.in_(serials))).scalars().all()
        assert len(items) == count
        for item in items:
            assert check_pin(s, item, pins[item.serial])
            if not claim:
                continue
            result = claim_with_pin(
                s, ledger, item.public_id, pins[item.serial], now=datetime.now(UTC), client="t"
            )
            assert result.outcome == "claimed"
    return serials


def test_issue_stamps_with_pins_downloads_the_pdf_once(
    client: FlaskClient, people: People, database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    owner_of(client, people, people.producer_a, "hung@example.vn")
    page = f"/console/batches/{scenario.batch}/items/new"
    shown = client.get(page).get_data(as_text=True)
    assert "Phát hành tem" in shown and 'id="bound"' in shown
    before = item_count(database, scenario.batch)
    form = form_of(client, page)
    response = client.post(page, data={**form, "count": "20", "pins": "1"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    check_stamps(response.get_data(), database, ledger, 20)
    statement = last_statement(database, "items.issued")
    assert statement["member"] == member_of(database, "hung@example.vn")
    assert item_count(database, scenario.batch) == before + 20
    # The same form sent again issues nothing and hands out no second file.
    again = client.post(page, data={**form, "count": "20", "pins": "1"})
    assert again.status_code == 409
    assert "chỉ hiện một lần" in again.get_data(as_text=True)
    assert item_count(database, scenario.batch) == before + 20


def test_issue_stamps_refuses_bad_counts_and_keeps_the_form(
    client: FlaskClient, people: People, database: Database, scenario: Scenario
) -> None:
    owner_of(client, people, people.producer_a, "hung@example.vn")
    page = f"/console/batches/{scenario.batch}/items/new"
    before = item_count(database, scenario.batch)
    over = client.post(page, data={**form_of(client, page), "count": "200", "pins": "1"})
    assert over.status_code == 422
    text = over.get_data(as_text=True)
    assert "thêm 200 tem sẽ vượt số lượng của lô (120.5)" in text
    assert 'value="200"' in text and "checked" in text
    assert item_count(database, scenario.batch) == before
    bad = client.post(page, data={**form_of(client, page), "count": "0"})
    assert bad.status_code == 422 and "Nhập một số từ 1" in bad.get_data(as_text=True)
    assert item_count(database, scenario.batch) == before
    # Without PINs: the stamps carry no PIN box.
    plain = client.post(page, data={**form_of(client, page), "count": "3"})
    assert plain.status_code == 200 and plain.headers["Content-Type"] == "application/pdf"
    assert pins_by_serial(plain.get_data()) == {}
    assert "Cào lớp phủ" not in PdfReader(io.BytesIO(plain.get_data())).pages[0].extract_text()
    # With a reason they are issued, and the reason is in the ledger with the member.
    reason = "Lô tính theo kg, đóng gói 100 g một túi"
    beyond = client.post(
        page, data={**form_of(client, page), "count": "200", "over_reason": reason}
    )
    assert beyond.status_code == 200 and beyond.headers["Content-Type"] == "application/pdf"
    assert last_statement(database, "items.issued")["over_quantity_reason"] == reason


def _events(database: Database, batch: str) -> list[Event]:
    with database.read_sessions() as s:
        batch_id = s.execute(select(Batch.id).where(Batch.public_id == batch)).scalar_one()
        items = select(Item.id).where(Item.batch_id == batch_id)
        seqs = select(EventEpc.event_seq).where(
            (EventEpc.batch_id == batch_id) | EventEpc.item_id.in_(items)
        )
        return list(
            s.execute(select(Event).where(Event.ledger_seq.in_(seqs)).order_by(Event.ledger_seq))
            .scalars()
            .all()
        )


def record(client: FlaskClient, batch: str, **fields: str) -> tuple[TestResponse, dict[str, str]]:
    page = f"/console/batches/{batch}/events/new"
    form = {**form_of(client, page), "when": "2026-11-20T09:30", **fields}
    return client.post(page, data=form), form


def test_record_events_for_the_batch_and_for_items_by_code(
    client: FlaskClient, people: People, database: Database, scenario: Scenario
) -> None:
    owner_of(client, people, people.producer_a, "hung@example.vn")
    member = member_of(database, "hung@example.vn")
    before = len(_events(database, scenario.batch))
    done, form = record(client, scenario.batch, step="store", place=scenario.farm, scope="batch")
    assert done.status_code == 303, done.get_data(as_text=True)[:800]
    # A double submit (the same rendered form) records once.
    twice = client.post(f"/console/batches/{scenario.batch}/events/new", data=form)
    assert twice.status_code == 303
    events = _events(database, scenario.batch)
    assert len(events) == before + 1
    # The same form, changed after it was done: refused, and the page gets a fresh key.
    changed = client.post(
        f"/console/batches/{scenario.batch}/events/new", data={**form, "step": "receive"}
    )
    assert changed.status_code == 422
    assert "đã được gửi trước đó" in changed.get_data(as_text=True)
    assert form["idempotency_key"] not in changed.get_data(as_text=True)
    assert len(_events(database, scenario.batch)) == before + 1
    stored = events[-1]
    assert stored.biz_step.endswith("storing") and stored.disposition.endswith(  # type: ignore[union-attr]
        "sellable_not_accessible"
    )
    assert stored.event_time == datetime(2026, 11, 20, 2, 30, tzinfo=UTC)
    assert last_statement(database, "event.recorded")["member"] == member

    with database.read_sessions() as s:
        items = s.execute(
            select(Item.public_id, Item.serial).where(Item.public_id.in_(scenario.items[:2]))
        ).all()
    with database.read_sessions() as s:
        gtin = s.execute(
            select(Product.gtin)
            .join(Batch, Batch.product_id == Product.id)
            .where(Batch.public_id == scenario.batch)
        ).scalar_one()
    link = f"https://truyxuat.ocop.example.vn/01/{gtin}/10/L2026-11A/21/{items[0][1]}"
    codes = f"{link}\n\n  {items[1][1].lower()}  \n"
    shipped, _ = record(client, scenario.batch, step="ship", scope="items", codes=codes)
    assert shipped.status_code == 303, shipped.get_data(as_text=True)[:800]
    last = _events(database, scenario.batch)[-1]
    with database.read_sessions() as s:
        named = set(
            s.execute(
                select(Item.public_id)
                .join(EventEpc, EventEpc.item_id == Item.id)
                .where(EventEpc.event_seq == last.ledger_seq)
            ).scalars()
        )
    assert named == {items[0][0], items[1][0]}
    assert last.biz_step.endswith("shipping")  # type: ignore[union-attr]
    # Unknown codes: refused, nothing recorded, the form kept as typed.
    count = len(_events(database, scenario.batch))
    refused, _ = record(
        client, scenario.batch, step="sell", scope="items", codes=f"KHONGCO123\n{items[0][1]}"
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Không tìm thấy mã: KHONGCO123" in page
    assert "KHONGCO123" in page.split("<textarea", 1)[1]
    assert 'value="sell" selected' in page
    assert len(_events(database, scenario.batch)) == count
    empty, _ = record(client, scenario.batch, step="ship", scope="items", codes=" \n")
    assert empty.status_code == 422 and "Nhập ít nhất một mã" in empty.get_data(as_text=True)
    bad_time, _ = record(client, scenario.batch, step="ship", when="hôm qua")
    assert bad_time.status_code == 422
    # The log lists them in plain words.
    log = client.get(f"/console/batches/{scenario.batch}/events").get_data(as_text=True)
    assert "Vận chuyển" in log and "Lưu kho" in log and "Đồi chè Na Pá" in log
    assert "09:30 20/11/2026" in log  # in Vietnam time, as entered


def test_declare_an_event_wrong_and_recall_the_batch(
    client: FlaskClient, people: People, database: Database, scenario: Scenario
) -> None:
    owner_of(client, people, people.producer_a, "hung@example.vn")
    member = member_of(database, "hung@example.vn")
    log_page = f"/console/batches/{scenario.batch}/events"
    target = _events(database, scenario.batch)[-1]
    form = form_of(client, log_page)
    action = f"{log_page}/{target.public_id}/error"
    declared = client.post(action, data={**form, "reason": "did_not_occur"})
    assert declared.status_code == 303, declared.get_data(as_text=True)[:800]
    with database.read_sessions() as s:
        row = s.execute(select(Event).where(Event.public_id == target.public_id)).scalar_one()
    assert row.error_declared_seq is not None and row.error_reason.endswith("did_not_occur")  # type: ignore[union-attr]
    assert last_statement(database, "event.error_declared")["member"] == member
    page = client.get(log_page).get_data(as_text=True)
    assert "Đã báo ghi sai: Sự kiện không xảy ra" in page
    again = client.post(action, data={**form_of(client, log_page), "reason": "incorrect_data"})
    assert again.status_code == 422 and "đã được ghi" in again.get_data(as_text=True)

    recall_page = f"/console/batches/{scenario.batch}/recall"
    empty = client.post(recall_page, data={**form_of(client, recall_page), "severity": "critical"})
    assert empty.status_code == 422
    assert "Hãy nhập lý do" in empty.get_data(as_text=True)
    assert 'value="critical" selected' in empty.get_data(as_text=True)
    reason = "Phát hiện nấm mốc trong kho"
    done = client.post(
        recall_page,
        data={**form_of(client, recall_page), "severity": "high", "reason": reason},
    )
    assert done.status_code == 303
    with database.read_sessions() as s:
        recall = s.execute(select(Recall)).scalar_one()
    assert recall.severity == "high" and recall.reason == reason
    assert last_statement(database, "recall.issued")["member"] == member
    shown = client.get(log_page).get_data(as_text=True)
    assert f"Lô đang bị thu hồi (Cao): {reason}" in shown


def test_another_producers_batch_is_not_found(
    app: Flask, people: People, database: Database, scenario: Scenario
) -> None:
    owner_a = app.test_client()
    owner_of(owner_a, people, people.producer_a, "a@example.vn")
    owner_b = app.test_client()
    owner_of(owner_b, people, people.producer_b, "b@example.vn")
    event = _events(database, scenario.batch)[-1].public_id
    base = f"/console/batches/{scenario.batch}"
    pages = ["/items/new", "/events", "/events/new", "/recall"]
    for suffix in pages:
        assert owner_a.get(base + suffix).status_code == 200, suffix
        assert owner_b.get(base + suffix).status_code == 404, suffix
        assert owner_b.get(f"/console/batches/bat_nothing{suffix}").status_code == 404
    token = csrf_of(owner_b.get("/console/account"))
    data = {"csrf_token": token, "count": "1", "step": "ship", "reason": "did_not_occur"}
    for suffix in ["/items/new", "/events/new", "/recall", f"/events/{event}/error"]:
        assert owner_b.post(base + suffix, data=data).status_code == 404, suffix
    with database.read_sessions() as s:
        assert s.execute(select(Recall)).first() is None


def test_batch_pages_are_small_and_switch_to_english(
    client: FlaskClient, people: People, scenario: Scenario
) -> None:
    owner_of(client, people, people.producer_a, "hung@example.vn")
    assets = len(client.get("/static/console.css").get_data())
    assets += len(client.get("/static/console-passkeys.js").get_data())
    base = f"/console/batches/{scenario.batch}"
    for suffix in ("/items/new", "/events", "/events/new", "/recall"):
        response = client.get(base + suffix)
        assert len(response.get_data()) + assets <= 50 * 1024
        assert "http://" not in response.get_data(as_text=True)
    client.post(
        "/console/language",
        data={"csrf_token": csrf_of(client.get("/console/")), "lang": "en", "next": "/console/"},
    )
    english = client.get(base + "/events/new").get_data(as_text=True)
    assert "Record an event" in english and ">Shipping<" in english
    assert "Packing" in client.get(base + "/events").get_data(as_text=True)


def test_staff_record_events_and_issue_stamps_in_their_own_name(
    app: Flask, people: People, database: Database, scenario: Scenario
) -> None:
    owner = app.test_client()
    owner_of(owner, people, people.producer_a, "hung@example.vn")
    token = invitation_token(post_form(owner, "/console/staff", "/console/staff/invite", {}))
    staff = app.test_client()
    page = f"/console/invitation/{token}"
    joined = post_form(
        staff,
        page,
        page,
        {"name": "Lò Thị Mai", "phone": "0912 000 111", "password": STAFF_PASSWORD},
    )
    assert joined.status_code == 303
    done, _ = record(staff, scenario.batch, step="pack", scope="batch")
    assert done.status_code == 303
    assert last_statement(database, "event.recorded")["member"] == member_of(database, "0912000111")
    assert last_statement(database, "event.recorded")["member"] != member_of(
        database, "hung@example.vn"
    )
    stamps = f"/console/batches/{scenario.batch}/items/new"
    issued = staff.post(stamps, data={**form_of(staff, stamps), "count": "2"})
    assert issued.headers["Content-Type"] == "application/pdf"
    assert last_statement(database, "items.issued")["member"] == member_of(database, "0912000111")


def test_a_long_log_pages_newest_first_at_a_flat_weight(
    client: FlaskClient, people: People, database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    from datetime import timedelta

    from traceapp.events.building import EventInput, Quantity
    from traceapp.events.services import record_events

    owner_of(client, people, people.producer_a, "hung@example.vn")
    start = datetime(2026, 11, 20, 8, tzinfo=UTC)
    with database.write() as s:
        record_events(
            s,
            ledger,
            scenario.producer_key,
            [
                EventInput(
                    type="ObjectEvent",
                    event_time=start + timedelta(minutes=n),
                    biz_step="inspecting",
                    quantities=[Quantity(scenario.batch)],
                )
                for n in range(60)
            ],
        )
    everything = [e.public_id for e in _events(database, scenario.batch)]
    newest_first = sorted(
        _events(database, scenario.batch), key=lambda e: (e.event_time, e.id), reverse=True
    )
    seen: list[str] = []
    page: str | None = f"/console/batches/{scenario.batch}/events"
    weights = []
    while page is not None:
        response = client.get(page)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        weights.append(len(response.get_data()))
        ids = re.findall(r'<li id="event-([^"]+)"', body)
        assert 0 < len(ids) <= 25
        seen.extend(ids)
        older = re.search(r'<a rel="next" href="([^"]+)"', body)
        page = older.group(1).replace("&amp;", "&") if older else None
    assert seen == [e.public_id for e in newest_first]
    assert sorted(seen) == sorted(everything) and len(seen) >= 60
    assert max(weights) <= PAGE_BUDGET
