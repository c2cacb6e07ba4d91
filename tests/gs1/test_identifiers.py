"""GTIN/GLN check digits, CSET 82 lots and serials, random serials, AI 17 dates."""

from __future__ import annotations

import string
from collections import Counter
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traceapp.gs1.errors import (
    Gs1Error,
    InvalidExpiry,
    InvalidGln,
    InvalidGtin,
    InvalidLot,
    InvalidSerial,
)
from traceapp.gs1.identifiers import (
    CSET82,
    MIN_SERIAL_BITS,
    SERIAL_ALPHABET,
    SERIAL_LENGTH,
    format_expiry,
    gtin_check_digit,
    is_cset82,
    is_valid_gln,
    is_valid_gtin,
    new_serial,
    normalise_gln,
    normalise_gtin,
    parse_expiry,
    serial_entropy_bits,
    validate_lot,
    validate_serial,
    with_check_digit,
)

TODAY = date(2026, 11, 28)

# Published examples: GS1's own example GTINs and well-known EAN-8/UPC-A/EAN-13 codes.
KNOWN_GTINS = {
    "96385074": "00000096385074",  # EAN-8
    "036000291452": "00036000291452",  # UPC-A
    "4006381333931": "04006381333931",  # EAN-13
    "09521234543213": "09521234543213",  # GS1 Digital Link examples
    "09506000134352": "09506000134352",
}


@pytest.mark.parametrize(("gtin", "gtin14"), KNOWN_GTINS.items())
def test_known_gtins_normalise_to_14_digits(gtin: str, gtin14: str) -> None:
    assert normalise_gtin(gtin) == gtin14
    assert is_valid_gtin(gtin)
    assert gtin_check_digit(gtin[:-1]) == int(gtin[-1])


def test_with_check_digit_builds_a_demo_gtin14() -> None:
    assert with_check_digit("0952123454321") == "09521234543213"
    assert with_check_digit("400638133393") == "4006381333931"


@given(st.text(alphabet=string.digits, min_size=13, max_size=13))
def test_every_generated_gtin_is_valid(body: str) -> None:
    gtin = with_check_digit(body)
    if gtin == "0" * 14:
        return
    assert normalise_gtin(gtin) == gtin


@given(
    st.text(alphabet=string.digits, min_size=13, max_size=13),
    st.integers(min_value=0, max_value=13),
    st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_error_is_detected(body: str, position: int, shift: int) -> None:
    gtin = with_check_digit(body)
    typo = gtin[:position] + str((int(gtin[position]) + shift) % 10) + gtin[position + 1 :]
    with pytest.raises(InvalidGtin) as caught:
        normalise_gtin(typo)
    assert caught.value.code == "check_digit"


def test_wrong_check_digit_names_the_expected_digit() -> None:
    with pytest.raises(InvalidGtin) as caught:
        normalise_gtin("09521234543214")
    error = caught.value
    assert (error.field, error.code) == ("gtin", "check_digit")
    assert "should be 3" in error.message
    assert isinstance(error, Gs1Error)
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "not_digits"),
        ("0952123454321X", "not_digits"),
        (" 09521234543213", "not_digits"),
        ("09521234543213\n", "not_digits"),
        ("٠٩٥٢١٢٣٤٥٤٣٢١٣", "not_digits"),  # Arabic-Indic digits are digits to str.isdigit
        ("０９５２１２３４５４３２１３", "not_digits"),  # full-width digits
        ("1234567", "length"),
        ("123456789", "length"),
        ("12345678901", "length"),
        ("095212345432130", "length"),
        ("00000000000000", "zero"),
        ("00000000", "zero"),
    ],
)
def test_malformed_gtins_are_rejected(value: str, code: str) -> None:
    with pytest.raises(InvalidGtin) as caught:
        normalise_gtin(value)
    assert caught.value.code == code
    assert caught.value.field == "gtin"
    assert not is_valid_gtin(value)


def test_gln_check() -> None:
    gln = with_check_digit("893123400001")
    assert normalise_gln(gln) == gln
    assert is_valid_gln(gln)
    wrong = gln[:-1] + str((int(gln[-1]) + 1) % 10)
    with pytest.raises(InvalidGln) as caught:
        normalise_gln(wrong)
    assert (caught.value.field, caught.value.code) == ("gln", "check_digit")
    for malformed, code in (("89312340000", "length"), ("893123400001A", "not_digits")):
        with pytest.raises(InvalidGln) as caught:
            normalise_gln(malformed)
        assert caught.value.code == code
    assert not is_valid_gln(gln + "0")


def test_cset82_is_figure_7_11_1() -> None:
    assert len(CSET82) == 82
    assert set(string.ascii_letters + string.digits) < CSET82
    assert set(CSET82) - set(string.ascii_letters + string.digits) == set("!\"%&'()*+,-./:;<=>?_")


@pytest.mark.parametrize("char", sorted(set(string.printable) - CSET82))
def test_ascii_outside_cset82_is_refused_in_lots(char: str) -> None:
    with pytest.raises(InvalidLot) as caught:
        validate_lot(f"LOT{char}1")
    assert (caught.value.field, caught.value.code) == ("lot", "charset")
    assert "position 4" in caught.value.message


