"""GS1 Digital Link URIs: formatting, percent-encoding, parsing and its errors."""

from __future__ import annotations

import re
import string
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traceapp.gs1.digital_link import (
    DigitalLink,
    format_uri,
    parse_path,
    parse_uri,
    query_link_type,
)
from traceapp.gs1.errors import (
    Gs1Error,
    InvalidDigitalLink,
    InvalidExpiry,
    InvalidGtin,
    InvalidLot,
    InvalidSerial,
)
from traceapp.gs1.identifiers import CSET82, with_check_digit

TODAY = date(2026, 11, 28)
BASE = "https://truyxuat.ocop.example.vn"
GTIN = "09521234543213"

# CSET 82 characters outside RFC 3986 "unreserved", with their escapes.
ESCAPES = {
    "!": "%21",
    '"': "%22",
    "%": "%25",
    "&": "%26",
    "'": "%27",
    "(": "%28",
    ")": "%29",
    "*": "%2A",
    "+": "%2B",
    ",": "%2C",
    "/": "%2F",
    ":": "%3A",
    ";": "%3B",
    "<": "%3C",
    "=": "%3D",
    ">": "%3E",
    "?": "%3F",
}


def test_item_uri_has_the_fixed_shape() -> None:
    link = DigitalLink(GTIN, lot="ABC/123", serial="7K3M9Q2XWZ4P", expiry=date(2027, 12, 31))
    assert format_uri(BASE, link, today=TODAY) == (
        f"{BASE}/01/{GTIN}/10/ABC%2F123/21/7K3M9Q2XWZ4P?17=271231"
    )
    assert link.kind == "item"


def test_batch_and_product_uris() -> None:
    assert format_uri(BASE, DigitalLink(GTIN, lot="L1")) == f"{BASE}/01/{GTIN}/10/L1"
    assert format_uri(BASE, DigitalLink(GTIN)) == f"{BASE}/01/{GTIN}"
    assert DigitalLink(GTIN, lot="L1").kind == "batch"
    assert DigitalLink(GTIN).kind == "product"


def test_base_url_forms() -> None:
    link = DigitalLink(GTIN)
    assert format_uri(BASE + "/", link) == f"{BASE}/01/{GTIN}"
    assert format_uri("http://127.0.0.1:8000/ocop", link) == f"http://127.0.0.1:8000/ocop/01/{GTIN}"
    for bad in ("ftp://example.vn", "example.vn", f"{BASE}?a=1", f"{BASE}#top", "https://"):
        with pytest.raises(ValueError):
            format_uri(bad, link)


def test_gtin_is_stored_and_written_as_14_digits() -> None:
    link = DigitalLink("4006381333931", serial="S1")
    assert link.gtin == "04006381333931"
    assert format_uri(BASE, link) == f"{BASE}/01/04006381333931/21/S1"


def test_construction_validates() -> None:
    with pytest.raises(InvalidGtin):
        DigitalLink("09521234543214")
    with pytest.raises(InvalidLot):
        DigitalLink(GTIN, lot="Lô 1")
    with pytest.raises(InvalidSerial):
        DigitalLink(GTIN, serial="S" * 21)


@pytest.mark.parametrize(("char", "escape"), ESCAPES.items())
def test_cset82_characters_that_need_escaping(char: str, escape: str) -> None:
    link = DigitalLink(GTIN, lot=f"A{char}B", serial=f"{char}")
    assert link.path == f"/01/{GTIN}/10/A{escape}B/21/{escape}"
    assert parse_path(link.path) == link


def test_unreserved_cset82_characters_stay_literal() -> None:
    literal = string.ascii_letters + string.digits + "-._"
    assert set(literal) | set(ESCAPES) == CSET82
    link = DigitalLink(GTIN, lot=literal[:20], serial="a-b.c_d")
    assert link.path == f"/01/{GTIN}/10/{literal[:20]}/21/a-b.c_d"


LOTS = st.text(alphabet=sorted(CSET82), min_size=1, max_size=20)
GTINS = st.text(alphabet=string.digits, min_size=13, max_size=13).map(with_check_digit)


