"""ledger.jcs: RFC 8785 canonical JSON, its encoder shortcut, and the canonical-form parser."""

from __future__ import annotations

import enum
import json
import struct
from collections import OrderedDict
from typing import Any
from unittest import mock

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from support.json_values import (
    INT_MAX,
    any_values,
    fast_path_values,
    rfc8785_or_error,
)

from ledger.errors import FormatError
from ledger.jcs import canonicalize, parse_canonical

# ---------------------------------------------------------------------------- canonicalize


def test_rfc8785_section_3_2_4_example() -> None:
    source = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], '
        r'"string": "\u20ac$\u000F\u000aA'
        "'"
        r'\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    ).encode()
    assert canonicalize(json.loads(source)) == expected


def test_rfc8785_section_3_2_3_sorts_keys_by_utf16_code_units() -> None:
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys_in_order = list(json.loads(canonicalize(value)))
    # U+1F600 is the surrogate pair D83D DE00, so it sorts before U+FB33 (not after, as by
    # code point); that is the case the fast path must hand to rfc8785.
    assert keys_in_order == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


@pytest.mark.parametrize(
    ("bits", "expected"),
    [
        (0x0000000000000000, "0"),
        (0x8000000000000000, "0"),  # -0
        (0x0000000000000001, "5e-324"),
        (0x8000000000000001, "-5e-324"),
        (0x7FEFFFFFFFFFFFFF, "1.7976931348623157e+308"),
        (0x4340000000000000, "9007199254740992"),
        (0x4430000000000000, "295147905179352830000"),
        (0x44B52D02C7E14AF5, "9.999999999999997e+22"),
        (0x44B52D02C7E14AF6, "1e+23"),
        (0x3EB0C6F7A0B5ED8D, "0.000001"),
        (0x3EB0C6F7A0B5ED8C, "9.999999999999997e-7"),
    ],
)
def test_rfc8785_appendix_b_numbers(bits: int, expected: str) -> None:
    (number,) = struct.unpack(">d", bits.to_bytes(8, "big"))
    assert canonicalize([number]) == f"[{expected}]".encode()


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        float("inf"),
        [float("-inf")],
        INT_MAX + 1,
        {"n": -INT_MAX - 1},
        {1: "non-string key"},
        {True: "bool key"},
        b"bytes",
        {"a", "set"},
        "lone surrogate \ud800",
        {"\udfff": "lone surrogate key"},
        object(),
    ],
    ids=repr,
)
def test_values_rfc8785_cannot_represent_are_format_errors(value: object) -> None:
    with pytest.raises(FormatError):
        canonicalize(value)


def test_deep_or_circular_values_are_format_errors() -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(FormatError, match="nested too deeply"):
        canonicalize(deep)
    circular: list[Any] = []
    circular.append(circular)
    with pytest.raises(FormatError, match="nested too deeply"):
        canonicalize(circular)


class Colour(enum.Enum):
    RED = "red"


class StrColour(enum.StrEnum):
    RED = "red"


class Count(enum.IntEnum):
    TWO = 2


@pytest.mark.parametrize(
    "value",
    [
        (1, "tuple"),
        OrderedDict([("b", 1), ("a", 2)]),
        {"colour": StrColour.RED, "count": Count.TWO},
        [True, False, None, 1, -1, 0],
        {"float": 1.0, "int": 1},
    ],
    ids=repr,
)
def test_subclasses_and_other_types_behave_exactly_like_rfc8785(value: object) -> None:
    assert canonicalize(value) == rfc8785.dumps(value)  # type: ignore[arg-type]


def test_plain_enums_are_refused_like_rfc8785() -> None:
    with pytest.raises(FormatError):
        canonicalize({"colour": Colour.RED})


@settings(max_examples=250, deadline=None)
@given(any_values)
def test_canonicalize_is_byte_identical_to_rfc8785(value: Any) -> None:
    expected = rfc8785_or_error(value)
    if expected is None:
        with pytest.raises(FormatError):
            canonicalize(value)
    else:
        assert canonicalize(value) == expected


@settings(max_examples=250, deadline=None)
@given(fast_path_values)
def test_fast_path_handles_float_free_values_without_rfc8785(value: Any) -> None:
    expected = rfc8785.dumps(value)
    with mock.patch("ledger.jcs.rfc8785.dumps", side_effect=AssertionError("fell back")):
        assert canonicalize(value) == expected


@settings(max_examples=100, deadline=None)
@given(any_values, st.sampled_from(["\ud800", "\udbff\u0041", "\udc00"]))
def test_lone_surrogates_are_refused_on_both_paths(value: Any, surrogate: str) -> None:
    with pytest.raises(FormatError):
        canonicalize([value, surrogate])
    with pytest.raises(FormatError):
        canonicalize({surrogate: value})


