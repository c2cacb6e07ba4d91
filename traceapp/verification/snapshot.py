"""The ledger-derived part of a verification, cached per process by checkpoint.

Everything on the page except the scans is a projection of the ledger, so it cannot change
while the latest checkpoint stays the same: every append signs a new checkpoint in the same
transaction. The product, producer, certificates, batch, item, journey, recalls and the proof
of every shown entry are therefore computed once per (checkpoint, code) and kept in a bounded,
process-local LRU. The key holds the checkpoint's size and its whole signed note (root hash
and signature included), so the next request after any append (an event, a recall, a
revocation, a claim) misses and rebuilds from the database. Today's date, the printed expiry
and the scans are applied per request on top (``services.verify_code``).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.entry import parse_recorded
from traceapp.events.models import Event
from traceapp.gs1.digital_link import DigitalLink
from traceapp.ledger_store import reads
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.writer import Ledger
from traceapp.locations.models import Location
from traceapp.products.models import Certification, certificate_status
from traceapp.verification.loading import Loaded, destinations, load, shown_entries
from traceapp.verification.model import (
    Address,
    BatchView,
    CertificateView,
    ItemView,
    JourneyStep,
    Notice,
    Place,
    ProducerView,
    ProductView,
    ProofReport,
)
from traceapp.verification.proofs import Head, check_entries

CACHE_SIZE = 512
"""Snapshots kept per process: a few KB each (most of it the proof list)."""


@dataclass(frozen=True)
class Snapshot:
    """What a code shows as of one checkpoint; immutable, shared by concurrent requests."""

    product: ProductView
    producer: ProducerView
    certificates: tuple[CertificateView, ...]
    """With their status on the day the snapshot was built; ``certificate_views`` re-dates them."""
    batch: BatchView | None
    item: ItemView | None
    status_changed_at: datetime | None
    """When the item became sold or claimed: the ``recorded`` time of that ledger entry."""
    recalls: tuple[Notice, ...]
    journey: tuple[JourneyStep, ...]
    proofs: ProofReport
    _days: dict[date, tuple[tuple[CertificateView, ...], CertificateView | None]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def certificate_views(
        self, today: date
    ) -> tuple[tuple[CertificateView, ...], CertificateView | None]:
        """All certificates with their status on ``today``, and the current OCOP rating."""
        cached = self._days.get(today)
        if cached is None:
            views = tuple(on_day(c, today) for c in self.certificates)
            cached = (views, current_ocop(views))
            if len(self._days) >= 2:  # yesterday and today are enough
                self._days.clear()
            self._days[today] = cached
        return cached


def on_day(certificate: CertificateView, today: date) -> CertificateView:
    """``certificate`` with its status on ``today``.

    Only the revocation is recorded, and a revoked certificate's status is "revoked" on every
    day (``certificate_status``); the other states follow from the dates.
    """
    revoked = certificate.status == "revoked"
    status = certificate_status(revoked, certificate.issued_on, certificate.valid_until, today)
    return certificate if status == certificate.status else replace(certificate, status=status)


def current_ocop(certificates: tuple[CertificateView, ...]) -> CertificateView | None:
    """The valid OCOP rating, else the most recent one."""
    ocop = [c for c in certificates if c.scheme == "OCOP"]
    valid = [c for c in ocop if c.status == "valid"]
    pool = valid or ocop
    return max(pool, key=lambda c: (c.issued_on, c.ledger_seq)) if pool else None


class _Lru:
    """A thread-safe, bounded mapping that forgets the least recently used key."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[object, Snapshot] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object) -> Snapshot | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: object, value: Snapshot) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


_CACHE = _Lru(CACHE_SIZE)


def clear_cache() -> None:
    _CACHE.clear()


def snapshot(session: Session, ledger: Ledger, link: DigitalLink, today: date) -> Snapshot:
    """The cached view of ``link`` at the latest checkpoint; CodeNotFound for unknown codes.

    One query (the latest checkpoint) when cached. The checkpoint is read before anything
    else, so a snapshot never holds data older than the checkpoint it is filed under.
    """
    size, root, note = reads.latest_checkpoint_head(session, ledger.origin)
    key = (ledger.origin, ledger.log.vkey, size, note, link.gtin, link.lot, link.serial)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    built = build(session, ledger, link, Head(size, root, note), today)
    _CACHE.put(key, built)
    return built


