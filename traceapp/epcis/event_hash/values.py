"""Step 3 of the hash: canonical values (timestamps, CBV vocabulary, numbers, identifiers).

Values are canonicalised by pure functions of one string, and the same EPCs, steps, places and
times come back event after event: they are cached.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from traceapp.gs1.canonical_link import canonical_digital_link

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?"
)
_CANONICAL_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


def is_time_field(name: str) -> bool:
    # Reference: a field is a timestamp when its name contains "time" and not "offset"
    # (eventTime, time, startTime, endTime, declarationTime, but not eventTimeZoneOffset).
    lowered = name.lower()
    return "time" in lowered and "offset" not in lowered


def _utc_offset(text: str | None) -> timezone:
    if text is None or text in ("Z", "z"):
        return UTC  # no offset: read as UTC (the reference used the host's zone)
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
    return timezone(sign * timedelta(minutes=minutes))


def _milliseconds(fraction: str | None) -> int:
    # CBV rule: millisecond precision, further digits rounded half-up (.1415 -> .142).
    if not fraction:
        return 0
    exact = Decimal("0." + fraction) * 1000
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


_VALUE_CACHE = 8192


@lru_cache(maxsize=_VALUE_CACHE)
def canonical_timestamp(text: str) -> str:
    """Timestamp in UTC at millisecond precision, ``2019-10-21T12:58:56.591Z``.

    Text that is not an ISO 8601 date-time is returned unchanged, as in the reference.
    """
    if _CANONICAL_TIMESTAMP.fullmatch(text):
        # Already the output's form: a valid date is returned as it is, an invalid one too.
        return text
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return text
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            tzinfo=_utc_offset(offset),
        )
        # Adding the rounded milliseconds lets .9995 carry into the next second.
        moment = (moment + timedelta(milliseconds=_milliseconds(fraction))).astimezone(UTC)
    except (ValueError, OverflowError):  # no such date, offset of a day or more, year 10000
        return text
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


# CBV 1.x URN vocabularies -> CBV 2.0 web vocabulary (reference ``_try_format_web_vocabulary``;
# plain text replacement, wherever the URN occurs in the value).
_WEB_VOCABULARY = (
    ("urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"),
    ("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"),
    ("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"),
    ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"),
    ("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"),
)


def web_vocabulary(text: str) -> str:
    for urn, uri in _WEB_VOCABULARY:
        text = text.replace(urn, uri)
    return text


_MAX_EXPONENT = 1000


def canonical_number(text: str) -> str:
    """Numbers without leading ``+``, padding zeros or exponent: ``452.0`` -> ``452``.

    Any text that parses as a finite decimal is a number here, as in the reference (which applies
    this to every value). Decimal arithmetic keeps large values exact.
    """
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite() or abs(number.adjusted()) > _MAX_EXPONENT:
        return text  # written out, 1e999999999 would be a gigabyte of digits
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


@lru_cache(maxsize=_VALUE_CACHE)
def canonical_value(text: str) -> str:
    """A non-timestamp value, canonicalised as the reference's ``_canonize_value``."""
    text = canonical_number(web_vocabulary(text))
    return canonical_digital_link(text) or text
