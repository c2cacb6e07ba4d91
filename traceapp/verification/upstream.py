"""One step back (Circular 02/2024/TT-BKHCN, TCVN 12850): the input batches of a processed product.

A processed product's batch is made from input batches: the ``inputs`` of its ``batch.created``
statement, and the input EPC classes (``inputQuantityList``, class EPCs of ``inputEPCList``) of
the TransformationEvents that output it. Each input batch is shown with its product, producer,
origin and journey, every value taken from a proven statement like the product's own (``shown``):
each input is loaded as a ``Loaded`` of its own whose statements share the product's. An input
is shown only when a proven statement of the product names it; a row naming any other batch is a
``projection_mismatch``. One step only: inputs of inputs are not expanded.
"""

from __future__ import annotations

import json
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from traceapp.batches.models import Batch, BatchInput, Item
from traceapp.events.epc import batch_epc_class
from traceapp.events.models import Event, EventEpc
from traceapp.events.projections import event_epcs
from traceapp.gs1.digital_link import DigitalLink
from traceapp.locations.models import Location
from traceapp.producers.models import Producer
from traceapp.products.models import Product
from traceapp.verification import shown
from traceapp.verification.loading import Loaded, places_of, shown_entries
from traceapp.verification.model import BatchView, InputView, Upstream
from traceapp.verification.statements import Statements

MAX_INPUTS = 10
"""Input batches shown; the page says how many more there are."""
MAX_STEPS = 20
"""Events shown per input batch (its latest are dropped first: the origin comes first)."""
TRANSFORMATION = "TransformationEvent"


def load_inputs(session: Session, loaded: Loaded) -> None:
    """Fill ``loaded.inputs`` (at most MAX_INPUTS, in ledger order) and ``loaded.more_inputs``.

    Four queries for a processed product, one for any other batch; none for a product page.
    """
    batch = loaded.batch
    if batch is None:
        return
    ids = _input_ids(session, loaded, batch)
    if not ids:
        return
    rows = session.execute(
        select(Batch, Product, Producer, Location)
        .join(Product, Product.id == Batch.product_id)
        .join(Producer, Producer.id == Product.producer_id)
        .outerjoin(Location, Location.id == Batch.origin_location_id)
        .where(Batch.id.in_(ids))
        .order_by(Batch.ledger_seq)
        .limit(MAX_INPUTS)
    ).all()
    loaded.more_inputs = max(0, len(ids) - MAX_INPUTS)
    own = {event.ledger_seq for event in loaded.events}
    events = _events(session, [row[0].id for row in rows], own)
    for row_batch, product, producer, origin in rows:
        sub = Loaded(
            DigitalLink(product.gtin, row_batch.lot), product, producer, [], row_batch,
            origin=origin, events=events.get(row_batch.id, []),
        )  # fmt: skip
        sub.documents = {e.ledger_seq: json.loads(e.document) for e in sub.events}
        loaded.inputs.append(sub)
    found = places_of(session, loaded.inputs)
    for sub in loaded.inputs:
        sub.places = found


def _input_ids(session: Session, loaded: Loaded, batch: Batch) -> set[int]:
    """Row IDs of the batch's inputs: its ``batch_inputs`` and the class-level inputs of the
    TransformationEvents that output it (an event naming the batch as an input is a step
    forward, not back)."""
    ids = set(
        session.execute(
            select(BatchInput.input_batch_id).where(BatchInput.batch_id == batch.id)
        ).scalars()
    )
    seqs = [e.ledger_seq for e in loaded.events if e.type == TRANSFORMATION]
    if not seqs:
        return ids
    rows = session.execute(
        select(EventEpc.event_seq, EventEpc.batch_id, Item.batch_id)
        .outerjoin(Item, Item.id == EventEpc.item_id)
        .where(EventEpc.event_seq.in_(seqs), EventEpc.role == "input")
    ).all()
    forward = {seq for seq, by_class, by_item in rows if batch.id in (by_class, by_item)}
    ids.update(b for seq, b, _ in rows if b is not None and seq not in forward)
    ids.discard(batch.id)
    return ids