@pytest.mark.parametrize("char", sorted(CSET82))
def test_every_cset82_character_is_accepted(char: str) -> None:
    assert validate_lot(char) == char
    assert validate_serial(char * 20) == char * 20


def test_lot_length_limits() -> None:
    assert validate_lot("A" * 20) == "A" * 20
    with pytest.raises(InvalidLot) as caught:
        validate_lot("A" * 21)
    assert caught.value.code == "too_long"
    assert "21" in caught.value.message and "20" in caught.value.message
    with pytest.raises(InvalidLot) as caught:
        validate_lot("")
    assert caught.value.code == "empty"


def test_non_ascii_lot_explains_diacritics() -> None:
    with pytest.raises(InvalidLot) as caught:
        validate_lot("Lô-2026")
    assert caught.value.code == "charset"
    assert "'ô' at position 2" in caught.value.message
    assert "diacritics" in caught.value.message
    assert not is_cset82("Lô")


def test_invisible_characters_are_named_not_printed() -> None:
    with pytest.raises(InvalidSerial) as caught:
        validate_serial("AB\u200bC")
    assert "U+200B" in caught.value.message
    with pytest.raises(InvalidSerial) as caught:
        validate_serial("AB C")
    assert "a space" in caught.value.message
    assert caught.value.field == "serial"


def test_serial_length_limit() -> None:
    with pytest.raises(InvalidSerial) as caught:
        validate_serial("S" * 21)
    assert caught.value.code == "too_long"


def test_new_serial_has_at_least_40_bits() -> None:
    assert len(SERIAL_ALPHABET) == len(set(SERIAL_ALPHABET)) == 32
    assert len(SERIAL_ALPHABET) ** SERIAL_LENGTH >= 2**MIN_SERIAL_BITS
    assert serial_entropy_bits() == 60
    serial = new_serial()
    assert len(serial) == SERIAL_LENGTH
    assert validate_serial(serial) == serial
    # URI-unreserved, so a serial never needs percent-encoding in a Digital Link.
    assert set(serial) <= set(string.ascii_uppercase + string.digits)
    assert not set("ILOU") & set(SERIAL_ALPHABET)


def test_new_serial_lengths() -> None:
    assert len(new_serial(8)) == 8
    assert len(new_serial(20)) == 20
    with pytest.raises(ValueError):
        new_serial(7)  # 35 bits
    with pytest.raises(ValueError):
        new_serial(21)


def test_new_serials_are_unique_and_use_the_whole_alphabet() -> None:
    serials = [new_serial() for _ in range(4000)]
    assert len(set(serials)) == len(serials)
    for position in range(SERIAL_LENGTH):
        counts = Counter(serial[position] for serial in serials)
        # 125 expected per symbol; a symbol never drawn would mean lost entropy.
        assert set(counts) == set(SERIAL_ALPHABET)
        assert min(counts.values()) > 60 and max(counts.values()) < 200


@pytest.mark.parametrize(
    ("yymmdd", "expected"),
    [
        ("271231", date(2027, 12, 31)),
        ("240200", date(2024, 2, 29)),  # DD = 00: last day, leap year
        ("250200", date(2025, 2, 28)),
        ("261100", date(2026, 11, 30)),
        ("760101", date(2076, 1, 1)),  # 50 years ahead: this century
        ("770101", date(1977, 1, 1)),  # 51 ahead would be too far: previous century
        ("000101", date(2000, 1, 1)),
    ],
)
def test_parse_expiry(yymmdd: str, expected: date) -> None:
    assert parse_expiry(yymmdd, today=TODAY) == expected


@pytest.mark.parametrize(
    ("yymmdd", "expected"),
    [("090101", date(2109, 1, 1)), ("100101", date(2110, 1, 1)), ("110101", date(2011, 1, 1))],
)
def test_century_rolls_forward_late_in_a_century(yymmdd: str, expected: date) -> None:
    assert parse_expiry(yymmdd, today=date(2060, 6, 1)) == expected


@pytest.mark.parametrize(
    ("yymmdd", "code"),
    [
        ("2712", "format"),
        ("2712310", "format"),
        ("27123a", "format"),
        ("２７１２３１", "format"),
        ("271331", "month"),
        ("270031", "month"),
        ("270230", "day"),
        ("250229", "day"),
        ("270432", "day"),
    ],
)
def test_invalid_expiry(yymmdd: str, code: str) -> None:
    with pytest.raises(InvalidExpiry) as caught:
        parse_expiry(yymmdd, today=TODAY)
    assert (caught.value.field, caught.value.code) == ("expiry", code)


def test_format_expiry() -> None:
    assert format_expiry(date(2027, 12, 31), today=TODAY) == "271231"
    assert format_expiry(date(2001, 2, 3), today=TODAY) == "010203"
    with pytest.raises(InvalidExpiry) as caught:
        format_expiry(date(2077, 1, 1), today=TODAY)  # would read back as 1977
    assert caught.value.code == "out_of_range"


@given(st.dates(min_value=date(1977, 1, 1), max_value=date(2076, 12, 31)))
def test_expiry_round_trip_within_the_window(value: date) -> None:
    assert parse_expiry(format_expiry(value, today=TODAY), today=TODAY) == value