# ---------------------------------------------------------------------------- parse_canonical


@settings(max_examples=150, deadline=None)
@given(any_values)
def test_parse_canonical_accepts_every_canonical_text(value: Any) -> None:
    canonical = rfc8785_or_error(value)
    if canonical is None:
        return
    parsed = parse_canonical(canonical)
    assert canonicalize(parsed) == canonical


@settings(max_examples=150, deadline=None)
@given(fast_path_values)
def test_parse_canonical_returns_the_value(value: Any) -> None:
    assert parse_canonical(canonicalize(value)) == value


@settings(max_examples=150, deadline=None)
@given(any_values)
def test_parse_canonical_rejects_other_serializations(value: Any) -> None:
    canonical = rfc8785_or_error(value)
    if canonical is None:
        return
    for other in [
        json.dumps(value).encode(),  # spaces after separators, \u escapes, code-point key order
        json.dumps(value, indent=1).encode(),
        canonical + b"\n",
        b" " + canonical,
    ]:
        if other != canonical:
            with pytest.raises(FormatError):
                parse_canonical(other)


@pytest.mark.parametrize(
    "data",
    [
        b'{"b":1,"a":2}',  # keys out of order
        b'{"a": 1}',  # whitespace
        b'{"a":1,"a":1}',  # duplicate key, even with equal values
        b'{"a":{"b":1,"b":2}}',
        b'"\xff"',  # invalid UTF-8
        b'"\xed\xa0\x80"',  # UTF-8 encoded surrogate
        b'\xef\xbb\xbf{"a":1}',  # byte order mark
        b'"\\u0041"',  # needless escape
        b'"\\ud800"',  # escaped lone surrogate
        b'"\\u00e9"',  # non-ASCII must be raw UTF-8
        b'"\\u001F"',  # upper-case hex escape
        b"1.0",
        b"1E2",
        b"-0",
        b"01",
        b"9007199254740993",  # not a double: the nearest one is written ...992
        b"1" + b"0" * 400,  # overflows a double
        b"1" + b"0" * 5000,  # longer than Python's int() accepts
        b"NaN",
        b"Infinity",
        b"[1,]",
        b"",
        b"{}{}",
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=lambda data: repr(data[:30]),
)
def test_parse_canonical_rejects(data: bytes) -> None:
    with pytest.raises(FormatError):
        parse_canonical(data)


def test_integers_beyond_2_to_the_53_are_read_as_doubles() -> None:
    # RFC 8785 numbers are IEEE 754 doubles: 2**53 is canonical, its neighbour 2**53 + 1 is not.
    assert canonicalize(float(2**53)) == b"9007199254740992"
    assert parse_canonical(b"9007199254740992") == float(2**53)
    assert parse_canonical(b"[-9007199254740991]") == [-INT_MAX]
    assert type(parse_canonical(b"9007199254740991")) is int
    assert parse_canonical(b"295147905179352830000") == 2.9514790517935283e20


def test_parse_canonical_names_the_first_differing_byte() -> None:
    with pytest.raises(FormatError, match="first difference at byte 5"):
        parse_canonical(b'{"a": 1}')


def test_parse_canonical_wants_bytes() -> None:
    with pytest.raises(FormatError, match="must be bytes"):
        parse_canonical('{"a":1}')  # type: ignore[arg-type]


def test_parse_canonical_of_a_ledger_like_entry() -> None:
    entry = {
        "v": 1,
        "log": "truyxuat.ocop.example.vn/ledger",
        "seq": 0,
        "prev": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "recorded": "2026-11-28T14:42:43.123Z",
        "type": "event.recorded",
        "actor": "hoa+0a1b2c3d",
        "statement": {"product": "Nước mắm Phú Quốc", "qty": 120, "tags": ["ocop", "★★★★"]},
        "sig": "c2ln",
    }
    data = canonicalize(entry)
    assert data.startswith(b'{"actor":"hoa+0a1b2c3d","log":')
    assert "Nước mắm Phú Quốc".encode() in data
    assert parse_canonical(data) == entry


@settings(max_examples=3000, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_take_the_fast_path_only_where_python_and_ecmascript_agree(value: float) -> None:
    # RFC 8785 §3.2.2.3: ECMAScript Number::toString; Python's repr agrees only on part of it.
    assert canonicalize(value) == rfc8785.dumps(value)
    assert canonicalize({"q": [value, 1.5, -0.25]}) == rfc8785.dumps({"q": [value, 1.5, -0.25]})
