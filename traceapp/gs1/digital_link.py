"""GS1 Digital Link URIs (URI Syntax 1.2) for products, batches and serialised items.

Shape (DESIGN §6): ``{base}/01/{gtin14}[/10/{lot}][/21/{serial}][?17=YYMMDD]``. The grammar
of the standard (``gtin-path = gtin-comp [cpv-comp] [lot-comp] [ser-comp]``) allows each
qualifier at most once, in that order, so ``/01/{gtin}/21/{serial}`` (an item whose lot is
not in its link) is valid too. Values are percent-encoded as GS1's reference encoder does:
every character outside RFC 3986 "unreserved" (``A-Z a-z 0-9 - . _ ~``) is escaped, which
for CSET 82 means ``! " % & ' ( ) * + , / : ; < = > ?``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal
from urllib.parse import quote, unquote_plus, unquote_to_bytes, urlsplit

from traceapp.gs1.errors import (
    Gs1Error,
    InvalidDigitalLink,
    InvalidExpiry,
    InvalidGtin,
    InvalidLot,
    InvalidSerial,
)
from traceapp.gs1.identifiers import (
    format_expiry,
    normalise_gtin,
    parse_expiry,
    validate_lot,
    validate_serial,
)

GTIN_AI = "01"
LOT_AI = "10"
SERIAL_AI = "21"
EXPIRY_AI = "17"
CPV_AI = "22"
LINK_TYPE_PARAM = "linkType"

LinkKind = Literal["product", "batch", "item"]

# Qualifiers of AI 01 that this system issues, with their rank in the mandated order.
_QUALIFIER_RANK = {LOT_AI: 1, SERIAL_AI: 2}
_QUALIFIER_NAME = {LOT_AI: "lot", SERIAL_AI: "serial"}
_QUALIFIER_LABEL = {LOT_AI: "lot code", SERIAL_AI: "serial number"}
_QUALIFIER_ERROR: dict[str, type[Gs1Error]] = {LOT_AI: InvalidLot, SERIAL_AI: InvalidSerial}
# Keys and qualifiers identify the thing; in the query string they would be ambiguous.
_PATH_ONLY_AIS = frozenset({GTIN_AI, LOT_AI, SERIAL_AI, CPV_AI})
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


@dataclass(frozen=True, slots=True)
class DigitalLink:
    """What a GS1 Digital Link identifies: a product, a batch of it, or one item.

    Always valid: the GTIN is stored in its 14-digit form and lot and serial are checked
    against CSET 82 on construction, raising the matching ``Gs1Error``.
    """

    gtin: str
    lot: str | None = None
    serial: str | None = None
    expiry: date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "gtin", normalise_gtin(self.gtin))
        if self.lot is not None:
            validate_lot(self.lot)
        if self.serial is not None:
            validate_serial(self.serial)

    @property
    def kind(self) -> LinkKind:
        if self.serial is not None:
            return "item"
        return "batch" if self.lot is not None else "product"

    @property
    def element_string(self) -> str:
        """The human-readable GS1 element string, ``(01){gtin14}[(10){lot}][(21){serial}]``."""
        code = f"({GTIN_AI}){self.gtin}"
        if self.lot is not None:
            code += f"({LOT_AI}){self.lot}"
        if self.serial is not None:
            code += f"({SERIAL_AI}){self.serial}"
        return code

    @property
    def path(self) -> str:
        """The percent-encoded path, ``/01/{gtin14}[/10/{lot}][/21/{serial}]``."""
        path = f"/{GTIN_AI}/{self.gtin}"
        if self.lot is not None:
            path += f"/{LOT_AI}/{quote(self.lot, safe='')}"
        if self.serial is not None:
            path += f"/{SERIAL_AI}/{quote(self.serial, safe='')}"
        return path


def format_uri(base_url: str, link: DigitalLink, *, today: date | None = None) -> str:
    """The Digital Link URI of ``link`` on ``base_url`` (e.g. ``TRACEAPP_PUBLIC_URL``).

    ``today`` fixes the reference year of the two-digit expiry year (GenSpecs §7.12).
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"base URL must be http(s)://host[/path], not {base_url!r}")
    uri = base_url.rstrip("/") + link.path
    if link.expiry is not None:
        uri += f"?{EXPIRY_AI}={format_expiry(link.expiry, today=today)}"
    return uri


def parse_uri(uri: str, *, base_url: str | None = None, today: date | None = None) -> DigitalLink:
    """Parse a whole URI (e.g. read from a QR Code).

    Without ``base_url`` the path must start with ``/01/``; with it, the URI must be on that
    base (scheme and host compared case-insensitively) and its path may carry the base's
    own path prefix, as ``format_uri`` writes it.
    """
    parts = urlsplit(uri)
    path = parts.path
    if base_url is not None:
        base = urlsplit(base_url)
        prefix = base.path.rstrip("/")
        same_site = (parts.scheme.lower(), parts.netloc.lower()) == (
            base.scheme.lower(),
            base.netloc.lower(),
        )
        if not same_site or not path.startswith(prefix + "/"):
            raise InvalidDigitalLink("This link does not belong to this site.", code="foreign")
        path = path[len(prefix) :]
    return parse_path(path, parts.query, today=today)


