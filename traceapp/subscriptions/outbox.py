"""The delivery outbox: planning ledger index ranges into rows, leasing, finishing.

Planning moves a subscription's ``planned_seq`` and inserts the outbox row for the range in one
transaction; the move is conditional on the old value, so two senders planning at once never
plan a range twice. Ledger indexes are assigned under the log head's lock and committed in
that order, so every event at or below the highest index a transaction sees is committed:
a range, once planned, never gains an event later. Rows of one subscription go out in order:
only its oldest pending row may be leased.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from traceapp.events.query import run_query
from traceapp.ledger_store.reads import latest_checkpoint_head
from traceapp.subscriptions.models import NamedQuery, OutboxDelivery, Subscription
from traceapp.subscriptions.schedule import parse_schedule
from traceapp.subscriptions.services import event_query, head_seq

__all__ = [
    "DeliveryPolicy",
    "any_claimable",
    "anything_due",
    "claim",
    "delivered",
    "failed",
    "plan",
    "record_plan",
]


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard the sender tries (``TRACEAPP_EPCIS_*`` settings; docs/epcis.md)."""

    max_attempts: int = 8
    retry_base: float = 2.0  # seconds before the second attempt; doubles each time
    retry_max: float = 600.0
    lease: float = 60.0  # a sender that does not finish within this is presumed dead
    timeout: float = 10.0
    max_events: int = 1000  # events per delivery
    allow_private: bool = False

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.retry_max, self.retry_base * 2 ** (attempts - 1)))


def _row(
    subscription_id: int, after: int, upto: int, count: int, now: datetime, size: int
) -> OutboxDelivery:
    return OutboxDelivery(
        subscription_id=subscription_id,
        after_seq=after,
        upto_seq=upto,
        event_count=count,
        checkpoint_size=size,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )


def _ranges(
    session: Session, origin: str, query: NamedQuery, after: int, head: int, max_events: int
) -> list[tuple[int, int, int]]:
    """(after, upto, count) slices of ``(after, head]`` holding at most ``max_events`` matches."""
    out: list[tuple[int, int, int]] = []
    while after < head:
        page = run_query(
            session,
            origin,
            event_query(session, query, after_seq=after, upto_seq=head, per_page=max_events),
        )
        if not page.seqs:
            break
        upto = page.seqs[-1] if page.next_token is not None else head
        out.append((after, upto, len(page.seqs)))
        after = upto
    return out