def build(session: Session, ledger: Ledger, link: DigitalLink, head: Head, today: date) -> Snapshot:
    """Read and prove everything ``link`` shows against the checkpoint ``head``; certificates
    carry their status on ``today``."""
    loaded = load(session, link)
    return Snapshot(
        product=_product(loaded),
        producer=_producer(loaded),
        certificates=tuple(_certificate(c, today) for c in loaded.certifications),
        batch=_batch(loaded),
        item=_item(loaded),
        status_changed_at=_status_time(session, ledger, loaded),
        recalls=tuple(
            Notice(
                "recalled",
                "danger",
                {
                    "reason": r.reason,
                    "severity": r.severity,
                    "date": r.issued_at.date().isoformat(),
                },
            )
            for r in loaded.recalls
        ),
        journey=tuple(_step(loaded, e) for e in loaded.events),
        proofs=check_entries(session, ledger, shown_entries(loaded), head=head),
    )


def _certificate(c: Certification, today: date) -> CertificateView:
    return CertificateView(
        c.public_id, c.scheme, c.stars, c.issuer, c.issuer_level, c.decision_number,
        c.issued_on, c.valid_until, c.status(today), c.revoke_reason, c.ledger_seq,
    )  # fmt: skip


def _product(loaded: Loaded) -> ProductView:
    p = loaded.product
    return ProductView(
        p.public_id, p.gtin, p.name_vi, p.name_en, p.group, p.description, p.image_url,
        tuple(p.standards or ()),
    )  # fmt: skip


def _producer(loaded: Loaded) -> ProducerView:
    p = loaded.producer
    address = Address(p.province, p.commune, p.street, p.address_recorded_on)
    return ProducerView(p.public_id, p.kind, p.name, address, p.gln)


def _batch(loaded: Loaded) -> BatchView | None:
    b = loaded.batch
    if b is None:
        return None
    origin = loaded.origin.name if loaded.origin is not None else None
    return BatchView(
        b.public_id, b.lot, b.production_date, b.expiry_date, b.quantity, b.unit, origin
    )


def _item(loaded: Loaded) -> ItemView | None:
    i = loaded.item
    if i is None:
        return None
    return ItemView(
        i.public_id, i.serial, i.status, i.pin_digest is not None, i.status == "claimed"
    )


def _place(loaded: Loaded, uri: str | None) -> Place | None:
    if not uri:
        return None
    location: Location | None = loaded.places.get(uri)
    return Place(uri, location.name if location is not None else None)


def _zone(offset: str) -> timezone:
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = offset[1:].split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def _step(loaded: Loaded, event: Event) -> JourneyStep:
    document = loaded.documents[event.ledger_seq]
    places = tuple(_place(loaded, uri) for uri in destinations(document))
    return JourneyStep(
        event_public_id=event.public_id,
        event_type=event.type,
        biz_step=event.biz_step,
        disposition=event.disposition,
        local_time=event.event_time.astimezone(_zone(event.event_time_zone_offset)),
        time_zone=event.event_time_zone_offset,
        read_point=_place(loaded, event.read_point),
        biz_location=_place(loaded, event.biz_location),
        destinations=tuple(p for p in places if p is not None),
        corrected=event.error_declared_seq is not None,
        correction_reason=_short_reason(event.error_reason),
        ledger_seq=event.ledger_seq,
    )


def _short_reason(reason: str | None) -> str | None:
    """CBV error reasons (``https://ref.gs1.org/cbv/ER-incorrect_data``) by their short name."""
    prefix = "https://ref.gs1.org/cbv/ER-"
    return reason[len(prefix) :] if reason and reason.startswith(prefix) else reason


def _status_time(session: Session, ledger: Ledger, loaded: Loaded) -> datetime | None:
    """When the item became sold or claimed: the ``recorded`` time of that ledger entry."""
    item = loaded.item
    if item is None or item.status not in ("sold", "claimed"):
        return None
    data = session.execute(
        select(LedgerEntry.entry).where(
            LedgerEntry.log == ledger.origin, LedgerEntry.seq == item.status_seq
        )
    ).scalar_one_or_none()
    if data is None:
        return None
    return parse_recorded(json.loads(data)["recorded"])
