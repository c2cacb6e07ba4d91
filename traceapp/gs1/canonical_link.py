"""GS1 Digital Link URIs and EPC URIs in the constrained canonical GS1 Digital Link form.

GS1 Digital Link 1.2 section 7.10: on ``https://id.gs1.org``, application identifiers instead of
the short names of DL 1.0 (``gtin`` -> ``01``), GTINs of 14 digits, no query string, and only the
finest level of identification (no consumer product variant, no lot beside a serial). The rules,
including the reference's quirks, follow GS1's event hash generator (``dl_normaliser.py``), whose
hashes ``traceapp.epcis.event_hash`` must reproduce.
"""

from __future__ import annotations

import re
from functools import lru_cache

from traceapp.gs1.epc_uri import epc_uri_to_digital_link

__all__ = ["canonical_digital_link"]

# Primary keys of a Digital Link and the short names GS1 DL 1.0 allowed for them.
_DL_KEYS = "01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004"
_DL_SHORT_NAMES = (
    ("gtin", "01"),
    ("itip", "8006"),
    ("cpid", "8010"),
    ("gln", "414"),
    ("party", "417"),
    ("gsrnp", "8017"),
    ("gsrn", "8018"),
    ("gcn", "255"),
    ("sscc", "00"),
    ("gdti", "253"),
    ("ginc", "401"),
    ("gsin", "402"),
    ("grai", "8003"),
    ("giai", "8004"),
    ("cpv", "22"),
    ("lot", "10"),
    ("ser", "21"),
)
_DL_INPUT = re.compile(
    r"https?:[^?#]*/(?:"
    + _DL_KEYS
    + "|"
    + "|".join(s for s, _ in _DL_SHORT_NAMES[:14])
    + r")/\d{4}[^/]+"
)
# The reference leaves the dots of id.gs1.org unescaped in its checks; kept for equal hashes.
_DL_CANONICAL_HOST = re.compile(r"https://id.gs1.org/(?:" + _DL_KEYS + r")/\d{4}[^/]+")
_DL_KEY_SEARCH_ORDER = (
    "00", "01", "253", "255", "401", "402", "414",
    "417", "8003", "8004", "8006", "8010", "8017", "8018",
)  # fmt: skip
# GS1 AI encodable character set 82 as the reference admits it in DL path values.
_C = r"[\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]"
_GTIN_OR_ITIP = r"https://id.gs1.org/(?:8006/\d{18}|01/\d{14})"
_CPV_ONLY = re.compile(_GTIN_OR_ITIP + r"/22/" + _C + "{0,20}")
_CPV_THEN_MORE = re.compile(_GTIN_OR_ITIP + r"/22/[\x2F" + _C[1:] + "{0,20}")
_LOT_AND_SERIAL = re.compile(_GTIN_OR_ITIP + r"/10/" + _C + "{0,20}/21/" + _C + "{0,20}")
_CPID = r"[\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30}"
_DL_VALID = re.compile(
    "https://id.gs1.org/(?:"
    + "|".join(
        (
            r"00/\d{18}",
            r"01/\d{14}(?:/21/" + _C + "{0,20}|/10/" + _C + "{0,20}|/235/" + _C + "{0,28})?",
            r"253/\d{13}" + _C + "{0,17}",
            r"255/\d{13}\d{0,12}",
            r"401/" + _C + "{0,30}",
            r"402/\d{17}",
            r"414/\d{13}(?:/254/" + _C + "{0,20})?",
            r"417/\d{13}",
            r"8003/\d{14}" + _C + "{0,16}",
            r"8004/" + _C + "{0,30}",
            r"8006/\d{18}(?:/21/" + _C + "{0,20}|/10/" + _C + "{0,20})?",
            r"8010/" + _CPID + r"(?:/8011/\d{0,12})?",
            r"8017/\d{18}",
            r"8018/\d{18}",
        )
    )
    + ")"
)


def _dl_short_names(uri: str) -> str:
    for short, ai in _DL_SHORT_NAMES:
        uri = uri.replace(f"/{short}/", f"/{ai}/")
    return uri


def _dl_canonical_host(uri: str) -> str:
    """Any host (and path prefix) -> ``https://id.gs1.org``, keys looked up in a fixed order."""
    if _DL_CANONICAL_HOST.match(uri):
        return uri
    for ai in _DL_KEY_SEARCH_ORDER:
        index = uri.find(f"/{ai}/")
        if index != -1:
            return "https://id.gs1.org" + uri[index:]
    return uri


def _dl_pad_gtin(uri: str) -> str:
    """GTIN-8, -12 and -13 padded to 14 digits."""
    if re.match(r"https://id.gs1.org/01/\d{14}", uri):
        return uri
    for digits, padding in ((13, "0"), (12, "00"), (8, "000000")):
        if re.match(rf"https://id.gs1.org/01/\d{{{digits}}}", uri):
            return uri.replace("/01/", "/01/" + padding)
    return uri


def _dl_drop_cpv(uri: str) -> str:
    """Consumer product variant (AI 22) is not part of the identity; drop it."""
    start = uri.find("/22/")
    if _CPV_ONLY.fullmatch(uri):
        return uri[:start]
    if _CPV_THEN_MORE.fullmatch(uri):
        after = uri[start + 4 :]
        return uri[:start] + after[after.find("/") :]
    return uri


def _dl_drop_lot(uri: str) -> str:
    """With a serial present the lot is redundant: keep only the finest identification level."""
    if not _LOT_AND_SERIAL.fullmatch(uri):
        return uri
    start = uri.find("/10/")
    after = uri[start + 4 :]
    return uri[:start] + after[after.find("/") :]


def _canonical_dl_uri(uri: str) -> str | None:
    if not _DL_INPUT.match(uri):
        return None
    uri = uri.partition("?")[0]  # no query string (data attributes, linkType ...)
    uri = _dl_drop_lot(_dl_drop_cpv(_dl_pad_gtin(_dl_canonical_host(_dl_short_names(uri)))))
    return uri if _DL_VALID.fullmatch(uri) else None


# The same EPCs come back event after event: cached.
@lru_cache(maxsize=8192)
def canonical_digital_link(uri: str) -> str | None:
    """The constrained canonical GS1 Digital Link of an EPC URI or Digital Link, else ``None``.

    ``urn:epc:id:sgtin:4012345.011111.9876`` -> ``https://id.gs1.org/01/04012345111118/21/9876``.
    """
    if "." not in uri:  # every EPC URI and web URI has one; skips plain words cheaply
        return None
    if not uri.startswith("urn:epc:"):
        return _canonical_dl_uri(uri)
    return epc_uri_to_digital_link(uri)