def _events(session: Session, batch_ids: list[int], own: set[int]) -> dict[int, list[Event]]:
    """The first MAX_STEPS events of each input batch, but those of the product's own journey.

    Events that consume the batch (it is their input: the step forward, to this product or
    any other) are not its journey; the limit is applied in SQL, so a raw lot that went into
    thousands of products costs no more than one that went into one.
    """
    if not batch_ids:
        return {}
    named = (
        select(EventEpc.batch_id, EventEpc.event_seq)
        .where(EventEpc.batch_id.in_(batch_ids), EventEpc.role != "input")
        .distinct()
        .subquery()
    )
    ranked = (
        select(
            named.c.batch_id,
            Event.id.label("event_id"),
            func.row_number()
            .over(partition_by=named.c.batch_id, order_by=(Event.event_time, Event.id))
            .label("n"),
        )
        .join(Event, Event.ledger_seq == named.c.event_seq)
        .where(Event.ledger_seq.not_in(own))
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.batch_id, Event)
        .join(Event, Event.id == ranked.c.event_id)
        .where(ranked.c.n <= MAX_STEPS)
        .order_by(Event.event_time, Event.id)
    ).all()
    found: dict[int, list[Event]] = {}
    for batch_id, event in rows:
        found.setdefault(batch_id, []).append(event)
    return found


def input_entries(loaded: Loaded) -> dict[int, str]:
    """Ledger index -> what it backs, for the inputs' entries (``input_`` + the subject)."""
    subjects: dict[int, str] = {}
    for sub in loaded.inputs:
        for seq, subject in shown_entries(sub).items():
            subjects.setdefault(seq, f"input_{subject}")
    return subjects


def upstream(st: Statements) -> Upstream | None:
    """The inputs of ``st``'s batch from their statements; None when it has none.

    A mismatch in an input's rows is recorded in ``st.mismatches`` as ``input``.
    """
    loaded = st.loaded
    if not loaded.inputs:
        return None
    named_ids, named_classes = _named(st)
    views = []
    for sub in loaded.inputs:
        sub_st = Statements(sub, st.stated, st.size)
        batch = shown.batch(sub_st)
        product = shown.product(sub_st)
        if batch is None or (
            batch.public_id not in named_ids
            and batch_epc_class(product.gtin, batch.lot) not in named_classes
        ):
            sub_st.mismatches["input"] = None
        view = InputView(product, shown.producer(sub_st), batch, shown.journey(sub_st))
        if sub_st.mismatches:
            st.mismatches["input"] = None
        views.append(view)
    origins = tuple(dict.fromkeys(v.batch.origin for v in views if v.batch and v.batch.origin))
    return Upstream(tuple(views), loaded.more_inputs, origins)


def _named(st: Statements) -> tuple[set[str], set[str]]:
    """The input batch IDs the product's proven ``batch.created`` names, and the input EPC
    classes of its proven TransformationEvents."""
    loaded = st.loaded
    ids: set[str] = set()
    if loaded.batch is not None:
        found = st.stated.get(loaded.batch.ledger_seq)
        if found is not None and found.type == "batch.created":
            ids.update(found.statement.get("inputs") or ())
    classes: set[str] = set()
    for event in loaded.events:
        if event.type != TRANSFORMATION:
            continue
        found = st.stated.get(event.ledger_seq)
        if found is None or found.type != "event.recorded":
            continue
        classes.update(epc for role, epc in event_epcs(found.statement["event"]) if role == "input")
    return ids, classes


def with_raw_origin(batch: BatchView | None, up: Upstream | None) -> BatchView | None:
    """A processed product's raw-material area is its inputs' origins, not its workshop."""
    if batch is None or up is None or not up.origins:
        return batch
    return replace(batch, origin="; ".join(up.origins), processed_at=batch.origin)
