"""Input checks shared by the services: every failure names its field and changes nothing."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from traceapp.errors import ValidationFailed
from traceapp.gs1.errors import Gs1Error

T = TypeVar("T")
# Unicode category Cc (C0 and C1 controls, DEL) but for newline and tab.
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f"
# Unicode category Cf (format characters: soft hyphen, zero-width spaces and joiners, bidi
# embeddings, overrides and isolates, BOM, tags ...), as of the Unicode version of
# ``unicodedata`` (a test checks the table against it). Invisible, they make a name shown to
# people read differently from what it is ("U+202E" reverses the text after it).
FORMAT_RANGES = (
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
# One search finds either kind, so text costs no more to check than before.
_INVISIBLE = re.compile(
    "["
    + _CONTROL
    + "".join(f"{chr(low)}-{chr(high)}" if high > low else chr(low) for low, high in FORMAT_RANGES)
    + "]"
)
# Idempotency keys: checked before any database work, the same on every engine (docs/api.md).
IDEMPOTENCY_KEY_MAX = 200


def text(value: str | None, field: str, *, max_length: int, required: bool = True) -> str | None:
    """NFC-normalised, trimmed text (Vietnamese keeps its diacritics in one form everywhere)."""
    if value is None or not value.strip():
        if required:
            raise ValidationFailed("is required", field=field)
        return None
    cleaned = unicodedata.normalize("NFC", value.strip())
    if len(cleaned) > max_length:
        raise ValidationFailed(f"must be at most {max_length} characters", field=field)
    refuse_invisible(cleaned, field)
    return cleaned


def refuse_invisible(value: str, field: str) -> None:
    """Refuse control characters (but newline and tab) and format characters (category Cf)."""
    found = _INVISIBLE.search(value)
    if found is None:
        return
    character = found.group()
    if unicodedata.category(character) == "Cc":
        raise ValidationFailed("must not contain control characters", field=field)
    raise ValidationFailed(
        f"must not contain invisible format characters (U+{ord(character):04X})", field=field
    )


def required_text(value: str | None, field: str, *, max_length: int) -> str:
    result = text(value, field, max_length=max_length)
    assert result is not None
    return result


def choice(value: str, field: str, allowed: Iterable[str]) -> str:
    options = tuple(allowed)
    if value not in options:
        raise ValidationFailed(f"must be one of {', '.join(options)}", field=field)
    return value


def gs1(check: Callable[[str], T], value: str, field: str) -> T:
    try:
        return check(value)
    except Gs1Error as exc:
        raise ValidationFailed(
            exc.message, field=field, code="INVALID_" + exc.code.upper()
        ) from None


def iso_date(value: str | date, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationFailed("must be a date YYYY-MM-DD", field=field) from None


def decimal(value: str | Decimal | int | None, field: str) -> Decimal | None:
    if value is None:
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed("must be a decimal number", field=field) from None
    if not result.is_finite() or result < 0:
        raise ValidationFailed("must be a non-negative number", field=field)
    return result


def moment(value: datetime, field: str) -> datetime:
    """A date-time with its time zone, whose UTC form exists (year 1 to 9999)."""
    if value.utcoffset() is None:
        raise ValidationFailed("must include a time zone", field=field)
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValidationFailed(
            "must lie between 0001-01-01 and 9999-12-31 in UTC", field=field
        ) from None
    return value


def idempotency_key(value: str | None, field: str = "idempotencyKey") -> str | None:
    if value is not None and len(value) > IDEMPOTENCY_KEY_MAX:
        raise ValidationFailed(f"must be at most {IDEMPOTENCY_KEY_MAX} characters", field=field)
    return value


def format_event_time(when: datetime) -> tuple[str, str]:
    """EPCIS eventTime (UTC, milliseconds) and eventTimeZoneOffset of the original clock."""
    offset = moment(when, "eventTime").utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    zone = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    utc = when.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z", zone
