"""ledger.jcs: RFC 8785 canonical JSON, its fast path, and the canonical-form parser."""

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

from ledger.errors import FormatError
from ledger.jcs import ObjectLayouts, canonicalize, parse_canonical, read_canonical_object

INT_MAX = 2**53 - 1

# Characters where JSON escaping or UTF-16 ordering gets interesting.
TRICKY_CHARS = [
    "\x00", "\x08", "\t", "\n", "\x0c", "\r", "\x1f", " ", '"', "\\", "/", "\x7f", "\x80",
    "\u00f6", "\u2028", "\u20ac", "\ud7ff", "\ue000", "\ufb33", "\ufeff", "\uffff",
    "\U00010000", "\U0001f600", "\U0010ffff",
]  # fmt: skip
# Lone surrogates cannot be encoded at all; they have a test of their own.
chars = st.one_of(st.characters(exclude_categories=["Cs"]), st.sampled_from(TRICKY_CHARS))
texts = st.text(chars, max_size=12)
# Keys below U+E000 sort the same by code point and by UTF-16 code unit.
fast_path_texts = st.text(
    st.one_of(
        st.characters(max_codepoint=0xDFFF, exclude_categories=["Cs"]),
        st.sampled_from([c for c in TRICKY_CHARS if c < "\ue000"]),
    ),
    max_size=12,
)
in_range_ints = st.one_of(
    st.integers(min_value=-INT_MAX, max_value=INT_MAX),
    st.sampled_from([0, -1, INT_MAX, -INT_MAX]),
)


def json_values(
    strings: st.SearchStrategy[str], scalars: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=5), st.dictionaries(strings, children, max_size=5)
        ),
        max_leaves=25,
    )


fast_path_values = json_values(
    fast_path_texts, st.one_of(st.none(), st.booleans(), in_range_ints, texts)
)
any_values = json_values(
    texts,
    st.one_of(
        st.none(),
        st.booleans(),
        in_range_ints,
        st.integers(),  # mostly outside the I-JSON range: both implementations must refuse
        st.floats(allow_nan=False, allow_infinity=False),
        texts,
    ),
)


def rfc8785_or_error(value: Any) -> bytes | None:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError):
        return None


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


# ------------------------------------------------ parse_canonical agrees with rfc8785 exactly


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def _double_or_int(text: str) -> int | float:
    # RFC 8785 numbers are IEEE 754 doubles; within ±(2**53 - 1) an int is the same number.
    value = int(text)
    return value if -INT_MAX <= value <= INT_MAX else float(text)


def rfc8785_accepts(data: bytes) -> bool:
    """The oracle: `data` is what rfc8785 writes for the JSON value `data` holds."""
    try:
        value = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_no_duplicate_keys,
            parse_int=_double_or_int,
            parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)),
        )
    except (ValueError, RecursionError):
        return False
    return rfc8785_or_error(value) == data


def parse_canonical_accepts(data: bytes) -> bool:
    try:
        parse_canonical(data)
    except FormatError:
        return False
    return True


# Edits that turn a canonical text into one that may or may not be canonical.
EDITS = [b" ", b"\n", b"0", b"1", b".0", b"e1", b"-", b"\\", b'"', b",", b"u00e9", b"\xee\x80\x80"]


@st.composite
def edited_texts(draw: st.DrawFn) -> bytes:
    value = draw(any_values)
    canonical = rfc8785_or_error(value)
    if canonical is None:
        canonical = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    position = draw(st.integers(min_value=0, max_value=len(canonical)))
    kind = draw(st.sampled_from(["insert", "delete", "replace", "none"]))
    if kind == "none":
        return canonical
    edit = draw(st.sampled_from(EDITS))
    if kind == "insert":
        return canonical[:position] + edit + canonical[position:]
    if kind == "delete":
        return canonical[:position] + canonical[position + 1 :]
    return canonical[:position] + edit + canonical[position + len(edit) :]


@settings(max_examples=600, deadline=None)
@given(edited_texts())
def test_parse_canonical_accepts_exactly_what_rfc8785_writes(data: bytes) -> None:
    assert parse_canonical_accepts(data) == rfc8785_accepts(data)


# Objects whose keys sort differently by code point and by UTF-16 code unit (RFC 8785 §3.2.3).
order_sensitive_values = st.dictionaries(
    st.text(st.sampled_from(["a", "\ue000", "\uffff", "\U00010000", "\U0001f600"]), max_size=2),
    st.integers(min_value=0, max_value=9),
    min_size=2,
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(any_values, order_sensitive_values),
    st.sampled_from(
        [
            lambda v: json.dumps(v),
            lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":")),
            lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"), sort_keys=True),
        ]
    ),
)
def test_parse_canonical_agrees_with_rfc8785_on_other_encoders(value: Any, dumps: Any) -> None:
    try:
        data = dumps(value).encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return
    assert parse_canonical_accepts(data) == rfc8785_accepts(data)


# Float-free values whose every character (keys and strings) is below U+E000: the quickest
# path's whole domain.
quick_path_values = json_values(
    fast_path_texts, st.one_of(st.none(), st.booleans(), in_range_ints, fast_path_texts)
)