def _advance(session: Session, subscription_id: int, old: int, new: int, **values: object) -> bool:
    moved = session.execute(
        update(Subscription)
        .where(Subscription.id == subscription_id, Subscription.planned_seq == old)
        .values(planned_seq=new, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(moved.rowcount == 1)  # type: ignore[attr-defined]


def _due(head: int, now: datetime) -> Any:
    return or_(
        Subscription.stream.is_(True) & (Subscription.planned_seq < head),
        Subscription.stream.is_(False) & (Subscription.next_run_at <= now),
    )


def anything_due(session: Session, now: datetime) -> bool:
    """Whether ``plan`` has work: a cheap read, so an idle sender takes no write turn."""
    head = head_seq(session)
    return (
        session.execute(select(Subscription.id).where(_due(head, now)).limit(1)).first() is not None
    )


@dataclass(frozen=True)
class Planned:
    """One due subscription's ranges, read in a snapshot: recorded by ``record_plan``."""

    subscription_id: int
    old_seq: int
    head: int
    slices: list[tuple[int, int, int]]
    checkpoint_size: int
    next_run_at: datetime | None = None
    scheduled: bool = False


def plan(session: Session, origin: str, policy: DeliveryPolicy, now: datetime) -> list[Planned]:
    """The due ranges of every subscription, read in a read snapshot: slicing runs the
    subscriptions' queries over every new event, and a write transaction held through that
    would keep captures waiting (SQLite has one writer)."""
    head = head_seq(session)
    size = latest_checkpoint_head(session, origin)[0] if head else 0
    due = (
        select(Subscription, NamedQuery)
        .join(NamedQuery, NamedQuery.id == Subscription.query_id)
        .where(_due(head, now))
    )
    planned = []
    for subscription, query in session.execute(due).all():
        old = subscription.planned_seq
        slices = _ranges(session, origin, query, old, head, policy.max_events)
        next_run_at = None
        if not subscription.stream:
            next_run_at = parse_schedule(json.loads(subscription.schedule or "{}")).next_after(now)
            if not slices and subscription.report_if_empty:
                slices = [(old, head, 0)]
        planned.append(
            Planned(subscription.id, old, head, slices, size, next_run_at, not subscription.stream)
        )
    return planned


def record_plan(session: Session, planned: list[Planned], now: datetime) -> int:
    """Record planned ranges as outbox rows (a short write transaction); returns rows added.

    Each subscription moves only from the ``planned_seq`` its ranges were read at: a range
    planned meanwhile by another sender is not planned twice. Ledger indexes are committed
    in order, so the snapshot's ranges are complete."""
    added = 0
    for p in planned:
        values: dict[str, object] = {"next_run_at": p.next_run_at} if p.scheduled else {}
        if not _advance(session, p.subscription_id, p.old_seq, p.head, **values):
            continue  # another sender planned it meanwhile
        for after, upto, count in p.slices:
            session.add(
                _row(p.subscription_id, after, upto, count, now, max(p.checkpoint_size, upto + 1))
            )
            added += 1
    return added


def _claimable(now: datetime) -> tuple[object, ...]:
    return (
        OutboxDelivery.status == "pending",
        OutboxDelivery.next_attempt_at <= now,
        or_(OutboxDelivery.lease_until.is_(None), OutboxDelivery.lease_until < now),
    )


def claim(
    session: Session,
    worker: str,
    policy: DeliveryPolicy,
    now: datetime,
    exclude: Collection[int] = (),
) -> int | None:
    """Lease one due row (the oldest pending row of its subscription) to ``worker``;
    ``exclude``: rows this round tried already (a retry waits for the next round)."""
    oldest = (
        select(func.min(OutboxDelivery.id))
        .where(OutboxDelivery.status == "pending")
        .group_by(OutboxDelivery.subscription_id)
    )
    candidates = session.execute(
        select(OutboxDelivery.id)
        .where(OutboxDelivery.id.in_(oldest), OutboxDelivery.id.not_in(exclude), *_claimable(now))  # type: ignore[arg-type]
        .order_by(OutboxDelivery.next_attempt_at, OutboxDelivery.id)
        .limit(8)
    ).scalars()
    for row_id in candidates:
        taken = session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.id == row_id, *_claimable(now))  # type: ignore[arg-type]
            .values(lease_owner=worker, lease_until=now + timedelta(seconds=policy.lease))
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return int(row_id)
    return None


def any_claimable(session: Session, now: datetime) -> bool:
    """Whether ``claim`` could find a row: a read first, so an idle sender takes no write turn."""
    found = session.execute(select(OutboxDelivery.id).where(*_claimable(now)).limit(1)).first()  # type: ignore[arg-type]
    return found is not None


def _mine(session: Session, row_id: int, worker: str) -> OutboxDelivery | None:
    row = session.get(OutboxDelivery, row_id)
    if row is None or row.status != "pending" or row.lease_owner != worker:
        return None
    return row


def delivered(session: Session, row_id: int, worker: str) -> None:
    row = _mine(session, row_id, worker)
    if row is None:
        return  # lease lost: the row will be sent again (at least once)
    now = datetime.now(UTC)
    row.status = "delivered"
    row.attempts += 1
    row.lease_owner = row.lease_until = None
    subscription = session.get(Subscription, row.subscription_id)
    if subscription is not None:
        subscription.last_notified_at = now


def failed(session: Session, row_id: int, worker: str, error: str, policy: DeliveryPolicy) -> None:
    """Count a failed attempt: retry after a backoff, or dead-letter after the last attempt."""
    row = _mine(session, row_id, worker)
    if row is None:
        return
    now = datetime.now(UTC)
    row.attempts += 1
    row.last_error = error[:2000]
    row.lease_owner = row.lease_until = None
    if row.attempts >= policy.max_attempts:
        row.status = "dead"
    else:
        row.next_attempt_at = now + policy.backoff(row.attempts)
    subscription = session.get(Subscription, row.subscription_id)
    if subscription is not None:
        subscription.last_error, subscription.last_error_at = row.last_error, now
