"""Decompressing GS1 Digital Link URIs (traceapp.gs1.compression).

Vectors: ``ARHKVAdpQg`` and ``AREjalurbiAUO-cgohCz45Z67b8A`` are the examples of GS1's
compression prototype as published with the PyPI port gs1-compression 0.1.3 (README and tests),
as are ``QUCO_anbfA`` (GLN 414) and ``AQnYUc1gmiERBhQ0ytiyZuAGOLc1TXgpNWCv1`` (01, 10, 7003 and a
non-GS1 pair). The OCOP vectors were made with that package's ``compress_gs1_digital_link``
(``use_optimizations=False``; its optimised mode fails) on 2026-12-06; the optimised one is
derived by hand from tableOpt (code 0C = AIs 01 then 21, no AI digits written).
"""

from __future__ import annotations

from datetime import date

import pytest

from traceapp.gs1.compression import _ALPHABET, decompress_segment, looks_compressed
from traceapp.gs1.digital_link import DigitalLink
from traceapp.gs1.errors import Gs1Error, InvalidGtin

TODAY = date(2026, 12, 6)
GTIN = "08938505974019"


@pytest.mark.parametrize(
    "segment, link, other",
    [
        ("ARHKVAdpQg", DigitalLink("09780345418913"), ()),
        (
            "AREjalurbiAUO-cgohCz45Z67b8A",
            DigitalLink("09421902960055", "2010005828", "xyz1234"),
            (),
        ),
        ("ARBCUPJiBg", DigitalLink(GTIN), ()),
        ("ARBCUPJiBiDSXtpt19rqAQo1XgkY", DigitalLink(GTIN, "L2026-11A", "ABC123"), ()),
        (
            "ARBCUPJiBiDSXtpt19rqALolBxCjVeCRg",
            DigitalLink(GTIN, "L2026-11A", "ABC123", date(2028, 11, 2)),
            (),
        ),
        ("ARBCUPJiBkLMl9pppq", DigitalLink(GTIN, None, "S-0001"), ()),
        ("ARBCUPJiBiEHBXwg", DigitalLink(GTIN, "A/B"), ()),
        ("ARBCUPJiBiAMAA9g", DigitalLink(GTIN, "000123"), ()),  # numeric encoding keeps zeros
        ("ARBCUPJiBiBRV5veJA", DigitalLink(GTIN, "abcdef12"), ()),  # lower-case hex encoding
        (
            "ARBCUPJiBiDEXr4iWKeRPKl6B8_Ni64aeA",
            DigitalLink(GTIN, "L1"),
            (("linkType", "gs1:pip"),),
        ),
    ],
)
def test_vectors(segment: str, link: DigitalLink, other: tuple[tuple[str, str], ...]) -> None:
    assert looks_compressed(segment)
    decompressed = decompress_segment(segment, today=TODAY)
    assert decompressed.link == link and decompressed.other == other


def test_optimisation_code() -> None:
    plain = "".join(f"{_ALPHABET.index(c):06b}" for c in "ARBCUPJiBkLMl9pppq")  # 01 + 21
    assert plain.startswith("00000001")
    gtin_end = 8 + 47
    assert plain[gtin_end : gtin_end + 8] == "00100001"  # the AI 21 that 0C makes implicit
    bits = "00001100" + plain[8:gtin_end] + plain[gtin_end + 8 :]
    bits += "0" * (-len(bits) % 6)
    segment = "".join(_ALPHABET[int(bits[i : i + 6], 2)] for i in range(0, len(bits), 6))
    assert decompress_segment(segment).link == DigitalLink(GTIN, None, "S-0001")


@pytest.mark.parametrize(
    "segment, code",
    [
        ("QUCO_anbfA", "primary_key"),  # a GLN: not a product
        ("AQnYUc1gmiERBhQ0ytiyZuAGOLc1TXgpNWCv1", "unknown_qualifier"),  # AI 7003
        ("ARBCUPJiBg_", "compressed"),  # trailing bits that are no AI
        ("ZZZZZZZZZZ", "compressed"),  # optimisation code that does not exist
        ("ARBCUPJiBiDS", "compressed"),  # cut short
        ("not-compressed.", "compressed"),
    ],
)
def test_refused(segment: str, code: str) -> None:
    with pytest.raises(Gs1Error) as caught:
        decompress_segment(segment)
    assert caught.value.code == code and caught.value.message


def test_bad_check_digit_is_the_gtin_error() -> None:
    bits = "00000001" + format(int(GTIN[:-1] + "8"), "047b")
    bits += "0" * (-len(bits) % 6)
    segment = "".join(_ALPHABET[int(bits[i : i + 6], 2)] for i in range(0, len(bits), 6))
    with pytest.raises(InvalidGtin):
        decompress_segment(segment)


@pytest.mark.parametrize("word", ["console", "favicon.ico", "report", "healthz", "a/b", ""])
def test_ordinary_paths_do_not_look_compressed(word: str) -> None:
    assert not looks_compressed(word)
