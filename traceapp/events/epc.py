"""EPCs as GS1 Digital Link URIs on id.gs1.org, and how they map to our items and batches."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from traceapp.gs1.canonical_link import canonical_digital_link

GS1_DL = "https://id.gs1.org"
_ITEM = re.compile(r"^https://id\.gs1\.org/01/(\d{14})/21/([^/?#]+)$")
_CLASS = re.compile(r"^https://id\.gs1\.org/01/(\d{14})/10/([^/?#]+)$")


def item_epc(gtin: str, serial: str) -> str:
    return f"{GS1_DL}/01/{gtin}/21/{quote(serial, safe='')}"


def batch_epc_class(gtin: str, lot: str) -> str:
    return f"{GS1_DL}/01/{gtin}/10/{quote(lot, safe='')}"


@dataclass(frozen=True)
class EpcRef:
    gtin: str
    serial: str | None = None
    lot: str | None = None


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
    return None
