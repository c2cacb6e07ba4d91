"""GS1 identifiers: GTIN and GLN check digits, CSET 82 lots and serials, AI 17 dates.

References are to the GS1 General Specifications (GenSpecs): §7.9 check digit calculation,
Figure 7.11-1 (the 82-character set), §7.12 determination of the century in dates.
"""

from __future__ import annotations

import calendar
import math
import re
import secrets
from datetime import date

from traceapp.gs1.errors import (
    Gs1Error,
    InvalidExpiry,
    InvalidGln,
    InvalidGtin,
    InvalidLot,
    InvalidSerial,
)

GTIN_LENGTHS = frozenset({8, 12, 13, 14})
GLN_LENGTH = 13
LOT_MAX_LENGTH = 20
SERIAL_MAX_LENGTH = 20

# GenSpecs Figure 7.11-1: the characters AI 10 and AI 21 values may use.
CSET82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
CSET82_SYMBOLS = "!\"%&'()*+,-./:;<=>?_"

# Crockford base32: CSET 82 and URI-unreserved, so serials never need percent-encoding, and
# without I, L, O, U, so a serial read aloud or typed from a label cannot be confused.
SERIAL_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SERIAL_LENGTH = 12
MIN_SERIAL_BITS = 40

_DIGITS = re.compile(r"[0-9]+")


