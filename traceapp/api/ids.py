"""Opaque identifiers: Relay global IDs and pagination cursors.

A global ID is base64("Type:public_id"): it names the GraphQL type and the object's random public
ID, never a database key. A cursor is base64 of a versioned JSON list of the sort key values.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from traceapp.api.errors import ApiError

CURSOR_PREFIX = "c1:"


def _b64decode(text: str) -> str:
    try:
        return base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise ValueError("not base64") from None


def encode_global_id(type_name: str, public_id: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{public_id}".encode()).decode().rstrip("=")


def decode_global_id(value: str) -> tuple[str, str] | None:
    """(type name, public id), or None when ``value`` is not one of our IDs."""
    try:
        text = _b64decode(value)
    except ValueError:
        return None
    type_name, sep, public_id = text.partition(":")
    if not sep or not type_name or not public_id or len(public_id) > 64:
        return None
    return type_name, public_id


def public_id_of(value: str, type_name: str, field: str) -> str:
    """The public ID inside a global ID of ``type_name``; a userError-able failure otherwise."""
    from traceapp.errors import NotFound

    decoded = decode_global_id(value)
    if decoded is None or decoded[0] != type_name:
        raise NotFound(f"not the ID of a {type_name}", field=field)
    return decoded[1]


def encode_cursor(values: tuple[Any, ...]) -> str:
    raw = CURSOR_PREFIX + json.dumps(list(values), separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(value: str, arity: int) -> tuple[Any, ...]:
    try:
        text = _b64decode(value)
        if not text.startswith(CURSOR_PREFIX):
            raise ValueError("prefix")
        values = json.loads(text[len(CURSOR_PREFIX) :])
    except ValueError:
        raise ApiError("after is not a cursor from this API", "BAD_CURSOR") from None
    if (
        not isinstance(values, list)
        or len(values) != arity
        or not all(isinstance(v, int | str) and not isinstance(v, bool) for v in values)
    ):
        raise ApiError("after is not a cursor from this API", "BAD_CURSOR")
    return tuple(values)
