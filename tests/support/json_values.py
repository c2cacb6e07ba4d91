"""Hypothesis strategies for JSON values, and rfc8785 as the oracle (tests of ledger.jcs)."""

from __future__ import annotations

from typing import Any

import rfc8785
from hypothesis import strategies as st

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
