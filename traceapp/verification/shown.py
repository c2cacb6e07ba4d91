"""The views of a code built from its proven statements (``statements.Statements``).

Each builder checks that the row's ledger index names the statement the row claims to
project (same type, same public ID, same parent) and takes every shown value from that
statement; when it does not, the row is shown and the mismatch recorded.
"""

from __future__ import annotations

from datetime import date, timedelta, timezone
from typing import Any, NamedTuple

from ledger.entry import parse_recorded
from traceapp.events.models import Event
from traceapp.events.projections import parse_event_time, short_cbv
from traceapp.i18n import VIETNAM
from traceapp.locations.models import Location
from traceapp.locations.services import GLN_URI, LOCATION_URN
from traceapp.products.models import Certification, certificate_status
from traceapp.recalls.models import Recall
from traceapp.verification import item_view
from traceapp.verification.loading import destinations
from traceapp.verification.model import (
    Address,
    BatchView,
    CertificateView,
    ItemView,
    JourneyStep,
    Notice,
    PhotoView,
    Place,
    ProducerView,
    ProductView,
)
from traceapp.verification.statements import Statements, day, instant, quantity


class Shown(NamedTuple):
    product: ProductView
    producer: ProducerView
    certificates: tuple[CertificateView, ...]
    batch: BatchView | None
    item: ItemView | None
    status_seq: int | None
    """The index of the entry that set the item's status."""
    recalls: tuple[Notice, ...]
    journey: tuple[JourneyStep, ...]
    suspension: Notice | None
    """The office's suspension of the producer, while in force."""


def everything(st: Statements, today: date) -> Shown:
    """Every view of the code; ``st.mismatches`` then holds every row found not to match."""
    shown_item, status_seq = item_view.item(st)
    return Shown(
        product=product(st),
        producer=producer(st),
        certificates=tuple(certificate(st, c, today) for c in st.loaded.certifications),
        batch=batch(st),
        item=shown_item,
        status_seq=status_seq,
        recalls=recalls(st),
        journey=journey(st),
        suspension=suspension(st),
    )


def product(st: Statements) -> ProductView:
    row, link = st.loaded.product, st.loaded.link
    s = st.find(
        row.ledger_seq,
        "product.registered",
        "product",
        id=row.public_id,
        gtin=link.gtin,
    )
    photo = _photo(st, row.photo_seq, row.photo, "product.photo_set", "product_photo",
                   row.public_id)  # fmt: skip
    if s is None:
        return ProductView(
            row.public_id, row.gtin, row.name_vi, row.name_en, row.group, row.description,
            row.image_url, tuple(row.standards or ()), photo,
        )  # fmt: skip
    fields = {key: s[key] for key in ("name", "group", "description", "image", "standards")}
    updates = st.product_updates()
    if row.updated_seq != row.ledger_seq and row.updated_seq not in updates:
        st.find(row.updated_seq, "product.updated", "product", id=row.public_id)
    for seq in updates:
        fields.update(st.stated[seq].statement["changes"])
    name = fields["name"]
    return ProductView(
        s["id"], s["gtin"], name["vi"], name["en"], fields["group"], fields["description"],
        fields["image"], tuple(fields["standards"] or ()), photo,
    )  # fmt: skip


def _photo(
    st: Statements,
    seq: int | None,
    row: dict[str, Any] | None,
    kind: str,
    subject: str,
    public_id: str,
) -> PhotoView | None:
    """The photo (or logo) the row's entry names: from the statement, or, when the entry does
    not say so, from the row (flagged as a mismatch like any other row)."""
    if seq is None:
        return None
    s = st.find(seq, kind, subject, id=public_id)
    stated = s["photo" if kind == "product.photo_set" else "logo"] if s is not None else row
    if not stated:
        return None
    thumb = stated["thumb"]
    return PhotoView(
        stated["sha256"], stated["width"], stated["height"], stated["jpeg"], thumb["sha256"],
        thumb["width"], thumb["height"], thumb["jpeg"], seq,
    )  # fmt: skip


