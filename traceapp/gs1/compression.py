"""Compressed GS1 Digital Link URIs (GS1 Digital Link: Compression; DL 1.1 §9).

A compressed URI carries its application identifiers as one base64url path segment,
``https://host/ARHKVAdpQg`` for ``https://host/01/09780345418913``. The segment is a bit string
(6 bits per character, URI-safe alphabet): AIs as 4-bit digits, or an 8-bit optimisation code
standing for a fixed AI sequence; each value in its AI's encoding (fixed-length numeric as
one binary number of ceil(n·log2 10) bits; variable-length text as a 3-bit encoding, a length,
then 4, 6 or 7 bits per character); ``F`` starts a non-GS1 key=value pair; trailing padding
is shorter than one AI. The tables are those of GS1's compression prototype (the PyPI port
``gs1-compression`` 0.1.3 was used to make the test vectors; it is not a dependency: its
top-level ``gs1`` and ``tests`` packages collide with this project's test layout).

Only what this resolver issues is decoded (AIs 01, 10, 21, 17 and the optimisation codes made
of them); any other AI is reported by number as an unknown AI, under the same rules and typed
``Gs1Error`` as an uncompressed path.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from traceapp.gs1.digital_link import (
    EXPIRY_AI,
    GTIN_AI,
    LOT_AI,
    SERIAL_AI,
    DigitalLink,
)
from traceapp.gs1.errors import InvalidDigitalLink
from traceapp.gs1.identifiers import parse_expiry

__all__ = ["Decompressed", "decompress_segment", "looks_compressed"]

# The shortest compressed URI (a GLN or a GTIN alone) has 10 characters; words such as
# "console" or "favicon.ico" never match.
_COMPRESSED = re.compile(r"[A-Za-z0-9_-]{10,400}")
_SUPPORTED = frozenset({GTIN_AI, LOT_AI, SERIAL_AI, EXPIRY_AI})
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_HEX = "0123456789ABCDEF"
# AI -> ("N", fixed digits) or ("X", maximum characters): the entries of the prototype's tableF.
_VALUE_FORMAT = {GTIN_AI: ("N", 14), EXPIRY_AI: ("N", 6), LOT_AI: ("X", 20), SERIAL_AI: ("X", 20)}
# Optimisation codes whose AIs are all ours (tableOpt); other codes name AIs we never issue.
_OPTIMISED = {
    "0B": (GTIN_AI, LOT_AI),
    "0C": (GTIN_AI, SERIAL_AI),
    "0D": (GTIN_AI, EXPIRY_AI),
    "1A": (GTIN_AI, LOT_AI, SERIAL_AI, EXPIRY_AI),
}
_OPTIMISED_OTHERS = {"0A": "22", "0E": "7003", "0F": "30", "1B": "15", "1C": "11", "1D": "16"}
# Total AI length by its first two digits (tableP); a prefix not listed is a reserved range.
_AI_LENGTH = {
    **dict.fromkeys(
        [
            "00",
            "01",
            "02",
            "10",
            "11",
            "12",
            "13",
            "15",
            "16",
            "17",
            "20",
            "21",
            "22",
            "30",
            "37",
            "90",
            "91",
            "92",
            "93",
            "94",
            "95",
            "96",
            "97",
            "98",
            "99",
        ],
        2,
    ),
    **dict.fromkeys(["23", "24", "25", "40", "41", "42", "71"], 3),
    **dict.fromkeys(
        ["31", "32", "33", "34", "35", "36", "39", "43", "70", "72", "80", "81", "82"], 4
    ),
}


@dataclass(frozen=True, slots=True)
class Decompressed:
    link: DigitalLink
    other: tuple[tuple[str, str], ...]
    """Non-GS1 key=value pairs that were compressed with the AIs (e.g. ``linkType``)."""


def looks_compressed(segment: str) -> bool:
    """Whether a single path segment could be a compressed Digital Link."""
    return _COMPRESSED.fullmatch(segment) is not None


def decompress_segment(segment: str, *, today: date | None = None) -> Decompressed:
    """The Digital Link a compressed path segment stands for; ``Gs1Error`` if there is none."""
    if not looks_compressed(segment):
        raise InvalidDigitalLink("This is not a compressed GS1 Digital Link.", code="compressed")
    values = _decode_bits("".join(f"{_ALPHABET.index(c):06b}" for c in segment))
    ais = {k: v for k, v in values if k.isdigit()}
    other = tuple((k, v) for k, v in values if not k.isdigit())
    if GTIN_AI not in ais:
        raise InvalidDigitalLink(
            "A product link starts with /01/ followed by the product's GTIN.",
            code="primary_key",
        )
    unknown = sorted(set(ais) - _SUPPORTED)
    if unknown:
        raise InvalidDigitalLink(
            f"A product link cannot contain /{unknown[0]}/: after the GTIN only /10/ (lot) and "
            "then /21/ (serial number) may follow.",
            code="unknown_qualifier",
        )
    expiry = parse_expiry(ais[EXPIRY_AI], today=today) if EXPIRY_AI in ais else None
    link = DigitalLink(ais[GTIN_AI], ais.get(LOT_AI), ais.get(SERIAL_AI), expiry)
    return Decompressed(link, other)


def _damaged(what: str) -> InvalidDigitalLink:
    return InvalidDigitalLink(
        f"The link is damaged: its compressed code cannot be read ({what}).", code="compressed"
    )


class _Bits:
    def __init__(self, bits: str) -> None:
        self.bits = bits
        self.at = 0

    def left(self) -> int:
        return len(self.bits) - self.at

    def take(self, count: int) -> int:
        if count > self.left():
            raise _damaged("it ends too early")
        value = int(self.bits[self.at : self.at + count] or "0", 2)
        self.at += count
        return value


def _value_bits(digits: int) -> int:
    return math.ceil(digits * math.log2(10) + 0.01) if digits else 0


def _length_bits(maximum: int) -> int:
    return math.ceil(math.log2(maximum) + 0.01)


def _decode_bits(bits: str) -> list[tuple[str, str]]:
    """(AI or key, value) pairs in the order they were encoded."""
    reader = _Bits(bits)
    values: list[tuple[str, str]] = []
    while reader.left() > 8:
        h1, h2 = reader.take(4), reader.take(4)
        code = _HEX[h1] + _HEX[h2]
        if h1 <= 9 and h2 <= 9:
            length = _AI_LENGTH.get(code)
            if length is None:
                raise _damaged(f"no application identifier starts with {code}")
            ai = code
            for _ in range(length - 2):
                digit = reader.take(4)
                if digit > 9:
                    raise _damaged("an application identifier that is not all digits")
                ai += str(digit)
            if ai not in _VALUE_FORMAT:
                values.append((ai, ""))
                return values  # an AI we never issue: reported by the caller
            values.append((ai, _decode_value(reader, ai)))
        elif code in _OPTIMISED:
            values.extend((ai, _decode_value(reader, ai)) for ai in _OPTIMISED[code])
        elif code in _OPTIMISED_OTHERS:
            values.append((_OPTIMISED_OTHERS[code], ""))
            return values  # an AI we never issue: reported by the caller, nothing more to read
        elif h1 == 15:  # "F": a non-GS1 key=value pair, 7-bit key length (4 bits already read)
            key_length = (h2 << 3) | reader.take(3)
            key = "".join(_ALPHABET[reader.take(6)] for _ in range(key_length))
            encoding, count = reader.take(3), reader.take(7)
            values.append((key, _decode_text(reader, encoding, count)))
        else:
            raise _damaged(f"unknown optimisation code {code}")
    return values


def _decode_value(reader: _Bits, ai: str) -> str:
    kind, size = _VALUE_FORMAT[ai]
    if kind == "N":
        return str(reader.take(_value_bits(size))).zfill(size)
    encoding = reader.take(3)
    count = reader.take(_length_bits(size))
    return _decode_text(reader, encoding, count)


def _decode_text(reader: _Bits, encoding: int, count: int) -> str:
    """Encodings: 0 digits, 1 lower-case hex, 2 upper-case hex, 3 URI-safe base64, 4 ASCII."""
    if encoding == 0:
        return str(reader.take(_value_bits(count))).zfill(count) if count else ""
    if encoding in (1, 2):
        text = "".join(_HEX[reader.take(4)] for _ in range(count))
        return text.lower() if encoding == 1 else text
    if encoding == 3:
        return "".join(_ALPHABET[reader.take(6)] for _ in range(count))
    if encoding == 4:
        return "".join(chr(reader.take(7)) for _ in range(count))
    raise _damaged(f"unknown character encoding {encoding}")
