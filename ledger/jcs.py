"""RFC 8785 JSON Canonicalization Scheme (JCS): the byte form of every ledger entry.

`canonicalize` is `rfc8785.dumps` with a faster path for the common case. The fast path runs
the C `json` encoder, and only where its output is provably the RFC 8785 output: floats only
where Python's repr and ECMAScript number formatting (RFC 8785 §3.2.2.3) agree, integers within the I-JSON range
rfc8785 enforces, exact dict/list/str/int/bool/None types, and object keys below U+E000 (there,
code-point order and the UTF-16 code-unit order of RFC 8785 §3.2.3 agree). Anything else goes
to rfc8785. tests/ledger/test_jcs.py checks both paths byte for byte on generated input.

`parse_canonical` checks a text by re-encoding what it reads. Its quickest path needs no walk
over the value in Python: it reads with the C decoder set to refuse every float and every
integer beyond ±(2**53 - 1), and only texts without a character from U+E000 on anywhere
(no UTF-8 byte 0xEE-0xF4). Whatever that decoder returns is then inside the fast path's
subset by construction, so one C encoding decides. tests/ledger/test_jcs.py checks that
`parse_canonical` accepts exactly the texts rfc8785 writes, on that path and off it.
"""

from __future__ import annotations

import json
import json.encoder
import json.scanner
import operator
from collections.abc import Callable
from typing import Any, cast

import rfc8785

from ledger.errors import FormatError

# rfc8785 rejects integers outside the IEEE 754 exact range (RFC 8785 §3.2.2.3, RFC 7493 §2.2).
_INT_MIN = -(2**53) + 1
_INT_MAX = 2**53 - 1
# Non-integral floats in this range print identically in Python and ECMAScript.
_FLOAT_MIN = 1e-4
_FLOAT_MAX = 1e16
# Code points from here on sort differently by UTF-16 code unit than by code point.
_FIRST_KEY_CHAR_NEEDING_UTF16_SORT = "\ue000"

_ENCODER = json.JSONEncoder(
    ensure_ascii=False,
    separators=(",", ":"),
    sort_keys=True,
    allow_nan=False,
    check_circular=False,
)


class _NotOnFastPath(Exception):
    """The value holds something the fast path does not handle exactly like rfc8785."""


def canonicalize(obj: object) -> bytes:
    """Return the RFC 8785 canonical JSON of `obj` as UTF-8 bytes (RFC 8785 §3.2).

    Raises FormatError for values RFC 8785 cannot represent: NaN or infinite floats,
    integers beyond ±(2**53 - 1), non-string keys, lone surrogates, other Python types.
    """
    try:
        _check_fast_path(obj)
        return _ENCODER.encode(obj).encode("utf-8")
    except (_NotOnFastPath, UnicodeEncodeError):
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


_PLAIN_DECODER = json.JSONDecoder()

# UTF-8 lead bytes of U+E000 and above: 0xEE and 0xEF start U+E000..U+FFFF, 0xF0..0xF4 the
# supplementary planes (0xF5..0xFF never occur in UTF-8). A text without them has no object
# key where UTF-16 code-unit order and code-point order differ.
_BYTES_BELOW_0XEE = bytes(range(0xEE))


def _has_code_points_from_u_e000(data: bytes) -> bool:
    """Whether UTF-8 `data` holds a character from U+E000 on (one C pass, no Python loop)."""
    return not data.isascii() and bool(data.translate(None, _BYTES_BELOW_0XEE))


# An integer literal longer than this ("-" and 16 digits) is beyond ±(2**53 - 1) or not
# canonical; the length test keeps int() away from long literals.
_LONGEST_IN_RANGE_INTEGER = 17


def _in_range_integer(text: str) -> int:
    if len(text) > _LONGEST_IN_RANGE_INTEGER:
        raise _NotOnFastPath
    value = int(text)
    if not _INT_MIN <= value <= _INT_MAX:
        raise _NotOnFastPath
    return value


def _refuse_literal(text: str) -> Any:
    raise _NotOnFastPath


# Reads only values on canonicalize's fast path: no floats, no NaN or Infinity, integers in
# the I-JSON range; exact dict/list/str/int/bool/None types come from the decoder itself.
_RESTRICTED_DECODER = json.JSONDecoder(
    parse_int=_in_range_integer, parse_float=_refuse_literal, parse_constant=_refuse_literal
)
# The C scanner and encoder behind _RESTRICTED_DECODER and _ENCODER, called directly: the
# Python wrappers around them (whitespace skipping, building the encoder anew on every call)
# cost about a third of a quick parse. Without the C extension, the wrappers.
_c_make_scanner: Any = getattr(json.scanner, "c_make_scanner", None)
_c_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
_SCAN_ONCE: Any = _c_make_scanner(_RESTRICTED_DECODER) if _c_make_scanner is not None else None
_ENCODE_CHUNKS: Any = (
    _c_make_encoder(
        None,  # markers: no circular check (as check_circular=False)
        _ENCODER.default,
        json.encoder.encode_basestring,  # ensure_ascii=False
        None,  # indent
        ":",
        ",",
        True,  # sort_keys
        False,  # skipkeys
        False,  # allow_nan
    )
    if _c_make_encoder is not None
    else None
)