def producer(st: Statements) -> ProducerView:
    """The producer the product's registration names (the row found by the product's row)."""
    row = st.loaded.producer
    s = st.find(row.ledger_seq, "producer.registered", "producer", id=row.public_id)
    registered = st.stated.get(st.loaded.product.ledger_seq)
    if (
        registered is not None
        and registered.type == "product.registered"
        and registered.statement.get("producer") != row.public_id
    ):
        st.mismatches["producer"] = None
    logo = _photo(st, row.logo_seq, row.logo, "producer.logo_set", "producer_logo", row.public_id)
    if s is None:
        address = Address(row.province, row.commune, row.street, row.address_recorded_on)
        return ProducerView(row.public_id, row.kind, row.name, address, row.gln, logo)
    # The registration, then every correction the office recorded (``producer.updated``).
    fields = {key: s[key] for key in ("kind", "name", "address", "gln")}
    updates = st.producer_updates()
    if row.updated_seq != row.ledger_seq and row.updated_seq not in updates:
        st.find(row.updated_seq, "producer.updated", "producer", id=row.public_id)
    for seq in updates:
        changes = st.stated[seq].statement["changes"]
        fields.update({key: value for key, value in changes.items() if key in fields})
    a = fields["address"]
    address = Address(a["province"], a["commune"], a["street"], day(a["recorded_on"]))
    return ProducerView(s["id"], fields["kind"], fields["name"], address, fields["gln"], logo)


def certificate(st: Statements, row: Certification, today: date) -> CertificateView:
    """A certificate with its status on ``today`` (``snapshot.on_day`` re-dates it)."""
    product_id = st.loaded.product.public_id
    s = st.find(
        row.ledger_seq, "certification.granted", "certification", id=row.public_id,
        product=product_id,
    )  # fmt: skip
    if s is None:
        return CertificateView(
            row.public_id, row.scheme, row.stars, row.issuer, row.issuer_level,
            row.decision_number, row.issued_on, row.valid_until, row.status(today),
            row.revoke_reason, row.ledger_seq,
        )  # fmt: skip
    revocation = None
    if row.revoked_seq is not None:
        revocation = st.find(
            row.revoked_seq, "certification.revoked", "certification", id=row.public_id
        )
    issued_on, valid_until = day(s["issued_on"]), day(s["valid_until"])
    status = certificate_status(revocation is not None, issued_on, valid_until, today)
    return CertificateView(
        s["id"], s["scheme"], s["stars"], s["issuer"], s["issuer_level"], s["decision_number"],
        issued_on, valid_until, status, revocation["reason"] if revocation else None,
        row.ledger_seq,
    )  # fmt: skip


def batch(st: Statements) -> BatchView | None:
    loaded = st.loaded
    row = loaded.batch
    if row is None:
        return None
    says: dict[str, Any] = {"id": row.public_id, "product": loaded.product.public_id}
    if loaded.link.lot is not None:
        says["lot"] = loaded.link.lot
    s = st.find(row.ledger_seq, "batch.created", "batch", **says)
    if s is None:
        origin = loaded.origin.name if loaded.origin is not None else None
        return BatchView(
            row.public_id, row.lot, row.production_date, row.expiry_date, row.quantity,
            row.unit, origin,
        )  # fmt: skip
    expiry = day(s["expiry_date"]) if s["expiry_date"] else None
    return BatchView(
        s["id"], s["lot"], day(s["production_date"]), expiry, quantity(s["quantity"]),
        s["unit"], _origin(st, s["origin"]),
    )  # fmt: skip


def _origin(st: Statements, origin: str | None) -> str | None:
    """The name of the batch's origin location, from its ``location.registered``."""
    if origin is None:
        return None
    row = st.loaded.origin
    if row is None:
        st.mismatches["location"] = None
        return None
    s = st.find(row.ledger_seq, "location.registered", "location", id=origin)
    return _current(st, row, s)["name"] if s is not None else row.name


def _current(st: Statements, row: Location, registered: dict[str, Any]) -> dict[str, Any]:
    """The place as its registration and every later ``location.updated`` state it."""
    fields = dict(registered)
    updates = st.location_updates(row)
    if row.updated_seq != row.ledger_seq and row.updated_seq not in updates:
        st.find(row.updated_seq, "location.updated", "location", id=row.public_id)
    for seq in updates:
        fields.update(st.stated[seq].statement["changes"])
    return fields


def journey(st: Statements) -> tuple[JourneyStep, ...]:
    """The events, from their statements, in event time order."""
    steps = []
    for event in st.loaded.events:
        s = st.event(event)
        steps.append(_step(st, event) if s is None else _stated_step(st, event, s))
    return tuple(sorted(steps, key=lambda step: (step.local_time, step.ledger_seq)))


