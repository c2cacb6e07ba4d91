"""The shopper's pages (issue 15): verdict, formats, texts in one language, size, landing page.

Every state of the item page, its error pages, the landing page and the report form is
rendered in Vietnamese and English; a Vietnamese page has no English word and an English page
no Vietnamese letter, outside proper names and product data (marked ``translate="no"`` or
``lang="vi"`` in the templates, or listed in ``DATA`` below).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from support.scenario import Scenario

from traceapp.accounts.office import resume_producer, suspend_producer
from traceapp.batches.models import Item
from traceapp.batches.services import BatchInput, create_batch, issue_items
from traceapp.db.sessions import get_database
from traceapp.i18n import VIETNAM
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.service import WriteRequest
from traceapp.products.services import ProductInput, register_product
from traceapp.recalls.services import RecallInput, issue_recall
from traceapp.verification.ratelimit import Limit
from traceapp.verification.texts import TEXTS
from traceapp.web import resolver

GTIN = "08938505974019"
LOT = "L2026-11A"
ORIGIN = {"Origin": "https://truyxuat.ocop.example.vn"}
HTML = {"Accept": "text/html"}
UNRATED_GTIN = "08938505974026"
UNKNOWN_GTIN = "08938505974033"
# Product data inside sentences (the recall's reason) and words both languages write alike.
DATA = ("Phát hiện nấm mốc", "Bánh chè lam")
SHARED_WORDS = {"ocop", "pin", "json", "qr", "utc", "gtin", "email", "sao", "no", "ok"}


class _Visible(HTMLParser):
    """The text a person sees (and hears: alt, aria-label), minus data marked as such."""

    VOID = frozenset({"meta", "link", "br", "img", "input", "hr", "source", "wbr"})

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []
        self.html_lang: str | None = None

    def _skipping(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.html_lang = values.get("lang")
        other_lang = tag != "html" and values.get("lang") not in (None, self.lang)
        skip = tag in ("style", "script", "title") or values.get("translate") == "no" or other_lang
        if tag in self.VOID:
            if not (skip or self._skipping()):
                self.parts.extend(v or "" for k, v in attrs if k in ("alt", "aria-label"))
            return
        self.stack.append((tag, skip))
        if not self._skipping():
            self.parts.extend(v or "" for k, v in attrs if k in ("alt", "aria-label", "title"))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.parts.append(data)


def visible(html: str, lang: str) -> str:
    parser = _Visible(lang)
    parser.feed(html)
    assert parser.html_lang == lang
    text = " ".join(parser.parts)
    for value in DATA:
        text = text.replace(value, " ")
    # Links, and codes with digits (lots, serials, GS1 element strings) inside sentences.
    return re.sub(r"https?://\S+|/01/\S+|\S*\d\S*", " ", text)


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[^\W\d_]+", text)}


def _english_only_words() -> set[str]:
    """Words of the English texts that no Vietnamese text uses."""
    vi: set[str] = set()
    en: set[str] = set()
    for pair in TEXTS.entries.values():
        for target, entry in ((vi, pair[0]), (en, pair[1])):
            for template in [entry] if isinstance(entry, str) else list(entry.values()):
                target.update(_words(re.sub(r"\{[^}]*\}", " ", template)))
    return en - vi - SHARED_WORDS


ENGLISH = _english_only_words()
VIETNAMESE_LETTER = re.compile(r"[đĐ]|[^\x00-\x7f—–·…★☆✓✗“”’‘→←]")


def assert_one_language(html: str, lang: str, state: str) -> None:
    text = visible(html, lang)
    assert unicodedata.is_normalized("NFC", html)
    if lang == "vi":
        found = sorted(_words(text) & ENGLISH)
        assert not found, f"{state}: English words on the Vietnamese page: {found}"
    else:
        found_vi = sorted(set(VIETNAMESE_LETTER.findall(text)))
        assert not found_vi, f"{state}: Vietnamese on the English page: {found_vi} in {text!r}"


@pytest.fixture
def fixed_day(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    """Pretend the pages are rendered on another day (certificate and expiry states)."""

    def set_day(day: date) -> None:
        now = datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)
        monkeypatch.setattr(resolver, "now_and_today", lambda: (now, day))

    return set_day


def item_path(serial: str, gtin: str = GTIN, lot: str = LOT) -> str:
    return f"/01/{gtin}/10/{quote(lot, safe='')}/21/{quote(serial, safe='')}"


@pytest.fixture
def serials(app: Flask, scenario: Scenario) -> list[str]:
    with get_database(app).read_sessions() as session:
        rows = dict(
            session.execute(
                select(Item.public_id, Item.serial).where(Item.public_id.in_(scenario.items))
            ).all()
        )
    return [rows[i] for i in scenario.items]


def unrated_item(app: Flask, scenario: Scenario) -> str:
    """An item of a product with no OCOP certificate, in a batch of 240 packets."""
    database, ledger = get_database(app), get_ledger(app)
    with database.write() as s:
        product = register_product(
            s,
            ledger,
            scenario.producer_key,
            ProductInput(scenario.producer, UNRATED_GTIN, "Bánh chè lam", "food"),
        ).public_ids[0]
        batch = create_batch(
            s,
            ledger,
            scenario.producer_key,
            BatchInput(product, "BL-01", date(2026, 11, 1), date(2027, 5, 1), "240", "gói"),
        ).public_ids[0]
        issued = issue_items(s, ledger, scenario.producer_key, batch, 1)
        item = issued.receipt.public_ids[0]
        return s.execute(select(Item.serial).where(Item.public_id == item)).scalar_one()


def recall(app: Flask, scenario: Scenario) -> None:
    with get_database(app).write() as session:
        issue_recall(
            session,
            get_ledger(app),
            scenario.producer_key,
            RecallInput(
                [scenario.batch], "Phát hiện nấm mốc", "high", datetime(2026, 11, 20, tzinfo=UTC)
            ),
        )


def copy_scans(client: FlaskClient, path: str) -> None:
    """Checks from six networks within seconds: many checks and a burst."""
    for net in range(6):
        for _ in range(4):
            client.get(path, environ_base={"REMOTE_ADDR": f"203.0.{net}.9"})


def get(client: FlaskClient, path: str, lang: str, **kwargs: object) -> str:
    sep = "&" if "?" in path else "?"
    response = client.get(f"{path}{sep}lang={lang}", headers=HTML, **kwargs)  # type: ignore[arg-type]
    return response.get_data(as_text=True)


def verdict_of(html: str) -> str:
    match = re.search(r'id="verdict">\s*<h1>([^<]*)</h1>', html)
    assert match, html[:2000]
    return match.group(1)


# --- every state, both languages ---------------------------------------------------------------


def _states(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str], fixed: Callable
) -> Iterator[tuple[str, Callable[[str], str]]]:
    yield "genuine", lambda lang: get(client, item_path(serials[0]), lang)
    unrated = unrated_item(app, scenario)
    yield "unrated", lambda lang: get(client, item_path(unrated, UNRATED_GTIN, "BL-01"), lang)
    yield "landing", lambda lang: get(client, "/", lang)
    yield "landing error", lambda lang: get(client, "/?lot=NOPE&serial=NOPE", lang)
    yield "report form", lambda lang: get(client, "/report?code=" + item_path(serials[0]), lang)
    yield (
        "report errors",
        lambda lang: client.post(
            f"/report?lang={lang}", data={"code": "x", "reason": "", "details": "y"}, headers=ORIGIN
        ).get_data(as_text=True),
    )
    yield "report thanks", lambda lang: get(client, "/report/thanks?code=/01/" + GTIN, lang)
    yield "404", lambda lang: get(client, item_path("NOPE", UNKNOWN_GTIN), lang)
    yield "unregistered serial", lambda lang: get(client, item_path("NOPE"), lang)
    yield "400", lambda lang: get(client, "/01/123", lang)
    pin = scenario.pins[serials[1]]
    client.post(item_path(serials[1]), data={"pin": pin}, headers=ORIGIN)
    yield "claimed, buyer", lambda lang: get(client, item_path(serials[1]), lang)
    yield (
        "claimed, other",
        lambda lang: get(
            client, item_path(serials[1]), lang, environ_base={"REMOTE_ADDR": "198.51.100.3"}
        ),
    )
    copy_scans(client, item_path(serials[2]))
    yield "suspected copy", lambda lang: get(client, item_path(serials[2]), lang)
    fixed(date(2028, 1, 1))
    yield "certificate ending", lambda lang: get(client, item_path(serials[3]), lang)
    fixed(date(2028, 4, 1))
    yield "expired certificate", lambda lang: get(client, item_path(serials[3]), lang)
    recall(app, scenario)
    yield "recalled", lambda lang: get(client, item_path(serials[3]), lang)
    app.config["RATE_LIMITS"] = {"page": Limit(0, 60.0)}
    yield "429", lambda lang: get(client, item_path(serials[0]), lang)


def test_every_state_speaks_one_language(
    app: Flask,
    client: FlaskClient,
    scenario: Scenario,
    serials: list[str],
    fixed_day: Callable[[date], None],
) -> None:
    seen = []
    for state, render in _states(app, client, scenario, serials, fixed_day):
        for lang in ("vi", "en"):
            assert_one_language(render(lang), lang, state)
        seen.append(state)
    assert len(seen) == 17


def test_the_check_finds_a_stray_word() -> None:
    page = '<html lang="vi"><body><p>Mã này đã được kiểm tra từ 1 places</p></body></html>'
    with pytest.raises(AssertionError, match="places"):
        assert_one_language(page, "vi", "sample")
    english = '<html lang="en"><body><p>Valid until 06/03/2027 (còn 45 ngày)</p></body></html>'
    with pytest.raises(AssertionError, match="ò"):
        assert_one_language(english, "en", "sample")
    data = '<html lang="en"><body><p translate="no">Trà Shan tuyết</p></body></html>'
    assert_one_language(data, "en", "sample")


# --- verdict -----------------------------------------------------------------------------------


def test_verdict_order(
    app: Flask,
    client: FlaskClient,
    scenario: Scenario,
    serials: list[str],
    fixed_day: Callable[[date], None],
) -> None:
    genuine = get(client, item_path(serials[0]), "vi")
    assert verdict_of(genuine) == "Sản phẩm thật, có trong hệ thống OCOP"
    assert 'class="proof-line ok"' in genuine  # the cryptographic check: a quieter line
    assert re.search(r"<details>\s*<summary>Bằng chứng trên sổ cái: \d+ mục đều hợp lệ", genuine)
    unrated = unrated_item(app, scenario)
    page = get(client, item_path(unrated, UNRATED_GTIN, "BL-01"), "vi")
    assert verdict_of(page) == "Chưa có xếp hạng OCOP"
    copy_scans(client, item_path(serials[2]))
    copied = get(client, item_path(serials[2]), "en")
    assert verdict_of(copied) == "This code may have been copied"
    fixed_day(date(2028, 4, 1))
    expired = get(client, item_path(serials[3]), "vi")
    assert verdict_of(expired) == "Chứng nhận OCOP đã hết hiệu lực"
    assert "Đã xác minh bằng chứng mật mã" in expired  # still, but not as the headline
    recall(app, scenario)
    for serial in (serials[3], serials[2]):  # a recall outranks a copy and an expiry
        page = get(client, item_path(serial), "vi")
        assert verdict_of(page) == "Sản phẩm bị thu hồi: không sử dụng"
    recalled = get(client, item_path(serials[3]), "vi")
    assert "Nghi ngờ mã bị sao chép" not in recalled  # a recall is not a copy
    assert "THU HỒI (mức cao) từ ngày 20/11/2026: Phát hiện nấm mốc." in recalled
    english = get(client, item_path(serials[3]), "en")
    assert "RECALLED (high) since 20 Nov 2026" in english


def test_a_suspended_producer_is_said_until_resumed(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str], admin: str
) -> None:
    """The office's suspension of the producer is on its items' pages (the headline below an
    OCOP rating problem, the date in Vietnam and the office's reason, proven like every shown
    entry), in the JSON's warnings, and gone once the producer is resumed."""
    database, ledger = get_database(app), get_ledger(app)
    with database.write() as session:
        suspend_producer(
            session, ledger, WriteRequest(admin), scenario.producer, "Kiểm tra chất lượng"
        )
    today = datetime.now(UTC).astimezone(VIETNAM).date()
    page = get(client, item_path(serials[0]), "vi")
    assert verdict_of(page) == "Chủ thể sản xuất đang bị tạm dừng"
    assert (
        "Văn phòng chương trình OCOP đã tạm dừng chủ thể sản xuất này từ ngày "
        f"{today:%d/%m/%Y}: Kiểm tra chất lượng." in page
    )
    assert "Tạm dừng chủ thể" in page  # its entry among the page's proofs
    assert "The OCOP programme office suspended this producer on" in get(
        client, item_path(serials[0]), "en"
    )
    answer = client.get(item_path(serials[0]), headers={"Accept": "application/json"}).get_json()
    (warning,) = [w for w in answer["warnings"] if w["code"] == "producer_suspended"]
    assert warning["severity"] == "warning"
    assert all(p["verified"] for p in answer["proofs"]["entries"])
    with database.write() as session:
        resume_producer(session, ledger, WriteRequest(admin), scenario.producer, None)
    page = get(client, item_path(serials[0]), "vi")
    assert verdict_of(page) == "Sản phẩm thật, có trong hệ thống OCOP"
    assert "tạm dừng" not in page


