"""Quicker paths to `ledger.jcs.parse_canonical`: same values, same errors (RFC 8785).

`parse_canonical` here returns exactly what the reference returns and raises exactly what it
raises; it only reaches the answer sooner for the texts a log is made of. Its quickest path
needs no walk over the value in Python: it reads with the C decoder set to refuse every float
and every integer beyond ±(2**53 - 1), and only texts without a character from U+E000 on
anywhere (no UTF-8 byte 0xEE-0xF4). Whatever that decoder returns is then inside the subset
where the C encoder writes RFC 8785 bytes, so one C encoding decides. Anything else goes to
the reference, which names the problem. `ObjectLayouts` recognises statements laid out like
one checked before. tests/ledger/test_jcs.py checks all of it against the reference and
rfc8785 on generated input.
"""

from __future__ import annotations

import json
import json.encoder
import json.scanner
import operator
from collections.abc import Callable
from typing import Any

from ledger import jcs
from ledger.errors import FormatError
from ledger.jcs import INT_MAX, INT_MIN, canonicalize

_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False, check_circular=False
)


class _NotOnFastPath(Exception):
    """The text holds something only the reference reads exactly (floats, big integers...)."""


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
    if not INT_MIN <= value <= INT_MAX:
        raise _NotOnFastPath
    return value


def _refuse_literal(text: str) -> Any:
    raise _NotOnFastPath


# Reads only values in the C encoder's RFC 8785 subset (ledger.jcs): no floats, no NaN or
# Infinity, integers in the I-JSON range; exact dict/list/str/int/bool/None types come
# from the decoder itself.
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
    """_ENCODER.encode(value), for values _RESTRICTED_DECODER returns."""
    if _ENCODE_CHUNKS is None:
        return _ENCODER.encode(value)
    if isinstance(value, str):
        return json.encoder.encode_basestring(value)
    return "".join(_ENCODE_CHUNKS(value, 0))


def parse_canonical(data: bytes) -> Any:
    """`ledger.jcs.parse_canonical(data)`: the same value or the same FormatError, sooner."""
    try:
        text = data.decode("utf-8")
    except (AttributeError, UnicodeDecodeError):  # not bytes, not UTF-8: the reference says
        return jcs.parse_canonical(data)
    # Quickest path: a value the restricted decoder reads is in the subset where the C
    # encoder writes RFC 8785 (no floats, integers in range, keys below U+E000 as the whole
    # text is), so that encoder's output decides.
    if not _has_code_points_from_u_e000(data):
        parsed = _read_quickly(text)
        if parsed is not _UNSURE:
            return parsed
    # The C decoder without hooks. Whatever it reads differently from the reference
    # (duplicate names, NaN, integers beyond 2^53) cannot re-encode to the same bytes, so
    # only canonical inputs return here; the rest go to the reference, which names the fault.
    try:
        parsed = _PLAIN_DECODER.decode(text)
        if canonicalize(parsed) == data:
            return parsed
    except (ValueError, RecursionError, FormatError):
        pass
    return jcs.parse_canonical(data)


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