def _read_restricted(text: str) -> Any:
    """The value `text` holds, read by _RESTRICTED_DECODER; raises ValueError if it is not
    one JSON value without surrounding white space, _NotOnFastPath off its subset."""
    if _SCAN_ONCE is None:
        return _RESTRICTED_DECODER.decode(text)
    try:
        value, end = _SCAN_ONCE(text, 0)
    except StopIteration as exc:
        raise ValueError("not JSON") from exc
    if end != len(text):
        raise ValueError("extra data")
    return value


def _encode_fast(value: Any) -> str:
    """_ENCODER.encode(value), for values _check_fast_path accepts."""
    if _ENCODE_CHUNKS is None:
        return _ENCODER.encode(value)
    if isinstance(value, str):
        return json.encoder.encode_basestring(value)
    return "".join(_ENCODE_CHUNKS(value, 0))


def parse_canonical(data: bytes) -> Any:
    """Parse JSON that must already be in RFC 8785 canonical form (RFC 8785 §3.2).

    Raises FormatError for invalid UTF-8 (RFC 8785 §3.2.4), invalid JSON, duplicate object
    keys (RFC 8785 §3.1, I-JSON), or any byte that differs from `canonicalize` of the result.
    """
    if not isinstance(data, bytes):
        raise FormatError(f"canonical JSON must be bytes, got {type(data).__name__}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"JSON is not valid UTF-8: {exc}") from exc
    # Quickest path: a value the restricted decoder reads is on canonicalize's fast path (no
    # floats, integers in range, keys below U+E000 as the whole text is), so the C encoder's
    # output is its RFC 8785 form.
    if not _has_code_points_from_u_e000(data):
        parsed = _read_quickly(text)
        if parsed is not _UNSURE:
            return parsed
    # Fast path: the C decoder without hooks. Whatever it reads differently from the strict
    # reader (duplicate keys, NaN, integers beyond 2^53) cannot re-encode to the same bytes,
    # so only inputs that are canonical return here; the rest take the strict path below,
    # which names the problem.
    try:
        parsed = _PLAIN_DECODER.decode(text)
        if canonicalize(parsed) == data:
            return parsed
    except (ValueError, RecursionError, FormatError):
        pass
    return _parse_canonical_strictly(data, text)


_UNSURE = object()


def _read_quickly(text: str) -> Any:
    """The value of `text` if it is canonical and on the quickest path, else _UNSURE.

    The caller has checked that `text` holds no character from U+E000 on. Strict UTF-8
    decoding never yields a lone surrogate, so an escaped one read from `text` cannot encode
    back to it.
    """
    try:
        parsed = _read_restricted(text)
        if _encode_fast(parsed) == text:
            return parsed
    except (_NotOnFastPath, ValueError, RecursionError):
        pass
    return _UNSURE


def read_canonical_object(data: bytes) -> dict[str, Any] | None:
    """The JSON object `data` holds, if `data` is its RFC 8785 form (RFC 8785 §3.2), quickly.

    None when it is not, or when `data` is off `parse_canonical`'s quickest path (floats,
    characters from U+E000 on, ...): then only `parse_canonical` can tell. A value this
    returns is exactly what `parse_canonical(data)` returns. The verifier calls this for
    every statement of a log, so it is `_read_quickly` written out, with no calls between.
    """
    if not data.isascii() and data.translate(None, _BYTES_BELOW_0XEE):
        return None  # a character from U+E000 on
    if _SCAN_ONCE is None or _ENCODE_CHUNKS is None:  # no C extension
        try:
            parsed = _read_quickly(data.decode("utf-8"))
        except UnicodeDecodeError:
            return None
        return parsed if type(parsed) is dict else None
    try:
        text = data.decode("utf-8")
        value, end = _SCAN_ONCE(text, 0)
        if end == len(text) and type(value) is dict and "".join(_ENCODE_CHUNKS(value, 0)) == text:
            return value
    except (StopIteration, _NotOnFastPath, ValueError, RecursionError):
        pass  # ValueError covers UnicodeDecodeError and JSONDecodeError
    return None


# What an RFC 8785 string never holds as such (§3.2.2.2): the controls U+0000-U+001F, which
# it escapes, and the backslash of an escape. (A quote ends the string.)
_ESCAPED_BYTES = bytes(range(0x20)) + b"\\"
# Layouts kept: at most this many, each at most this long with at most this many names (a
# statement of a thousand items, or of long number arrays, is checked in full every time).
_LAYOUTS_KEPT = 4096
_LONGEST_LAYOUT = 2048
_MOST_NAMES = 64
# Every this many objects, a cache that found fewer than half of them by their layout rests
# (checks the next objects in full) for this many: objects with ever new layouts (numbers
# that vary, say) then cost little more than the full check alone.
_JUDGED_EVERY = 256
_REST = 4096


def _no_names(parts: list[bytes]) -> tuple[()]:
    return ()


class ObjectLayouts:
    """`read_canonical_object(data) is not None`, quicker for objects laid out as one seen before.

    A text without backslashes and control characters splits at its quotes into the strings
    and what lies between them. If what lies between is the same as in an object this cache
    checked in full, and the strings at its member names' places are those names, the text is
    that object with other string values, each spelled as RFC 8785 writes it (§3.2.2.2: only
    quotes, backslashes and controls are escaped): so it is canonical too. That costs a split
    and a dictionary lookup instead of decoding and re-encoding the object. A log's statements
    of one type mostly share a few layouts (ledger.entry.EntryScanner keeps a cache a type).
    tests/ledger/test_jcs.py checks it against `parse_canonical` on generated input.
    """

    def __init__(self) -> None:
        # the text between the strings, joined by quotes -> (names getter, the names)
        self._known: dict[bytes, tuple[Callable[[list[bytes]], object], object]] = {}
        self._found = self._tried = self._resting = 0

    def is_canonical(self, data: bytes) -> bool:
        """Whether `data` is the RFC 8785 form of a JSON object; False also when unsure
        (where `read_canonical_object` returns None)."""
        if self._resting:
            self._resting -= 1
            return read_canonical_object(data) is not None
        parts, layout = None, b""
        if len(data.translate(None, _ESCAPED_BYTES)) == len(data):
            parts = data.split(b'"')
            layout = b'"'.join(parts[0::2])
            known = self._known.get(layout)
            if (
                known is not None
                and len(parts) & 1  # every quote closes a string it opened
                and known[0](parts) == known[1]
                and (data.isascii() or _is_utf8(data))
            ):
                self._found += 1
                self._judge()
                return True
        self._judge()
        if read_canonical_object(data) is None:
            return False
        if parts is not None:
            self._learn(layout, parts)
        return True

    def _judge(self) -> None:
        self._tried += 1
        if self._tried == _JUDGED_EVERY:
            if 2 * self._found < self._tried:
                self._resting = _REST
            self._found = self._tried = 0

    def _learn(self, layout: bytes, parts: list[bytes]) -> None:
        # In canonical JSON a member name is the string right before a colon.
        places = [i for i in range(1, len(parts), 2) if parts[i + 1].startswith(b":")]
        if len(layout) > _LONGEST_LAYOUT or len(places) > _MOST_NAMES:
            return
        names: Callable[[list[bytes]], object] = (
            operator.itemgetter(*places) if places else _no_names
        )
        if len(self._known) >= _LAYOUTS_KEPT:
            self._known.clear()
        self._known[layout] = (names, names(parts))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _parse_canonical_strictly(data: bytes, text: str) -> Any:
    try:
        parsed = json.loads(
            text,
            object_pairs_hook=_object_without_duplicates,
            parse_int=_parse_integer_literal,
            parse_constant=_reject_constant,
        )
    except ValueError as exc:  # json.JSONDecodeError and any other malformed literal
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


def _check_fast_path(value: object) -> None:
    """Raise _NotOnFastPath unless the json encoder's output for `value` is RFC 8785's."""
    # Exact types only: subclasses (bool of int, str enums, dict subclasses) go to rfc8785.
    if type(value) is str or type(value) is bool or value is None:
        return
    if type(value) is int:
        if not _INT_MIN <= value <= _INT_MAX:
            raise _NotOnFastPath
    elif type(value) is float:
        # Python's repr and ECMAScript's Number::toString (RFC 8785 §3.2.2.3) both print the
        # shortest round-trip digits; they also agree on notation for non-integral values
        # from 1e-4 up to 1e16 (fixed point in both). Elsewhere only rfc8785 is exact.
        if value.is_integer() or not _FLOAT_MIN <= abs(value) < _FLOAT_MAX:
            raise _NotOnFastPath
    elif type(value) is dict:
        for key, item in value.items():
            if type(key) is not str or (
                not key.isascii() and max(key) >= _FIRST_KEY_CHAR_NEEDING_UTF16_SORT
            ):
                raise _NotOnFastPath
            if type(item) is not str:
                _check_fast_path(item)
    elif type(value) is list:
        for item in value:
            if type(item) is not str:
                _check_fast_path(item)
    else:
        raise _NotOnFastPath


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise FormatError(f"duplicate JSON object key {key!r}")
        result[key] = value
    return result


def _parse_integer_literal(text: str) -> int | float:
    """Read a JSON integer literal as RFC 8785 §3.2.2.3 models numbers: IEEE 754 doubles.

    Within ±(2**53 - 1) that is the same number as a Python int. Beyond it only a float
    serializes back the way JCS does (e.g. 2**53 as a double is written "9007199254740992").
    """
    if len(text) <= 20:  # also keeps int() away from Python's limit on huge literals
        value = int(text)
        if _INT_MIN <= value <= _INT_MAX:
            return value
    return float(text)


def _reject_constant(name: str) -> Any:
    raise FormatError(f"{name} is not JSON")