def gtin_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit (GenSpecs §7.9.1) of ``body``, the digits before it.

    Weights alternate 3, 1, 3, ... starting from the rightmost digit of the body, so the
    same function serves every GS1 key: GTIN-8/12/13/14, GLN, SSCC, GRAI, GSRN, GDTI ...
    ``body`` must be digits: the validating callers (``normalise_gtin``, ``normalise_gln``)
    and the EPC URI syntax check that first.
    """
    total = sum(int(digit) * (3 if i % 2 == 0 else 1) for i, digit in enumerate(reversed(body)))
    return -total % 10


def with_check_digit(body: str) -> str:
    """``body`` followed by its check digit, e.g. a 13-digit body gives a valid GTIN-14."""
    return body + str(gtin_check_digit(body))


def normalise_gtin(value: str) -> str:
    """The 14-digit form of a GTIN-8, -12, -13 or -14, after checking its check digit.

    Raises ``InvalidGtin`` (field ``gtin``) with a message naming the rule broken.
    """
    if not _DIGITS.fullmatch(value):
        raise InvalidGtin("A GTIN contains digits 0-9 only.", code="not_digits")
    if len(value) not in GTIN_LENGTHS:
        raise InvalidGtin(
            f"A GTIN has 8, 12, 13 or 14 digits; this one has {len(value)}.", code="length"
        )
    gtin14 = value.zfill(14)
    if gtin14 == "0" * 14:
        raise InvalidGtin("A GTIN cannot be all zeros.", code="zero")
    expected = gtin_check_digit(gtin14[:-1])
    if int(gtin14[-1]) != expected:
        raise InvalidGtin(
            f"The GTIN {value} is mistyped or not a real GTIN: its last digit should be {expected}.",
            code="check_digit",
        )
    return gtin14


def is_valid_gtin(value: str) -> bool:
    """Whether ``value`` is a GTIN-8/12/13/14 with a correct check digit."""
    try:
        normalise_gtin(value)
    except InvalidGtin:
        return False
    return True


def normalise_gln(value: str) -> str:
    """A 13-digit GLN after checking its digits and check digit; raises ``InvalidGln``."""
    if not _DIGITS.fullmatch(value):
        raise InvalidGln("A GLN contains digits 0-9 only.", code="not_digits")
    if len(value) != GLN_LENGTH:
        raise InvalidGln(f"A GLN has 13 digits; this one has {len(value)}.", code="length")
    expected = gtin_check_digit(value[:-1])
    if int(value[-1]) != expected:
        raise InvalidGln(
            f"The GLN {value} is mistyped: its last digit should be {expected}.",
            code="check_digit",
        )
    return value


def is_valid_gln(value: str) -> bool:
    """Whether ``value`` is a 13-digit GLN with a correct check digit."""
    try:
        normalise_gln(value)
    except InvalidGln:
        return False
    return True


def is_cset82(value: str) -> bool:
    """Whether every character of ``value`` is in GS1 CSET 82."""
    return all(char in CSET82 for char in value)


def validate_lot(value: str) -> str:
    """``value`` unchanged if it is a valid batch/lot number (AI 10); else ``InvalidLot``."""
    _check_cset82(value, "lot code", LOT_MAX_LENGTH, InvalidLot)
    return value


def validate_serial(value: str) -> str:
    """``value`` unchanged if it is a valid serial number (AI 21); else ``InvalidSerial``."""
    _check_cset82(value, "serial number", SERIAL_MAX_LENGTH, InvalidSerial)
    return value


def _check_cset82(value: str, what: str, max_length: int, error: type[Gs1Error]) -> None:
    if not value:
        raise error(f"The {what} is empty.", code="empty")
    if len(value) > max_length:
        raise error(
            f"The {what} has {len(value)} characters; GS1 allows at most {max_length}.",
            code="too_long",
        )
    for position, char in enumerate(value, start=1):
        if char not in CSET82:
            hint = " Letters with diacritics are not allowed." if not char.isascii() else ""
            raise error(
                f"The {what} contains {_describe(char)} at position {position}; only A-Z, "
                f"a-z, 0-9 and {CSET82_SYMBOLS} are allowed.{hint}",
                code="charset",
            )


def _describe(char: str) -> str:
    if char == " ":
        return "a space"
    if char.isprintable():
        return f"'{char}'"
    return f"U+{ord(char):04X}"


def serial_entropy_bits(length: int = SERIAL_LENGTH) -> float:
    """Bits of randomness in a ``new_serial(length)``: log2(alphabet size ** length)."""
    return length * math.log2(len(SERIAL_ALPHABET))


def new_serial(length: int = SERIAL_LENGTH) -> str:
    """A random serial number (AI 21) of ``length`` Crockford base32 characters.

    Drawn from ``secrets`` so that valid serials cannot be guessed from others: the default
    12 characters carry 60 bits; fewer than 40 bits (8 characters) is refused.
    """
    if serial_entropy_bits(length) < MIN_SERIAL_BITS or length > SERIAL_MAX_LENGTH:
        raise ValueError(
            f"serial length must be {math.ceil(MIN_SERIAL_BITS / 5)}..{SERIAL_MAX_LENGTH}"
        )
    bits = secrets.randbits(5 * length)
    return "".join(SERIAL_ALPHABET[(bits >> (5 * i)) & 0x1F] for i in range(length))


def parse_expiry(yymmdd: str, *, today: date | None = None) -> date:
    """The date of a GS1 YYMMDD value (AI 17, and likewise AI 11/13/15/16).

    The century follows GenSpecs §7.12: the date lies between 49 years before and 50 years
    after ``today``'s year. DD = 00 means the last day of the month. Raises ``InvalidExpiry``.
    """
    if len(yymmdd) != 6 or not _DIGITS.fullmatch(yymmdd):
        raise InvalidExpiry("A GS1 date is six digits, YYMMDD.", code="format")
    yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    if not 1 <= month <= 12:
        raise InvalidExpiry(f"The month {yymmdd[2:4]} does not exist.", code="month")
    year = _resolve_century(yy, (today or date.today()).year)
    last_day = calendar.monthrange(year, month)[1]
    if day == 0:
        day = last_day
    if day > last_day:
        raise InvalidExpiry(
            f"{year}-{month:02d} has no day {yymmdd[4:]}.",
            code="day",
        )
    return date(year, month, day)


def format_expiry(value: date, *, today: date | None = None) -> str:
    """``value`` as GS1 YYMMDD; refuses a date that §7.12 would read back in another century."""
    current_year = (today or date.today()).year
    if _resolve_century(value.year % 100, current_year) != value.year:
        raise InvalidExpiry(
            f"{value.isoformat()} is too far from {current_year} for a two-digit GS1 year.",
            code="out_of_range",
        )
    return f"{value.year % 100:02d}{value.month:02d}{value.day:02d}"


def _resolve_century(yy: int, current_year: int) -> int:
    difference = yy - current_year % 100
    century = current_year - current_year % 100
    if difference >= 51:
        century -= 100
    elif difference <= -50:
        century += 100
    return century + yy
