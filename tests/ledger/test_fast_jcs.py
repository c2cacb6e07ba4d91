"""ledger.fast.jcs: the quicker parse paths accept exactly what the reference and rfc8785 do."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from support.json_values import (
    INT_MAX,
    any_values,
    fast_path_texts,
    in_range_ints,
    json_values,
    rfc8785_or_error,
    texts,
)

from ledger import jcs
from ledger.errors import FormatError
from ledger.fast.jcs import ObjectLayouts, parse_canonical, read_canonical_object

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
    """Whether the fast parser accepts `data`; the reference must agree, value and error."""
    try:
        parsed = parse_canonical(data)
    except FormatError as exc:
        with pytest.raises(FormatError) as reference:
            jcs.parse_canonical(data)
        assert str(reference.value) == str(exc)
        return False
    assert jcs.parse_canonical(data) == parsed
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
        mock.patch("ledger.jcs._encoder_agrees", side_effect=AssertionError("fell back")),
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
    with mock.patch("ledger.fast.jcs.read_canonical_object", side_effect=AssertionError("decoded")):
        assert layouts.is_canonical('{"a":"Nước mắm","b":["",1,{"c":"\ue000 \x7f"}]}'.encode())


def test_object_layouts_rest_while_layouts_keep_changing() -> None:
    layouts = ObjectLayouts()
    for n in range(256):  # numbers lie between the strings: each object a new layout
        assert layouts.is_canonical(b'{"a":"x","n":%d}' % n)
    with mock.patch("ledger.fast.jcs.read_canonical_object", wraps=read_canonical_object) as full:
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