@given(
    gtin=GTINS.filter(lambda gtin: gtin != "0" * 14),
    lot=st.none() | LOTS,
    serial=st.none() | LOTS,
    expiry=st.none() | st.dates(min_value=date(1977, 1, 1), max_value=date(2076, 12, 31)),
    base=st.sampled_from([BASE, "http://127.0.0.1:8000", "https://example.vn/truy-xuat/"]),
)
def test_round_trip(
    gtin: str, lot: str | None, serial: str | None, expiry: date | None, base: str
) -> None:
    link = DigitalLink(gtin, lot=lot, serial=serial, expiry=expiry)
    uri = format_uri(base, link, today=TODAY)
    assert parse_uri(uri, base_url=base, today=TODAY) == link
    path = uri.removeprefix(base.rstrip("/")).split("?")[0]
    # Only unreserved characters, separators and uppercase escapes reach the URI.
    assert re.fullmatch(r"(/([A-Za-z0-9._-]|%[0-9A-F]{2})+)+", path)


def test_parse_uri_checks_the_site() -> None:
    uri = f"{BASE}/01/{GTIN}/10/L1"
    assert parse_uri(uri) == DigitalLink(GTIN, lot="L1")
    shouted = uri.replace("https://truyxuat.ocop", "HTTPS://TRUYXUAT.OCOP")
    assert parse_uri(shouted, base_url=BASE).lot == "L1"
    prefixed = f"http://127.0.0.1:8000/ocop/01/{GTIN}?17=271231"
    assert parse_uri(prefixed, base_url="http://127.0.0.1:8000/ocop/", today=TODAY).expiry == date(
        2027, 12, 31
    )
    for foreign in (f"https://evil.example/01/{GTIN}", f"http://127.0.0.1:8000/other/01/{GTIN}"):
        with pytest.raises(InvalidDigitalLink) as caught:
            parse_uri(foreign, base_url="http://127.0.0.1:8000/ocop")
        assert caught.value.code == "foreign"


def test_parse_levels() -> None:
    assert parse_path(f"/01/{GTIN}") == DigitalLink(GTIN)
    assert parse_path(f"/01/{GTIN}/10/L1") == DigitalLink(GTIN, lot="L1")
    assert parse_path(f"/01/{GTIN}/10/L1/21/S1") == DigitalLink(GTIN, lot="L1", serial="S1")
    serial_only = parse_path(f"/01/{GTIN}/21/S1")
    assert serial_only == DigitalLink(GTIN, serial="S1")
    assert serial_only.lot is None and serial_only.kind == "item"


@pytest.mark.parametrize("short", ["96385074", "036000291452", "4006381333931"])
def test_short_gtins_are_zero_padded(short: str) -> None:
    assert parse_path(f"/01/{short}/10/L1").gtin == short.zfill(14)


def test_lenient_but_unambiguous_path_forms() -> None:
    assert parse_path(f"/01/{GTIN}/10/a%2fb").lot == "a/b"  # lowercase hex
    assert parse_path(f"/01/{GTIN}/10/a!b*(c)").lot == "a!b*(c)"  # literal sub-delims
    assert parse_path(f"/01/{GTIN}/10/a+b").lot == "a+b"  # '+' is not a space in a path
    assert parse_path(f"/01/{GTIN}/10/L1/") == DigitalLink(GTIN, lot="L1")


def test_query_expiry_and_other_parameters() -> None:
    link = parse_path(
        f"/01/{GTIN}/10/L1", "17=271231&linkType=gs1%3Apip&utm_source=qr&x", today=TODAY
    )
    assert link == DigitalLink(GTIN, lot="L1", expiry=date(2027, 12, 31))
    assert parse_path(f"/01/{GTIN}", "17=270200", today=TODAY).expiry == date(2027, 2, 28)
    assert parse_path(f"/01/{GTIN}", "3103=000195&15=271231").expiry is None


def test_link_type() -> None:
    assert query_link_type("17=271231&linkType=gs1%3Apip") == "gs1:pip"
    assert query_link_type("linkType=all") == "all"
    assert query_link_type("17=271231") is None
    assert query_link_type("") is None