def parse_path(path: str, query: str = "", *, today: date | None = None) -> DigitalLink:
    """Parse the still percent-encoded path (and query string) of a Digital Link request.

    ``path`` must be the raw request path: a WSGI ``PATH_INFO`` has ``%2F`` already turned
    into ``/`` and cannot tell a slash inside a lot from a separator. GTIN-8/12/13 are
    padded to 14 digits. In the query, ``17`` gives the expiry, ``linkType`` is left to the
    resolver, other parameters are ignored. Raises ``Gs1Error`` subclasses whose ``field``
    is ``gtin``, ``lot``, ``serial``, ``expiry``, ``path`` or ``query``.
    """
    if not path.startswith("/"):
        raise InvalidDigitalLink("A link path starts with '/'.", code="relative_path")
    segments = path[1:].removesuffix("/").split("/")
    ai, raw_gtin = segments[0], segments[1] if len(segments) > 1 else ""
    if ai != GTIN_AI:
        raise InvalidDigitalLink(
            "A product link starts with /01/ followed by the product's GTIN.",
            code="primary_key",
        )
    if not raw_gtin:
        raise InvalidGtin("The GTIN is missing after /01/.", code="missing")
    gtin = normalise_gtin(_decode(raw_gtin, "gtin"))

    qualifiers: dict[str, str] = {}
    previous_rank = 0
    for index in range(2, len(segments), 2):
        ai = segments[index]
        if not ai:
            raise InvalidDigitalLink("The link has an empty part ('//').", code="empty_segment")
        rank = _QUALIFIER_RANK.get(ai)
        if rank is None:
            shown = f"/{ai}/" if ai.isascii() and ai.isdigit() and len(ai) <= 4 else "this part"
            raise InvalidDigitalLink(
                f"A product link cannot contain {shown}: after the GTIN only /10/ (lot) and "
                "then /21/ (serial number) may follow.",
                code="unknown_qualifier",
            )
        if ai in qualifiers:
            raise InvalidDigitalLink(f"The link gives /{ai}/ twice.", code="duplicate")
        if rank < previous_rank:
            raise InvalidDigitalLink(
                "The lot (/10/) must come before the serial number (/21/).", code="order"
            )
        previous_rank = rank
        name = _QUALIFIER_NAME[ai]
        raw = segments[index + 1] if index + 1 < len(segments) else ""
        if not raw:
            raise _QUALIFIER_ERROR[ai](
                f"The {_QUALIFIER_LABEL[ai]} is missing after /{ai}/.", code="missing"
            )
        qualifiers[ai] = _decode(raw, name)

    return DigitalLink(
        gtin=gtin,
        lot=qualifiers.get(LOT_AI),
        serial=qualifiers.get(SERIAL_AI),
        expiry=_parse_query_expiry(query, today),
    )


def query_link_type(query: str) -> str | None:
    """The ``linkType`` a resolver request asks for (e.g. ``gs1:pip``, ``all``), if any."""
    for key, value in _query_params(query):
        if key == LINK_TYPE_PARAM:
            return value
    return None


def _parse_query_expiry(query: str, today: date | None) -> date | None:
    expiry: date | None = None
    seen = False
    for key, value in _query_params(query):
        if key in _PATH_ONLY_AIS:
            raise InvalidDigitalLink(
                f"The identifier {key} belongs in the link's path, not after '?'.",
                code="misplaced",
                field="query",
            )
        if key != EXPIRY_AI:
            continue
        if seen:
            raise InvalidExpiry("The expiry date (17) is given twice.", code="duplicate")
        seen = True
        expiry = parse_expiry(value, today=today)
    return expiry


def _query_params(query: str) -> list[tuple[str, str]]:
    params = []
    for part in query.split("&"):
        if part:
            key, _, value = part.partition("=")
            params.append((unquote_plus(key), unquote_plus(value)))
    return params


def _decode(segment: str, field: str) -> str:
    """Strict percent-decoding: a stray '%' or bytes that are not UTF-8 are errors."""
    if _BAD_PERCENT.search(segment):
        raise InvalidDigitalLink(
            "The link is damaged: a '%' is not followed by two hexadecimal digits.",
            code="percent_encoding",
            field=field,
        )
    try:
        return unquote_to_bytes(segment).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidDigitalLink(
            "The link is damaged: it contains bytes that are not text.",
            code="percent_encoding",
            field=field,
        ) from None
