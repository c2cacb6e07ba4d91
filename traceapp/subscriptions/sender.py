"""The sender: plan due ranges, lease one delivery, post it signed, record the outcome.

A delivery is an ``EPCISQueryDocument`` of the subscription's query over the row's ledger index
range, each event carrying its ledger index and the size of the latest checkpoint
(``ledger:index``, ``ledger:checkpointSize``), posted to ``dest`` with ``GS1-Signature:
sha256=<hex HMAC-SHA256 of the body with the signatureToken>`` (gs1/EPCIS #404). The body is
built afresh for every attempt from the ledger range, so a retry sends the same events.
Nothing here runs inside a capture: the capture path never waits for a subscriber.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from traceapp.db.sessions import Database
from traceapp.epcis.exporter import query_document
from traceapp.events.query import run_query
from traceapp.subscriptions.errors import DeliveryFailed, InvalidSubscription
from traceapp.subscriptions.models import NamedQuery, OutboxDelivery, Subscription
from traceapp.subscriptions.outbox import (
    DeliveryPolicy,
    any_claimable,
    anything_due,
    claim,
    delivered,
    failed,
    plan,
    record_plan,
)
from traceapp.subscriptions.services import check_dest, event_query

__all__ = ["LEDGER_NS", "build_delivery", "deliver_pending", "run_sender", "sign"]

LEDGER_NS = "https://ref.ocop-trace-ledger.vn/ns/ledger#"
EPCIS_VERSION = "2.0.0"


def sign(secret: str, body: bytes) -> str:
    """The ``GS1-Signature`` header value for ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def build_delivery(
    session: Session, origin: str, row: OutboxDelivery
) -> tuple[Subscription, bytes]:
    """The subscription and the body of one outbox row, from the ledger range it names."""
    subscription = session.get(Subscription, row.subscription_id)
    if subscription is None:
        raise DeliveryFailed("the subscription was deleted")
    query = session.get(NamedQuery, subscription.query_id)
    assert query is not None
    page = run_query(
        session,
        origin,
        event_query(
            session, query, after_seq=row.after_seq, upto_seq=row.upto_seq, per_page=1_000_000
        ),
    )
    size = row.checkpoint_size
    events = [
        {**event, "ledger:index": seq, "ledger:checkpointSize": size}
        for event, seq in zip(page.events, page.seqs, strict=True)
    ]
    # Everything from the row: every attempt of a delivery sends the same bytes.
    document = query_document(events, query_name=query.name, created=row.created_at)
    document["@context"].append({"ledger": LEDGER_NS})
    results = document["epcisBody"]["queryResults"]
    document["epcisBody"]["queryResults"] = {
        "queryName": query.name,
        "subscriptionID": subscription.public_id,
        "resultsBody": results["resultsBody"],
    }
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return subscription, body


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect would reach an address check_dest never saw


_OPENER = urllib.request.build_opener(_NoRedirect)


def _post(
    subscription: Subscription, body: bytes, delivery_id: int, policy: DeliveryPolicy
) -> None:
    try:
        check_dest(subscription.dest, allow_private=policy.allow_private)  # DNS may have changed
    except InvalidSubscription as exc:
        raise DeliveryFailed(exc.message) from None
    headers = {
        "Content-Type": "application/ld+json",
        "GS1-EPCIS-Version": EPCIS_VERSION,
        "GS1-CBV-Version": EPCIS_VERSION,
        "GS1-Subscription-ID": subscription.public_id,
        "Idempotency-Key": f"{subscription.public_id}-{delivery_id}",
        "User-Agent": "ocop-trace-ledger-epcis",
    }
    if subscription.secret:
        headers["GS1-Signature"] = sign(subscription.secret, body)
    request = urllib.request.Request(subscription.dest, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=policy.timeout) as response:
            status = response.status
            response.read(1 << 16)
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code} from dest") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DeliveryFailed(f"dest unreachable: {exc}") from None
    if not 200 <= status < 300:
        raise DeliveryFailed(f"HTTP {status} from dest")


def deliver_pending(
    database: Database, origin: str, worker: str, policy: DeliveryPolicy, limit: int = 100
) -> int:
    """Plan due ranges, then send up to ``limit`` deliveries; returns how many were attempted."""
    now = datetime.now(UTC)
    with database.snapshot_sessions() as session, session.begin():
        planned = plan(session, origin, policy, now) if anything_due(session, now) else []
    if planned:
        with database.write() as session:
            record_plan(session, planned, now)
    tried: list[int] = []
    with database.read_sessions() as session:
        if not any_claimable(session, datetime.now(UTC)):
            return 0
    while len(tried) < limit:
        with database.write() as session:
            row_id = claim(session, worker, policy, datetime.now(UTC), tried)
        if row_id is None:
            break
        tried.append(row_id)
        try:
            with database.snapshot_sessions() as session, session.begin():
                row = session.get(OutboxDelivery, row_id)
                assert row is not None
                subscription, body = build_delivery(session, origin, row)
            _post(subscription, body, row_id, policy)
        except DeliveryFailed as exc:
            with database.write() as session:
                failed(session, row_id, worker, exc.message, policy)
            continue
        with database.write() as session:
            delivered(session, row_id, worker)
    return len(tried)


def run_sender(
    database: Database,
    origin: str,
    worker: str,
    policy: DeliveryPolicy,
    stop: threading.Event,
    *,
    poll: float = 0.2,
    also: Callable[[], int] | None = None,
) -> None:
    """Deliver until ``stop`` is set; ``also`` is more work for the same loop (capture jobs)."""
    while not stop.is_set():
        busy = deliver_pending(database, origin, worker, policy)
        if also is not None:
            busy += also()
        if not busy:
            stop.wait(poll)
