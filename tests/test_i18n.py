"""Numbers, dates, plurals and language choice (traceapp/i18n.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from traceapp.i18n import (
    VIETNAM,
    Texts,
    format_date,
    format_datetime,
    format_number,
    negotiate,
    plural_category,
    vietnam_today,
)


@pytest.mark.parametrize(
    ("value", "lang", "shown"),
    [
        (Decimal("2.4E+2"), "vi", "240"),
        (Decimal("1E+2"), "en", "100"),
        (Decimal("1234.5"), "vi", "1.234,5"),
        (Decimal("1234.5"), "en", "1,234.5"),
        (Decimal("0.125"), "vi", "0,125"),
        (1_000_000, "vi", "1.000.000"),
    ],
)
def test_numbers_are_written_as_each_language_writes_them(
    value: Decimal | int, lang: str, shown: str
) -> None:
    assert format_number(value, lang) == shown


def test_vietnamese_dates_are_day_first_with_two_digits() -> None:
    assert format_date(date(2026, 3, 6), "vi") == "06/03/2026"
    assert format_date(date(2026, 3, 6), "en") == "6 Mar 2026"
    moment = datetime(2026, 3, 6, 14, 5, tzinfo=UTC)
    assert format_datetime(moment, "vi") == "14:05 06/03/2026"


def test_plural_forms_follow_cldr() -> None:
    texts = Texts(
        {
            "places": (
                {"other": "từ {count} nơi"},
                {"one": "{count} place", "other": "{count} places"},
            )
        }
    )
    assert texts("en", "places", count=1) == "1 place"
    assert texts("en", "places", count=2) == "2 places"
    assert texts("en", "places", count=1200) == "1,200 places"
    assert texts("vi", "places", count=1) == "từ 1 nơi"
    assert plural_category(2, "en") == "other"  # a form a catalog lacks falls back to "other"
    with pytest.raises(TypeError):
        texts("en", "places")


def test_texts_are_nfc_and_in_every_language() -> None:
    decomposed = "Tra\u0300 đa\u0309ng sâm"
    assert Texts({"name": (decomposed, "Tea")})("vi", "name") == "Trà đảng sâm"
    with pytest.raises(ValueError, match="every language"):
        Texts({"half": ("chỉ tiếng Việt",)})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="twice"):
        Texts({"a": ("a", "a")}).merged(Texts({"a": ("b", "b")}))


@pytest.mark.parametrize(
    ("header", "preferred", "chosen"),
    [
        (None, None, "vi"),
        ("fr-FR,fr;q=0.9", None, "vi"),
        ("en-GB,en;q=0.9,vi;q=0.8", None, "en"),
        ("vi;q=0.5, en;q=0.9", None, "en"),
        ("en;q=0", None, "vi"),
        ("en", "vi", "vi"),
        ("vi", "en", "en"),
    ],
)
def test_the_person_s_setting_comes_before_accept_language(
    header: str | None, preferred: str | None, chosen: str
) -> None:
    assert negotiate(header, preferred) == chosen


def test_the_day_is_vietnams_day_from_seven_in_the_evening_utc() -> None:
    """Validity, expiry and the office's figures are judged on Vietnam's calendar day, which
    begins at 17:00 UTC: a certificate valid until 6 December has ended at 00:30 on the 7th in
    Hà Nội, while it is still the 6th in UTC."""
    assert vietnam_today(datetime(2026, 12, 6, 16, 59, tzinfo=UTC)) == date(2026, 12, 6)
    assert vietnam_today(datetime(2026, 12, 6, 17, 30, tzinfo=UTC)) == date(2026, 12, 7)
    assert vietnam_today(datetime(2026, 12, 7, 0, 30, tzinfo=VIETNAM)) == date(2026, 12, 7)
