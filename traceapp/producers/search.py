"""The producer filters every door shares (GraphQL ``producers``, the office's list): province,
commune and name compared through their search keys (``i18n.search_key``), so Vietnamese
typed with or without diacritics, in any case, finds the same producers on both engines."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from traceapp.i18n import place_key, search_key
from traceapp.producers.models import Producer


def producer_filter(
    stmt: Select[Any],
    *,
    kind: str | None = None,
    province: str | None = None,
    commune: str | None = None,
    name: str | None = None,
    status: str | None = None,
) -> Select[Any]:
    """``stmt`` (over ``producers``) narrowed: province and commune whole, name any part."""
    if kind:
        stmt = stmt.where(Producer.kind == kind)
    if province and (key := place_key(province)):
        stmt = stmt.where(Producer.province_key == key)
    if commune and (key := place_key(commune)):
        stmt = stmt.where(Producer.commune_key == key)
    if name and (key := search_key(name)):
        stmt = stmt.where(Producer.name_key.contains(key, autoescape=True))
    if status == "suspended":
        stmt = stmt.where(Producer.suspended_seq.is_not(None))
    elif status == "active":
        stmt = stmt.where(Producer.suspended_seq.is_(None))
    return stmt
