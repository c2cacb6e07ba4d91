"""EPCs as GS1 Digital Link URIs on id.gs1.org, and how they map to our items and batches."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from traceapp.epcis.event_hash import canonical_digital_link
from traceapp.gs1.identifiers import with_check_digit

GS1_DL = "https://id.gs1.org"
_ITEM = re.compile(r"^https://id\.gs1\.org/01/(\d{14})/21/([^/?#]+)$")
_CLASS = re.compile(r"^https://id\.gs1\.org/01/(\d{14})/10/([^/?#]+)$")
_SGTIN_URN = re.compile(r"^urn:epc:id:sgtin:(\d+)\.(\d+)\.(.+)$")
_LGTIN_URN = re.compile(r"^urn:epc:class:lgtin:(\d+)\.(\d+)\.(.+)$")


def item_epc(gtin: str, serial: str) -> str:
    return f"{GS1_DL}/01/{gtin}/21/{quote(serial, safe='')}"


def batch_epc_class(gtin: str, lot: str) -> str:
    return f"{GS1_DL}/01/{gtin}/10/{quote(lot, safe='')}"


@dataclass(frozen=True)
class EpcRef:
    gtin: str
    serial: str | None = None
    lot: str | None = None


def _gtin_from_urn(company: str, reference: str) -> str:
    indicator, rest = reference[0], reference[1:]
    return with_check_digit(indicator + company + rest)


def parse_epc(uri: str) -> EpcRef | None:
    """Our reading of an EPC: a GTIN with a serial or a lot, or None when it is not one.

    EPC URNs and GS1 Digital Links on any host (with or without the lot before the serial) are
    first brought to the canonical id.gs1.org form, so every spelling of our items resolves.
    """
    uri = canonical_digital_link(uri) or uri
    if m := _ITEM.match(uri):
        return EpcRef(m.group(1), serial=unquote(m.group(2)))
    if m := _CLASS.match(uri):
        return EpcRef(m.group(1), lot=unquote(m.group(2)))
    if m := _SGTIN_URN.match(uri):
        return EpcRef(_gtin_from_urn(m.group(1), m.group(2)), serial=unquote(m.group(3)))
    if m := _LGTIN_URN.match(uri):
        return EpcRef(_gtin_from_urn(m.group(1), m.group(2)), lot=unquote(m.group(3)))
    return None