# --- numbers, dates, plurals -------------------------------------------------------------------


def test_numbers_dates_and_plurals(
    app: Flask,
    client: FlaskClient,
    scenario: Scenario,
    serials: list[str],
    fixed_day: Callable[[date], None],
) -> None:
    unrated = unrated_item(app, scenario)
    page = get(client, item_path(unrated, UNRATED_GTIN, "BL-01"), "vi")
    assert '240 <span translate="no">gói</span>' in page and "E+" not in page
    assert "01/05/2027" in page
    tea = get(client, item_path(serials[0]), "vi")
    assert '120,5 <span translate="no">kg</span>' in tea
    assert "kiểm tra 1 lần từ 1 nơi," in tea and "khác nhau" not in tea
    english = get(client, item_path(serials[0]), "en")
    assert "120.5" in english and "checked 2 times from 1 place, first on" in english
    assert re.search(r"\d{1,2} [A-Z][a-z]{2} 2026, \d\d:\d\d", english)  # journey times
    assert not re.search(r"\d{4}-\d\d-\d\d", visible(tea, "vi"))  # no ISO date shown


def test_a_certificate_ending_soon_says_when(
    client: FlaskClient,
    scenario: Scenario,
    serials: list[str],
    fixed_day: Callable[[date], None],
) -> None:
    fixed_day(date(2028, 1, 30))  # the certificate is valid until 15/03/2028
    vi = get(client, item_path(serials[0]), "vi")
    assert "Còn hiệu lực đến 15/03/2028 (còn 45 ngày)" in vi
    en = get(client, item_path(serials[0]), "en")
    assert "Valid until 15 Mar 2028 (45 days left)" in en
    fixed_day(date(2027, 3, 15))
    far = get(client, item_path(serials[0]), "vi")
    assert "Còn hiệu lực đến" not in far and "Còn hiệu lực" in far


def test_404_says_its_sentence_once_and_offers_a_report(
    client: FlaskClient, scenario: Scenario
) -> None:
    page = get(client, item_path("NOPE", UNKNOWN_GTIN), "vi")
    assert page.count("Sản phẩm có thể là hàng giả") == 1
    assert "Chi tiết" not in page
    assert "/report?code=https%3A%2F%2Ftruyxuat.ocop.example.vn%2F01%2F" in page


def test_an_item_page_is_light(client: FlaskClient, scenario: Scenario, serials: list[str]) -> None:
    """DESIGN §13: at most 40 KB of HTML and CSS before images."""
    copy_scans(client, item_path(serials[2]))  # the longest state: warnings and signals
    for lang in ("vi", "en"):
        html = client.get(item_path(serials[2]) + f"?lang={lang}", headers=HTML).data
        css = client.get("/static/verify.css").data
        assert len(html) + len(css) <= 40 * 1024, (len(html), len(css))
