"""verify_code: the shopper's view of a scanned code, every shown entry proven (DESIGN §3).

No Flask here: the resolver page, its JSON and GraphQL ``verifyItem`` all call this.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.entry import parse_recorded
from traceapp.events.models import Event
from traceapp.gs1.digital_link import DigitalLink
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.writer import Ledger
from traceapp.locations.models import Location
from traceapp.products.models import Certification
from traceapp.verification import clones
from traceapp.verification.loading import CodeNotFound, Loaded, destinations, load, shown_entries
from traceapp.verification.model import (
    Address,
    BatchView,
    CertificateView,
    CloneAssessment,
    ItemView,
    JourneyStep,
    Notice,
    Place,
    ProducerView,
    ProductView,
    ScanSummary,
    Verification,
)
from traceapp.verification.proofs import check_entries

__all__ = ["CodeNotFound", "verify_code"]

EXPIRY_SOON = timedelta(days=30)


def verify_code(
    session: Session,
    ledger: Ledger,
    link: DigitalLink,
    *,
    today: date,
    now: datetime,
    client: str | None,
    record_scan: bool,
) -> Verification:
    """The verified view of what ``link`` identifies (product, batch or item).

    ``client`` is the scanner's fingerprint (``clones.client_fingerprint``), never an IP.
    With ``record_scan`` (items only) a Scan row is added to ``session``, which must then be
    a write session the caller commits. Raises CodeNotFound for an unknown code.
    """
    loaded = load(session, link)
    certificates = tuple(_certificate(c, today) for c in loaded.certifications)
    ocop = _current_ocop(certificates)
    warnings = _warnings(loaded, certificates, ocop, today)
    scans, clone = None, None
    if loaded.item is not None:
        scans, clone = _scans(session, ledger, loaded, now, client, record_scan, warnings)
    return Verification(
        kind=link.kind,
        code=_element_string(link),
        path=link.path,
        product=_product(loaded),
        producer=_producer(loaded),
        certificates=certificates,
        ocop=ocop,
        batch=_batch(loaded),
        item=_item(loaded),
        journey=tuple(_step(loaded, e) for e in loaded.events),
        warnings=tuple(warnings),
        scans=scans,
        clone=clone,
        proofs=check_entries(session, ledger, shown_entries(loaded)),
        checked_at=now,
    )


def _element_string(link: DigitalLink) -> str:
    code = f"(01){link.gtin}"
    if link.lot is not None:
        code += f"(10){link.lot}"
    if link.serial is not None:
        code += f"(21){link.serial}"
    return code


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


def _certificate(c: Certification, today: date) -> CertificateView:
    return CertificateView(
        c.public_id, c.scheme, c.stars, c.issuer, c.issuer_level, c.decision_number,
        c.issued_on, c.valid_until, c.status(today), c.revoke_reason, c.ledger_seq,
    )  # fmt: skip


def _current_ocop(certificates: tuple[CertificateView, ...]) -> CertificateView | None:
    ocop = [c for c in certificates if c.scheme == "OCOP"]
    valid = [c for c in ocop if c.status == "valid"]
    pool = valid or ocop
    return max(pool, key=lambda c: (c.issued_on, c.ledger_seq)) if pool else None


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


def _warnings(
    loaded: Loaded,
    certificates: tuple[CertificateView, ...],
    ocop: CertificateView | None,
    today: date,
) -> list[Notice]:
    warnings: list[Notice] = []
    for recall in loaded.recalls:
        warnings.append(
            Notice(
                "recalled",
                "danger",
                {
                    "reason": recall.reason,
                    "severity": recall.severity,
                    "date": recall.issued_at.date().isoformat(),
                },
            )
        )
    item = loaded.item
    if item is not None and item.status == "destroyed":
        warnings.append(Notice("destroyed", "danger"))
    if item is not None and item.status == "claimed":
        warnings.append(Notice("claimed", "warning"))
    batch = loaded.batch
    if batch is not None and batch.expiry_date is not None:
        expiry = batch.expiry_date.isoformat()
        if today > batch.expiry_date:
            warnings.append(Notice("expired", "danger", {"date": expiry}))
        elif batch.expiry_date - today <= EXPIRY_SOON:
            days = str((batch.expiry_date - today).days)
            warnings.append(Notice("expires_soon", "warning", {"date": expiry, "days": days}))
    printed = loaded.link.expiry
    if batch is not None and printed is not None and printed != batch.expiry_date:
        recorded = batch.expiry_date.isoformat() if batch.expiry_date else ""
        warnings.append(
            Notice(
                "expiry_mismatch", "warning", {"printed": printed.isoformat(), "recorded": recorded}
            )
        )
    if ocop is None:
        warnings.append(Notice("no_ocop", "warning"))
    elif ocop.status in ("expired", "revoked"):
        revoked = ocop.status == "revoked"
        warnings.append(
            Notice(
                f"ocop_{ocop.status}",
                "danger" if revoked else "warning",
                {"date": ocop.valid_until.isoformat()},
            )
        )
    return warnings


def _scans(
    session: Session,
    ledger: Ledger,
    loaded: Loaded,
    now: datetime,
    client: str | None,
    record_scan: bool,
    warnings: list[Notice],
) -> tuple[ScanSummary, CloneAssessment]:
    item = loaded.item
    assert item is not None
    count, first, clients, recent = clones.load_scans(session, item.public_id)
    if record_scan:
        who = client or "unknown"
        result = "warning" if warnings else "ok"
        clones.record(session, item.public_id, at=now, client=who, agent=None, result=result)
        count, first = count + 1, first or now
        clients = clients | {who}
        recent = [*recent, clones.ScanRecord(now, who, result)]
    assessment = clones.assess(
        status=item.status,
        status_changed_at=_status_time(session, ledger, loaded),
        count=count,
        clients=clients,
        recent=recent,
    )
    return clones.summarise(count, first, clients), assessment


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