def _stated_step(st: Statements, row: Event, s: dict[str, Any]) -> JourneyStep:
    event = s["event"]
    offset = event["eventTimeZoneOffset"]
    reason = st.declaration(row, event)
    places = tuple(_place(st, uri) for uri in destinations(event))
    return JourneyStep(
        event_public_id=s["id"],
        event_type=event["type"],
        biz_step=short_cbv(event.get("bizStep")),
        disposition=short_cbv(event.get("disposition")),
        local_time=parse_event_time(event).astimezone(_zone(offset)),
        time_zone=offset,
        read_point=_place(st, (event.get("readPoint") or {}).get("id")),
        biz_location=_place(st, (event.get("bizLocation") or {}).get("id")),
        destinations=tuple(p for p in places if p is not None),
        corrected=reason is not None,
        correction_reason=_short_reason(reason or None),
        ledger_seq=row.ledger_seq,
    )


def _step(st: Statements, event: Event) -> JourneyStep:
    """A step shown from its row (its entry does not match it)."""
    document = st.loaded.documents[event.ledger_seq]
    places = tuple(_place(st, uri) for uri in destinations(document))
    return JourneyStep(
        event_public_id=event.public_id,
        event_type=event.type,
        biz_step=event.biz_step,
        disposition=event.disposition,
        local_time=event.event_time.astimezone(_zone(event.event_time_zone_offset)),
        time_zone=event.event_time_zone_offset,
        read_point=_place(st, event.read_point),
        biz_location=_place(st, event.biz_location),
        destinations=tuple(p for p in places if p is not None),
        corrected=event.error_declared_seq is not None,
        correction_reason=_short_reason(event.error_reason),
        ledger_seq=event.ledger_seq,
    )


def _place(st: Statements, uri: str | None) -> Place | None:
    """A URI of the journey, with the name its ``location.registered`` gives when ours."""
    if not uri:
        return None
    location: Location | None = st.loaded.places.get(uri)
    if location is None:
        return Place(uri, None)
    s = st.find(location.ledger_seq, "location.registered", "location", id=location.public_id)
    if s is None:
        return Place(uri, location.name)
    named = {LOCATION_URN.format(id=s["id"])}
    if s["gln"]:
        named.add(GLN_URI.format(gln=s["gln"]))
    if uri not in named:
        st.mismatches["location"] = None
        return Place(uri, location.name)
    return Place(uri, _current(st, location, s)["name"])


def _zone(offset: str) -> timezone:
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = offset[1:].split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def _short_reason(reason: str | None) -> str | None:
    """CBV error reasons (``https://ref.gs1.org/cbv/ER-incorrect_data``) by their short name."""
    prefix = "https://ref.gs1.org/cbv/ER-"
    return reason[len(prefix) :] if reason and reason.startswith(prefix) else reason


def suspension(st: Statements) -> Notice | None:
    """The programme office's suspension of the producer, while in force: since when (the
    ``producer.suspended`` entry's day in Vietnam) and the reason the office recorded."""
    row = st.loaded.producer
    if row.suspended_seq is None:
        return None
    s = st.find(row.suspended_seq, "producer.suspended", "producer_suspended", id=row.public_id)
    recorded = st.recorded(row.suspended_seq)
    if s is None or recorded is None:  # unproven: the mismatch warning says so instead
        return None
    since = parse_recorded(recorded).astimezone(VIETNAM).date().isoformat()
    return Notice("producer_suspended", "warning", {"date": since, "reason": s["reason"]})


def recalls(st: Statements) -> tuple[Notice, ...]:
    notices = []
    batch_id = st.loaded.batch.public_id if st.loaded.batch is not None else None
    for row in st.loaded.recalls:
        s = st.find(row.ledger_seq, "recall.issued", "recall", id=row.public_id)
        if s is not None and batch_id not in s["batches"]:
            st.mismatches["recall"] = None
            s = None
        notices.append(_recall_notice(row) if s is None else _stated_recall(s))
    return tuple(notices)


def _stated_recall(s: dict[str, Any]) -> Notice:
    params = {
        "reason": s["reason"],
        "severity": s["severity"],
        "date": instant(s["issued_at"]).date().isoformat(),
    }
    return Notice("recalled", "danger", params)


def _recall_notice(row: Recall) -> Notice:
    params = {
        "reason": row.reason,
        "severity": row.severity,
        "date": row.issued_at.date().isoformat(),
    }
    return Notice("recalled", "danger", params)
