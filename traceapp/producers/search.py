"""The producer filters every door shares (GraphQL ``producers``, the office's list): province,
commune and name compared through their search keys (``i18n.search_key``), so Vietnamese
typed with or without diacritics, in any case, finds the same producers on both engines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

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


_BY_NAME = (Producer.name_key, Producer.id)


@dataclass(frozen=True)
class ProducerPage:
    """A page of producers by name, and the cursors of its neighbours (None at either end)."""

    producers: list[Producer]
    previous: str | None
    next: str | None


def producer_page(
    session: Session,
    stmt: Select[Any],
    *,
    after: str | None = None,
    before: str | None = None,
    size: int,
) -> ProducerPage:
    """``stmt``'s producers in name order (``ix_producers_name_key``), ``size`` of them after
    (or before) the producer of public ID ``after`` (``before``): a keyset page reads ``size``
    rows wherever it is in the list, where an OFFSET reads every row before it. An unknown
    cursor reads the first page."""
    cursor = after or before
    mark = None
    if cursor:
        mark = session.execute(
            select(Producer.name_key, Producer.id).where(Producer.public_id == cursor)
        ).first()
    if mark is None:
        rows = list(session.execute(stmt.order_by(*_BY_NAME).limit(size + 1)).scalars())
        return ProducerPage(
            rows[:size], None, rows[size - 1].public_id if len(rows) > size else None
        )
    key, id_ = mark
    if after:
        # The bound on name_key alone is the index's range; the OR settles ties on the id.
        later = stmt.where(
            Producer.name_key >= key, or_(Producer.name_key > key, Producer.id > id_)
        )
        rows = list(session.execute(later.order_by(*_BY_NAME).limit(size + 1)).scalars())
        more = len(rows) > size
        rows = rows[:size]
        previous = rows[0].public_id if rows else None
        return ProducerPage(rows, previous, rows[-1].public_id if more else None)
    earlier = stmt.where(Producer.name_key <= key, or_(Producer.name_key < key, Producer.id < id_))
    backwards = (Producer.name_key.desc(), Producer.id.desc())
    rows = list(session.execute(earlier.order_by(*backwards).limit(size + 1)).scalars())
    if not rows:  # nothing before the cursor: the first page
        return producer_page(session, stmt, size=size)
    more = len(rows) > size
    rows = rows[:size][::-1]
    return ProducerPage(rows, rows[0].public_id if more else None, rows[-1].public_id)
