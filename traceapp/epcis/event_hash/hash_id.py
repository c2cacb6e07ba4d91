"""Step 5 of the hash: the hash ID ``ni:///sha-256;<hex>?ver=CBV2.0`` (RFC 6920) of the pre-hash
string, and the check of an ``eventID`` that claims to be one."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from traceapp.epcis.errors import EventHashMismatch
from traceapp.epcis.event_hash.context import HashContext
from traceapp.epcis.event_hash.prehash import prehash_string

HASH_VERSION = "CBV2.0"
_NI_PREFIX = "ni:///sha-256;"


def hash_from_prehash(prehash: str) -> str:
    """The ``ni:`` URI (RFC 6920) of a pre-hash string: SHA-256 over its UTF-8 bytes."""
    digest = hashlib.sha256(prehash.encode("utf-8")).hexdigest()
    return f"{_NI_PREFIX}{digest}?ver={HASH_VERSION}"


def event_hash(event: Mapping[str, Any], context: HashContext | None = None) -> str:
    """The CBV 2.0 event hash ID, ``ni:///sha-256;<64 hex>?ver=CBV2.0``."""
    return hash_from_prehash(prehash_string(event, context))


def check_event_id(event: Mapping[str, Any], context: HashContext | None = None) -> str | None:
    """Verify an ``eventID`` that claims to be a CBV hash ID.

    Returns the computed hash ID when the event's ``eventID`` is an ``ni:///sha-256;`` URI that
    matches, ``None`` when there is no such ``eventID`` (absent, or another scheme such as
    ``urn:uuid:``, which the hash does not cover). Raises ``EventHashMismatch`` when the digest
    differs or the URI names a hash version other than CBV 2.0, which we cannot check.
    """
    event_id = event.get("eventID")
    if not isinstance(event_id, str) or not event_id.startswith(_NI_PREFIX):
        return None
    computed = event_hash(event, context)
    digest, _, query = event_id[len(_NI_PREFIX) :].partition("?")
    if query not in ("", f"ver={HASH_VERSION}"):
        raise EventHashMismatch(event_id, computed, f"unsupported event hash version {query!r}")
    if f"{_NI_PREFIX}{digest.lower()}?ver={HASH_VERSION}" != computed:
        raise EventHashMismatch(event_id, computed)
    return computed
