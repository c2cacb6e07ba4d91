"""EPC URIs (EPC Tag Data Standard 2.0) as GS1 Digital Link URIs on ``https://id.gs1.org``.

``urn:epc:id:sgtin:4012345.011111.9876`` -> ``https://id.gs1.org/01/04012345111118/21/9876``.
Each scheme is one row: the EPC URI prefix, the exact syntax accepted after it, and how the
Digital Link path is built from the company prefix and the rest. The syntax and the quirks kept
are those of GS1's reference event hash generator (``dl_normaliser.py``), whose hashes
``traceapp.epcis.event_hash`` must reproduce (GS1 Digital Link 1.2 section 7.10).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from traceapp.gs1.identifiers import with_check_digit

__all__ = ["epc_uri_to_digital_link"]

_DL_BASE = "https://id.gs1.org/"
# Characters allowed in EPC URI serials (TDS "GS3A3" component, with %-escapes).
_ESCAPED = (
    r"(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]|%7[0-9Aa]"
    r"|[!')(*+,.0-9:;=A-Za-z_-])"
)
_CPI_ESCAPED = r"(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])"


def _percent_encode(text: str) -> str:
    # GS1 Digital Link table 7-1 characters that EPC URIs may carry unescaped.
    for char, escaped in (("!", "%21"), ("(", "%28"), (")", "%29"), ("*", "%2A"), ("+", "%2B")):
        text = text.replace(char, escaped)
    return text.replace(",", "%2C").replace(":", "%3A")


def _prefix_split(total: int, last: str | None = None) -> str:
    """Company prefix of 6 to 12 digits, a dot, and the rest of ``total`` digits.

    ``last`` overrides the 12-digit alternative where the reference writes it differently.
    """
    options = [rf"\d{{{cp}}}\.\d{{{total - cp}}}" for cp in range(6, 12)]
    options.append(last if last is not None else rf"\d{{12}}\.\d{{{total - 12}}}")
    return "(?:" + "|".join(options) + ")"


def _serial(limit: int) -> str:
    return _ESCAPED + "{1," + str(limit) + "}"


def _variable(total: int, char: str = _ESCAPED) -> str:
    """Company prefix and a reference that together hold at most ``total`` characters."""
    return "(?:" + "|".join(rf"\d{{{cp}}}\.{char}{{1,{total - cp}}}" for cp in range(6, 13)) + ")"


@dataclass(frozen=True)
class _EpcScheme:
    """An EPC URI scheme: its prefix, the exact syntax accepted and how to build the DL."""

    prefix: str
    syntax: str  # of what follows the prefix, as a regular expression
    build: Callable[[str, str], str]  # (company prefix, text after "prefix<cp>.") -> DL path
    pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", re.compile(self.syntax))

    def convert(self, uri: str) -> str | None:
        body = uri[len(self.prefix) :]
        if not uri.startswith(self.prefix) or not self.pattern.fullmatch(body):
            return None
        company_prefix, _, rest = body.partition(".")
        return _DL_BASE + self.build(company_prefix, rest)


def _gtin(cp: str, rest: str) -> str:
    """GTIN-14 from a company prefix and indicator+item reference (``rest`` starts with it)."""
    item_reference = rest[: 13 - len(cp)]
    return with_check_digit(item_reference[:1] + cp + item_reference[1:])


def _key(cp: str, rest: str, width: int) -> str:
    """A key of ``width`` digits (without check digit): company prefix + reference."""
    return with_check_digit(cp + rest[: width - len(cp)])


def _after(rest: str, cp: str, width: int) -> str:
    """What follows the ``width``-digit reference and its dot (serials, extensions)."""
    return rest[width - len(cp) + 1 :]


def _sgln(cp: str, rest: str) -> str:
    gln, extension = _key(cp, rest, 12), _after(rest, cp, 12)
    return f"414/{gln}" if extension == "0" else f"414/{gln}/254/{_percent_encode(extension)}"


def _itip(cp: str, rest: str) -> str:
    tail = _after(rest, cp, 13)  # "pp.tt.serial"
    return f"8006/{_gtin(cp, rest)}{tail[0:2]}{tail[3:5]}/21/{_percent_encode(tail[6:])}"


def _cpi(cp: str, rest: str) -> str:
    component, _, serial = rest.rpartition(".")
    return f"8010/{_percent_encode(cp + component)}/8011/{serial}"


_EPC_SCHEMES: tuple[_EpcScheme, ...] = (
    _EpcScheme(
        "urn:epc:id:sgtin:",
        _prefix_split(13) + r"\." + _serial(20),
        lambda cp, rest: f"01/{_gtin(cp, rest)}/21/{_percent_encode(_after(rest, cp, 13))}",
    ),
    _EpcScheme(
        "urn:epc:id:sscc:",
        _prefix_split(17),
        # The first digit after the dot is the SSCC extension digit, which leads the key.
        lambda cp, rest: f"00/{with_check_digit(rest[:1] + cp + rest[1:])}",
    ),
    _EpcScheme("urn:epc:id:sgln:", _prefix_split(12, r"\d{12}\.") + r"\." + _serial(20), _sgln),
    _EpcScheme(
        "urn:epc:id:grai:",
        # The reference wants three dots after a 12-digit company prefix; kept for equal hashes.
        _prefix_split(12, r"\d{12}\.\.") + r"\." + _serial(16),
        lambda cp, rest: (
            f"8003/{with_check_digit('0' + cp + rest[: 12 - len(cp)])}"
            + _percent_encode(_after(rest, cp, 12))
        ),
    ),
    _EpcScheme(
        "urn:epc:id:giai:", _variable(30), lambda cp, rest: f"8004/{cp}{_percent_encode(rest)}"
    ),
    _EpcScheme(
        "urn:epc:id:gsrn:", _prefix_split(17), lambda cp, rest: f"8018/{_key(cp, rest, 17)}"
    ),
    _EpcScheme(
        "urn:epc:id:gsrnp:", _prefix_split(17), lambda cp, rest: f"8017/{_key(cp, rest, 17)}"
    ),
    _EpcScheme(
        "urn:epc:id:gdti:",
        # No dot before the serial in the reference's pattern: the serial's class admits it.
        _prefix_split(12, r"\d{12}\.\.") + _serial(20),
        lambda cp, rest: f"253/{_key(cp, rest, 12)}{_percent_encode(_after(rest, cp, 12))}",
    ),
    _EpcScheme("urn:epc:id:cpi:", _variable(30, _CPI_ESCAPED) + r"\.\d{1,12}", _cpi),
    _EpcScheme(
        "urn:epc:id:sgcn:",
        _prefix_split(12, r"\d{12}\.") + r"\.\d{1,12}",
        lambda cp, rest: f"255/{_key(cp, rest, 12)}{_after(rest, cp, 12)}",
    ),
    _EpcScheme(
        "urn:epc:id:ginc:", _variable(30), lambda cp, rest: f"401/{cp}{_percent_encode(rest)}"
    ),
    _EpcScheme("urn:epc:id:gsin:", _prefix_split(16), lambda cp, rest: f"402/{_key(cp, rest, 16)}"),
    _EpcScheme("urn:epc:id:itip:", _prefix_split(13) + r"\.\d{2}\.\d{2}\." + _serial(20), _itip),
    _EpcScheme(
        "urn:epc:id:upui:",
        _prefix_split(13) + r"\." + _serial(28),
        lambda cp, rest: f"01/{_gtin(cp, rest)}/235/{_percent_encode(_after(rest, cp, 13))}",
    ),
    _EpcScheme(
        "urn:epc:id:pgln:",
        _prefix_split(12, r"\d{12}\."),
        lambda cp, rest: f"417/{_key(cp, rest, 12)}",
    ),
    _EpcScheme(
        "urn:epc:class:lgtin:",
        _prefix_split(13) + r"\." + _serial(20),
        lambda cp, rest: f"01/{_gtin(cp, rest)}/10/{_percent_encode(_after(rest, cp, 13))}",
    ),
    # EPC pattern URIs: the class-level key (GS1 DL 1.2 "constrained": lowest level given).
    _EpcScheme(
        "urn:epc:idpat:sgtin:",
        _prefix_split(13) + r"\.\*",
        lambda cp, rest: f"01/{_gtin(cp, rest)}",
    ),
    _EpcScheme(
        "urn:epc:idpat:grai:",
        _prefix_split(12, r"\d{12}\.\.") + r"\.\*",
        lambda cp, rest: f"8003/{with_check_digit('0' + cp + rest[: 12 - len(cp)])}",
    ),
    _EpcScheme(
        "urn:epc:idpat:gdti:",
        _prefix_split(12, r"\d{12}\.\.") + r"\.\*",
        lambda cp, rest: f"253/{_key(cp, rest, 12)}",
    ),
    _EpcScheme(
        "urn:epc:idpat:sgcn:",
        _prefix_split(12, r"\d{12}\.\.") + r"\.\*",
        lambda cp, rest: f"255/{_key(cp, rest, 12)}",
    ),
    _EpcScheme(
        "urn:epc:idpat:cpi:",
        _variable(30, _CPI_ESCAPED) + r"\.\*",
        lambda cp, rest: f"8010/{_percent_encode(cp + rest.rpartition('.')[0])}",
    ),
    _EpcScheme(
        "urn:epc:idpat:itip:",
        _prefix_split(13) + r"\.\d{2}\.\d{2}\.\*",
        lambda cp, rest: (
            f"8006/{_gtin(cp, rest)}{_after(rest, cp, 13)[0:2]}" + _after(rest, cp, 13)[3:5]
        ),
    ),
    _EpcScheme(
        "urn:epc:idpat:upui:", _prefix_split(13) + r"\.\*", lambda cp, rest: f"01/{_gtin(cp, rest)}"
    ),
)


def epc_uri_to_digital_link(uri: str) -> str | None:
    """The Digital Link of an EPC URI (``urn:epc:id:...``, ``urn:epc:class:lgtin:...`` or an
    ``urn:epc:idpat:...`` pattern, whose class-level key it names), else ``None``."""
    for scheme in _EPC_SCHEMES:
        converted = scheme.convert(uri)
        if converted is not None:
            return converted
    return None