@settings(max_examples=300, deadline=None)
@given(quick_path_values)
def test_the_quickest_parse_path_reads_rfc8785_output_alone(value: Any) -> None:
    canonical = rfc8785.dumps(value)
    with (
        mock.patch("ledger.jcs.rfc8785.dumps", side_effect=AssertionError("fell back")),
        mock.patch("ledger.jcs._check_fast_path", side_effect=AssertionError("fell back")),
    ):
        parsed = parse_canonical(canonical)
    assert parsed == value
    assert rfc8785.dumps(parsed) == canonical


@pytest.mark.parametrize(
    "data",
    [
        '{"\ue000":1,"\U0001f600":2}'.encode(),  # code-point order, not UTF-16 order
        b'{"a":1.5}',  # floats go to the slower paths, which accept canonical ones
        b"[9007199254740991,-9007199254740991]",
        b"9007199254740992",  # 2**53, read as a double
        '{"\U0001f600":2,"\ue000":1}'.encode(),  # UTF-16 order: canonical
    ],
)
def test_parse_canonical_agrees_with_rfc8785_off_the_quickest_path(data: bytes) -> None:
    assert parse_canonical_accepts(data) == rfc8785_accepts(data)


# ------------------------------------------- ObjectLayouts: canonical objects by their layout

# What may replace a string's contents: any text (quotes, backslashes and controls included),
# and bytes that are not UTF-8 (a lone byte, an encoded surrogate).
string_contents = st.one_of(
    texts.map(lambda text: text.encode("utf-8")),
    st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b'"', b'":"', b'",":', b"\\"]),
)


@st.composite
def relaid_objects(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """A canonical object, and a text laid out like it: string contents replaced, or edited."""
    value = draw(st.dictionaries(texts, any_values, max_size=5))
    canonical = rfc8785_or_error(value)
    if canonical is None:
        canonical = b'{"a":"x","b":[1,"y",{"c":null}]}'
    parts = canonical.split(b'"')
    for i in range(1, len(parts), 2):
        if draw(st.booleans()):
            parts[i] = draw(string_contents)
    text = b'"'.join(parts)
    if draw(st.booleans()):
        position = draw(st.integers(min_value=0, max_value=len(text)))
        edit = draw(st.sampled_from([*EDITS, b":", b"[]", b"{}", b'""']))
        text = text[:position] + edit + text[position + draw(st.integers(0, 1)) :]
    return canonical, text


@settings(max_examples=1500, deadline=None)
@given(relaid_objects())
def test_object_layouts_accept_only_canonical_objects(pair: tuple[bytes, bytes]) -> None:
    canonical, text = pair
    layouts = ObjectLayouts()
    assert layouts.is_canonical(canonical) == (read_canonical_object(canonical) is not None)
    if layouts.is_canonical(text):
        assert rfc8785_accepts(text), text
        assert type(parse_canonical(text)) is dict


def test_object_layouts_recognise_other_values_by_layout_alone() -> None:
    layouts = ObjectLayouts()
    assert layouts.is_canonical(b'{"a":"x","b":["y",1,{"c":"z"}]}')
    with mock.patch("ledger.jcs.read_canonical_object", side_effect=AssertionError("decoded")):
        assert layouts.is_canonical('{"a":"Nước mắm","b":["",1,{"c":"\ue000 \x7f"}]}'.encode())


def test_object_layouts_rest_while_layouts_keep_changing() -> None:
    layouts = ObjectLayouts()
    for n in range(256):  # numbers lie between the strings: each object a new layout
        assert layouts.is_canonical(b'{"a":"x","n":%d}' % n)
    with mock.patch("ledger.jcs.read_canonical_object", wraps=read_canonical_object) as full:
        assert layouts.is_canonical(b'{"a":"y","n":7}')  # a known layout, but checked in full
        assert not layouts.is_canonical(b'{"a":"y","n":07}')
    assert full.call_count == 2


@pytest.mark.parametrize(
    ("learned", "text", "canonical"),
    [
        (b'{"a":1}', b'{"a":1}"', False),  # a quote that opens no string
        (b'{"a":"x"}', b'{"a":"\x01"}', False),  # a control must be escaped
        (b'{"a":"x"}', b'{"a":"\\u0001"}', True),  # as it is here
        (b'{"a":"x"}', b'{"a":"\xff"}', False),  # not UTF-8
        (b'{"a":"x"}', b'{"a":"\xed\xa0\x80"}', False),  # an encoded lone surrogate
        (b'{"a":"x","b":"y"}', b'{"b":"x","a":"y"}', False),  # same layout, names unsorted
        (b'{"a":"x","b":"y"}', b'{"a":"x","a":"y"}', False),  # a name twice
        (b'{"a":[]}', b'{"a":["x""y"]}', False),
        (b'{"a":"x"}', b'{"a":"x","b":"y"}', True),  # another layout: checked in full
    ],
)
def test_object_layouts_check_in_full_what_they_do_not_know(
    learned: bytes, text: bytes, canonical: bool
) -> None:
    layouts = ObjectLayouts()
    assert layouts.is_canonical(learned)
    assert layouts.is_canonical(text) is canonical
    assert rfc8785_accepts(text) is canonical
