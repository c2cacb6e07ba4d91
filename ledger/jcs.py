"""RFC 8785 JSON Canonicalization Scheme (JCS): the byte form of every ledger entry (reference).

`canonicalize` writes a value's RFC 8785 form; `parse_canonical` reads a text and accepts it
only if it is exactly the RFC 8785 form of what it holds, so each value has one byte form and
each entry one leaf hash. `rfc8785` (the Trail of Bits implementation) is the encoder; for the
common case the C `json` encoder writes the same bytes faster and is used only where it
provably does (`_encoder_agrees`). tests/ledger/test_jcs.py checks both byte for byte.
"""

from __future__ import annotations

import json
from typing import Any, cast

import rfc8785

from ledger.errors import FormatError
from ledger.strict_json import no_constant, unique_names

INT_MIN = -(2**53) + 1
INT_MAX = 2**53 - 1
"""RFC 8785 §3.2.2.3 numbers are IEEE 754 doubles: integers are exact within ±(2**53 - 1)
(RFC 7493 §2.2); rfc8785 refuses integers beyond."""

# Non-integral floats in this range print identically in Python and ECMAScript.
_FLOAT_MIN = 1e-4
_FLOAT_MAX = 1e16
# Object keys from here on sort differently by UTF-16 code unit (RFC 8785 §3.2.3) than by
# code point (Python's sort).
_FIRST_KEY_CHAR_NEEDING_UTF16_SORT = "\ue000"

_ENCODER = json.JSONEncoder(
    ensure_ascii=False,  # RFC 8785 §3.2.2.2: only controls, quote and backslash are escaped
    separators=(",", ":"),  # §3.2.1: no white space
    sort_keys=True,  # §3.2.3
    allow_nan=False,
    check_circular=False,
)


class _EncoderDisagrees(Exception):
    """The value holds something the json encoder does not write as RFC 8785 does."""


def canonicalize(obj: object) -> bytes:
    """The RFC 8785 canonical JSON of `obj` as UTF-8 bytes (RFC 8785 §3.2).

    Raises FormatError for values RFC 8785 cannot represent: NaN or infinite floats,
    integers beyond ±(2**53 - 1), non-string keys, lone surrogates, other Python types.
    """
    try:
        _encoder_agrees(obj)
        return _ENCODER.encode(obj).encode("utf-8")
    except (_EncoderDisagrees, UnicodeEncodeError):
        pass
    except RecursionError as exc:
        raise FormatError("JSON value is nested too deeply (or is circular)") from exc
    try:
        return rfc8785.dumps(cast(Any, obj))  # rfc8785 checks the types itself
    except (rfc8785.CanonicalizationError, UnicodeError) as exc:
        # rfc8785 lets a lone surrogate in an object key escape as UnicodeEncodeError.
        raise FormatError(f"cannot canonicalize as RFC 8785 JSON: {exc}") from exc
    except RecursionError as exc:
        raise FormatError("JSON value is nested too deeply (or is circular)") from exc


def _encoder_agrees(value: object) -> None:
    """Raise _EncoderDisagrees unless `json`'s output for `value` is RFC 8785's (§3.2.2)."""
    # Exact types only: subclasses (bool of int, str enums, dict subclasses) go to rfc8785.
    if type(value) is str or type(value) is bool or value is None:
        return
    if type(value) is int:
        if not INT_MIN <= value <= INT_MAX:
            raise _EncoderDisagrees
    elif type(value) is float:
        # Python's repr and ECMAScript's Number::toString (RFC 8785 §3.2.2.3) both print the
        # shortest round-trip digits; they also agree on notation for non-integral values
        # from 1e-4 up to 1e16 (fixed point in both). Elsewhere only rfc8785 is exact.
        if value.is_integer() or not _FLOAT_MIN <= abs(value) < _FLOAT_MAX:
            raise _EncoderDisagrees
    elif type(value) is dict:
        for key, item in value.items():
            if type(key) is not str or (
                not key.isascii() and max(key) >= _FIRST_KEY_CHAR_NEEDING_UTF16_SORT
            ):
                raise _EncoderDisagrees
            if type(item) is not str:
                _encoder_agrees(item)
    elif type(value) is list:
        for item in value:
            if type(item) is not str:
                _encoder_agrees(item)
    else:
        raise _EncoderDisagrees


def parse_canonical(data: bytes) -> Any:
    """Parse JSON that must already be in RFC 8785 canonical form (RFC 8785 §3.2).

    Raises FormatError for invalid UTF-8 (RFC 8785 §3.2.4), invalid JSON, duplicate object
    names (RFC 8785 §3.1, I-JSON), NaN or Infinity, or any byte that differs from
    `canonicalize` of the result.
    """
    if not isinstance(data, bytes):
        raise FormatError(f"canonical JSON must be bytes, got {type(data).__name__}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"JSON is not valid UTF-8: {exc}") from exc
    try:
        parsed = json.loads(
            text,
            object_pairs_hook=unique_names,
            parse_int=_integer_literal,
            parse_constant=no_constant,
        )
    except ValueError as exc:  # json.JSONDecodeError, duplicate names, NaN, Infinity
        raise FormatError(f"invalid JSON: {exc}") from exc
    except RecursionError as exc:
        raise FormatError("JSON is nested too deeply") from exc
    canonical = canonicalize(parsed)
    if canonical != data:
        offset = next(
            (i for i, (a, b) in enumerate(zip(canonical, data, strict=False)) if a != b),
            min(len(canonical), len(data)),
        )
        raise FormatError(
            f"JSON is not in RFC 8785 canonical form (first difference at byte {offset})"
        )
    return parsed


def _integer_literal(text: str) -> int | float:
    """Read a JSON integer literal as RFC 8785 §3.2.2.3 models numbers: IEEE 754 doubles.

    Within ±(2**53 - 1) that is the same number as a Python int. Beyond it only a float
    serializes back the way JCS does (e.g. 2**53 as a double is written "9007199254740992").
    """
    if len(text) <= 20:  # also keeps int() away from Python's limit on huge literals
        value = int(text)
        if INT_MIN <= value <= INT_MAX:
            return value
    return float(text)
