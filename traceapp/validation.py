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
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
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
    if _CONTROL.search(cleaned):
        raise ValidationFailed("must not contain control characters", field=field)
    return cleaned


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