@pytest.mark.parametrize(
    ("path", "query", "error", "field", "code"),
    [
        ("01/09521234543213", "", InvalidDigitalLink, "path", "relative_path"),
        ("/", "", InvalidDigitalLink, "path", "primary_key"),
        ("/gtin/09521234543213", "", InvalidDigitalLink, "path", "primary_key"),
        ("/00/106141411234567897", "", InvalidDigitalLink, "path", "primary_key"),
        ("/01", "", InvalidGtin, "gtin", "missing"),
        ("/01/", "", InvalidGtin, "gtin", "missing"),
        ("/01/09521234543214", "", InvalidGtin, "gtin", "check_digit"),
        ("/01/0952123454321", "", InvalidGtin, "gtin", "check_digit"),
        ("/01/952123454321", "", InvalidGtin, "gtin", "check_digit"),
        ("/01/1234567", "", InvalidGtin, "gtin", "length"),
        ("/01/0952123454321%2B", "", InvalidGtin, "gtin", "not_digits"),
        ("/01/09521234543213/21/S1/10/L1", "", InvalidDigitalLink, "path", "order"),
        ("/01/09521234543213/10/L1/10/L2", "", InvalidDigitalLink, "path", "duplicate"),
        ("/01/09521234543213/21/S1/21/S2", "", InvalidDigitalLink, "path", "duplicate"),
        ("/01/09521234543213/22/V1", "", InvalidDigitalLink, "path", "unknown_qualifier"),
        ("/01/09521234543213/lot/L1", "", InvalidDigitalLink, "path", "unknown_qualifier"),
        ("/01/09521234543213/10/L1/17/271231", "", InvalidDigitalLink, "path", "unknown_qualifier"),
        ("/01/09521234543213//10/L1", "", InvalidDigitalLink, "path", "empty_segment"),
        ("/01/09521234543213/10", "", InvalidLot, "lot", "missing"),
        ("/01/09521234543213/10/L1/21", "", InvalidSerial, "serial", "missing"),
        ("/01/09521234543213/10/" + "A" * 21, "", InvalidLot, "lot", "too_long"),
        ("/01/09521234543213/10/L%C3%B4", "", InvalidLot, "lot", "charset"),
        ("/01/09521234543213/10/Lô", "", InvalidLot, "lot", "charset"),
        ("/01/09521234543213/10/L%201", "", InvalidLot, "lot", "charset"),
        ("/01/09521234543213/10/L%231", "", InvalidLot, "lot", "charset"),
        ("/01/09521234543213/10/L1/21/S%7E", "", InvalidSerial, "serial", "charset"),
        ("/01/09521234543213/10/L%G1", "", InvalidDigitalLink, "lot", "percent_encoding"),
        ("/01/09521234543213/10/L%2", "", InvalidDigitalLink, "lot", "percent_encoding"),
        ("/01/09521234543213/21/S%FF", "", InvalidDigitalLink, "serial", "percent_encoding"),
        ("/01/09521234543213", "17=271331", InvalidExpiry, "expiry", "month"),
        ("/01/09521234543213", "17=2712", InvalidExpiry, "expiry", "format"),
        ("/01/09521234543213", "17=271231&17=280101", InvalidExpiry, "expiry", "duplicate"),
        ("/01/09521234543213", "10=L1", InvalidDigitalLink, "query", "misplaced"),
        ("/01/09521234543213/10/L1", "21=S1", InvalidDigitalLink, "query", "misplaced"),
    ],
)
def test_invalid_links(path: str, query: str, error: type[Gs1Error], field: str, code: str) -> None:
    with pytest.raises(error) as caught:
        parse_path(path, query, today=TODAY)
    assert (caught.value.field, caught.value.code) == (field, code)
    assert caught.value.message and caught.value.message[0].isupper()


def test_messages_do_not_echo_arbitrary_input() -> None:
    with pytest.raises(InvalidDigitalLink) as caught:
        parse_path(f"/01/{GTIN}/<script>alert(1)</script>/x")
    assert "script" not in caught.value.message
    assert "this part" in caught.value.message


def test_messages_are_for_people() -> None:
    with pytest.raises(InvalidDigitalLink) as order:
        parse_path(f"/01/{GTIN}/21/S1/10/L1")
    assert order.value.message == "The lot (/10/) must come before the serial number (/21/)."
    with pytest.raises(InvalidGtin) as check_digit:
        parse_path("/01/09521234543214/10/L1/21/S1")
    assert "09521234543214" in check_digit.value.message
    assert "should be 3" in check_digit.value.message


def test_element_string_names_what_the_link_names() -> None:
    assert DigitalLink("09521234543213").element_string == "(01)09521234543213"
    batch = DigitalLink("09521234543213", lot="L2026-11A")
    assert batch.element_string == "(01)09521234543213(10)L2026-11A"
    item = DigitalLink("9521234543213", lot="L1", serial="ABC")
    assert item.element_string == "(01)09521234543213(10)L1(21)ABC"
    assert DigitalLink("09521234543213", serial="ABC").element_string == "(01)09521234543213(21)ABC"
