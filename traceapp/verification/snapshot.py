"""The ledger-derived part of a verification, cached per process by checkpoint.

Everything on the page except the scans is a projection of the ledger, so it cannot change
while the latest checkpoint stays the same: every append signs a new checkpoint in the same
transaction. The product, producer, certificates, batch, item, journey, recalls (each read from
the statements of the entries it proves, never from projection rows: ``shown``) and the proof
of every shown entry are therefore computed once per (checkpoint, code) and kept in a bounded,
process-local LRU. The key holds the checkpoint's size and its whole signed note (root hash
and signature included), so the next request after any append (an event, a recall, a
revocation, a claim) misses and rebuilds from the database. Today's date, the printed expiry
and the scans are applied per request on top (``services.verify_code``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy.orm import Session

from ledger.entry import parse_recorded
from traceapp.gs1.digital_link import DigitalLink
from traceapp.ledger_store import reads
from traceapp.ledger_store.writer import Ledger
from traceapp.products.models import certificate_status
from traceapp.verification import shown, upstream
from traceapp.verification.contact_view import contact_entries, with_contact
from traceapp.verification.loading import Loaded, load, shown_entries, shown_locations
from traceapp.verification.model import (
    BatchView,
    CertificateView,
    ItemView,
    JourneyStep,
    Notice,
    ProducerView,
    ProductView,
    ProofReport,
    Upstream,
)
from traceapp.verification.proofs import Head, StoredEntry, fetch_entries, prove
from traceapp.verification.statements import MISMATCH, Statements, decode

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
    suspension: Notice | None
    """The programme office's suspension of the producer, while in force."""
    journey: tuple[JourneyStep, ...]
    integrity: tuple[Notice, ...]
    """A ``projection_mismatch`` warning when rows name entries that do not back them."""
    proofs: ProofReport
    upstream: Upstream | None
    """One step back: a processed product's input batches (``upstream``)."""
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
    """Read and prove everything ``link`` shows against the checkpoint ``head``, every shown
    value taken from a proven statement (``shown``); certificates carry their status on
    ``today``."""
    loaded = load(session, link)
    st, subjects, entries = read_statements(session, ledger, loaded, head.size)
    views = shown.everything(st, today)
    inputs = upstream.upstream(st)
    return Snapshot(
        product=views.product,
        producer=with_contact(st, views.producer),
        certificates=views.certificates,
        batch=upstream.with_raw_origin(views.batch, inputs),
        item=views.item,
        status_changed_at=_status_time(st, views.item, views.status_seq),
        recalls=views.recalls,
        suspension=views.suspension,
        journey=views.journey,
        integrity=_integrity(st),
        proofs=prove(session, ledger, subjects, entries, head),
        upstream=inputs,
    )


def read_statements(
    session: Session, ledger: Ledger, loaded: Loaded, size: int
) -> tuple[Statements, dict[int, str], dict[int, StoredEntry]]:
    """The proven statements behind ``loaded``, the entries to prove (index -> what it backs)
    and their stored bytes: one query."""
    upstream.load_inputs(session, loaded)
    subjects = shown_entries(loaded)
    for seq, subject in {**contact_entries(loaded), **upstream.input_entries(loaded)}.items():
        subjects.setdefault(seq, subject)
    product = loaded.product
    updates = None
    if product.updated_seq != product.ledger_seq:
        updates = (product.ledger_seq, product.updated_seq)
    places = {0: shown_locations(loaded)} | {
        n: shown_locations(sub) for n, sub in enumerate(loaded.inputs, 1)
    }
    spans = [
        (p.ledger_seq, p.updated_seq)
        for found in places.values()
        for p in found
        if p.updated_seq != p.ledger_seq
    ]
    producer = loaded.producer
    moved = None
    if producer.updated_seq != producer.ledger_seq:
        moved = (producer.ledger_seq, producer.updated_seq)
    entries = fetch_entries(
        session,
        ledger,
        subjects,
        size,
        product_updates=updates,
        producer_updates=moved,
        location_updates=spans,
    )
    for sub in loaded.inputs:  # an input product edited since registration: rare
        p = sub.product
        if p.updated_seq != p.ledger_seq and p.id != product.id:
            span = (p.ledger_seq, p.updated_seq)
            entries.update(fetch_entries(session, ledger, [], size, product_updates=span))
    st = Statements(loaded, decode(entries), size)
    for seq in st.product_updates():
        subjects.setdefault(seq, "product_update")
    for seq in st.producer_updates():
        subjects.setdefault(seq, "producer_update")
    for sub in loaded.inputs:
        for seq in Statements(sub, st.stated, size).product_updates():
            subjects.setdefault(seq, "input_product_update")
    for n, found in places.items():
        for place in found:
            for seq in st.location_updates(place):
                subjects.setdefault(seq, "input_location_update" if n else "location_update")
    return st, subjects, {seq: entries[seq] for seq in subjects if seq in entries}


def _integrity(st: Statements) -> tuple[Notice, ...]:
    """A warning when rows point at entries that do not say what the rows claim."""
    if not st.mismatches:
        return ()
    return (Notice(MISMATCH, "danger", {"subjects": ", ".join(st.mismatches)}),)


def _status_time(st: Statements, item: ItemView | None, seq: int | None) -> datetime | None:
    """When the item became sold or claimed: the ``recorded`` time of that ledger entry."""
    if item is None or seq is None or item.status not in ("sold", "claimed"):
        return None
    recorded = st.recorded(seq)
    return parse_recorded(recorded) if recorded is not None else None
