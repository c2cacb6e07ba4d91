"""A batch's log: its events, recording one (for the whole batch or items picked by their
printed codes), declaring one wrong, and recalling the batch. Every write goes through the
same domain services as the GraphQL mutations, signed for the member."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import g, redirect, request, url_for
from sqlalchemy import ColumnElement, CompoundSelect, Row, and_, or_, select, union

from traceapp.batches.models import Batch, Item
from traceapp.console.core import bp, error_text, not_found, render, signed_in, t
from traceapp.console.stamps import (
    OwnBatch,
    Page,
    form_key,
    fresh_key,
    member_write,
    new_key,
    own_batch,
)
from traceapp.db.sessions import get_session
from traceapp.error_texts import translator
from traceapp.errors import DomainError
from traceapp.events.building import EventInput, Quantity
from traceapp.events.models import Event, EventEpc
from traceapp.events.projections import short_cbv
from traceapp.events.services import declare_error_as, record_event_as_noticed
from traceapp.events.steps import STEPS, step, step_of
from traceapp.gs1.digital_link import DigitalLink, parse_path
from traceapp.gs1.errors import Gs1Error
from traceapp.i18n import VIETNAM, format_datetime
from traceapp.locations.models import Location
from traceapp.locations.services import location_uri, producer_locations
from traceapp.products.models import Product
from traceapp.recalls.models import SEVERITIES, Recall, RecallBatch
from traceapp.recalls.services import RecallInput, issue_recall_as

ERROR_REASONS = ("incorrect_data", "did_not_occur")
MAX_CODES = 1000
LOG_PAGE = 25


@dataclass(frozen=True)
class LogLine:
    event: Event
    step: str
    place: str | None
    items: int
    whole_batch: bool


def _places(own: OwnBatch) -> list[Location]:
    return producer_locations(get_session(), own.producer_id)


def _ours(own: OwnBatch) -> ColumnElement[bool]:
    """The event_epcs rows naming the batch or one of its items."""
    items = select(Item.id).where(Item.batch_id == own.batch.id)
    return or_(EventEpc.batch_id == own.batch.id, EventEpc.item_id.in_(items))


def _touching(own: OwnBatch) -> CompoundSelect[tuple[int]]:
    """The ledger indexes of the events naming the batch or one of its items: a union of two
    index ranges (an OR of the two leads PostgreSQL to scan every event's EPCs)."""
    return union(
        select(EventEpc.event_seq).where(EventEpc.batch_id == own.batch.id),
        select(EventEpc.event_seq)
        .join(Item, Item.id == EventEpc.item_id)
        .where(Item.batch_id == own.batch.id),
    )


def _batch_event(own: OwnBatch, public_id: str) -> Event | None:
    """One of the producer's events on this batch (or its items), by its public ID."""
    return (
        get_session()
        .execute(
            select(Event).where(
                Event.public_id == public_id,
                Event.producer_id == own.producer_id,
                Event.ledger_seq.in_(_touching(own)),
            )
        )
        .scalar_one_or_none()
    )


def _log(own: OwnBatch, before: str | None) -> tuple[list[LogLine], str | None]:
    """A page of the batch's events, newest first, and the cursor of the next (older) page:
    LOG_PAGE lines whatever the batch's history, so the page's cost and weight stay flat."""
    session = get_session()
    query = select(Event).where(Event.ledger_seq.in_(_touching(own)))
    if before:
        mark = session.execute(
            select(Event.event_time, Event.id).where(Event.public_id == before)
        ).first()
        if mark is not None:
            query = query.where(
                or_(
                    Event.event_time < mark.event_time,
                    and_(Event.event_time == mark.event_time, Event.id < mark.id),
                )
            )
    events = list(
        session.execute(
            query.order_by(Event.event_time.desc(), Event.id.desc()).limit(LOG_PAGE + 1)
        ).scalars()
    )
    older = events[LOG_PAGE - 1].public_id if len(events) > LOG_PAGE else None
    events = events[:LOG_PAGE]
    links = session.execute(
        select(EventEpc.event_seq, EventEpc.item_id, EventEpc.batch_id).where(
            EventEpc.event_seq.in_([e.ledger_seq for e in events]), _ours(own)
        )
    ).all()
    counts: dict[int, int] = {}
    whole: set[int] = set()
    for seq, item_id, batch_id in links:
        if item_id is not None:
            counts[seq] = counts.get(seq, 0) + 1
        elif batch_id is not None:
            whole.add(seq)
    names = {location_uri(p): p.name for p in _places(own)}
    lines = []
    for event in events:
        found = step_of(short_cbv(event.biz_step), short_cbv(event.disposition))
        label = (found.en if g.lang == "en" else found.vi) if found else None
        lines.append(
            LogLine(
                event,
                label or short_cbv(event.biz_step) or event.type,
                names.get(event.read_point or ""),
                counts.get(event.ledger_seq, 0),
                event.ledger_seq in whole,
            )
        )
    return lines, older


def _recalls(own: OwnBatch) -> list[Recall]:
    return list(
        get_session()
        .execute(
            select(Recall)
            .join(RecallBatch, RecallBatch.recall_id == Recall.id)
            .where(RecallBatch.batch_id == own.batch.id)
        )
        .scalars()
    )


@bp.route("/batches/<public_id>/events")
@signed_in
def batch_events(public_id: str) -> Page:
    own = own_batch(public_id)
    if own is None:
        return not_found()
    done = {"event": "event_recorded", "declared": "declared", "recalled": "recall_done"}.get(
        request.args.get("done", "")
    )
    return _log_page(own, done=t(done) if done else None)


def _log_page(own: OwnBatch, status: int = 200, **context: object) -> tuple[str, int]:
    lines, older = _log(own, request.args.get("before"))
    return render(
        "console/events.html",
        status,
        own=own,
        lines=lines,
        older=older,
        recalls=_recalls(own),
        reasons=ERROR_REASONS,
        key=new_key(),
        # Times as the producer entered them: Vietnam time.
        local=lambda moment: format_datetime(moment.astimezone(VIETNAM), g.lang),
        **context,
    )


def _item_ids(own: OwnBatch, text: str) -> tuple[list[str], list[str]]:
    """The producer's items named by printed codes (serials, item IDs or stamp links), and the
    lines naming none of them: one query for all the lines, however many (up to MAX_CODES)."""
    lines = [x.strip() for x in text.splitlines() if x.strip()][:MAX_CODES]
    links: dict[str, DigitalLink | None] = {}
    for line in lines:
        parts = urlsplit(line)
        start = parts.path.find("/01/")
        if start >= 0:
            try:
                links[line] = parse_path(parts.path[start:], parts.query)
            except Gs1Error:
                links[line] = None
    plain = [line for line in lines if line not in links]
    serials = {line.upper() for line in plain}
    serials.update(link.serial for link in links.values() if link and link.serial)
    rows = (
        get_session()
        .execute(
            select(Item.public_id, Item.serial, Batch.lot, Product.gtin)
            .join(Batch, Item.batch_id == Batch.id)
            .join(Product, Product.id == Batch.product_id)
            .where(Product.producer_id == own.producer_id)
            .where(or_(Item.serial.in_(serials), Item.public_id.in_(plain)))
            .order_by(Item.id)
        )
        .all()
    )
    by_serial: dict[str, list[Row[Any]]] = {}
    for row in rows:
        by_serial.setdefault(row.serial, []).append(row)
    by_id = {row.public_id: row for row in rows}
    found: list[str] = []
    unknown: list[str] = []
    for line in lines:
        match: Row[Any] | None
        if line in links:
            link = links[line]
            candidates = by_serial.get(link.serial or "", []) if link is not None else []
            match = next(
                (
                    r
                    for r in candidates
                    if link is not None and r.gtin == link.gtin and link.lot in (None, r.lot)
                ),
                None,
            )
        else:
            match = next(iter(by_serial.get(line.upper(), [])), None) or by_id.get(line)
        if match is None:
            unknown.append(line[:40])
        elif match.public_id not in found:
            found.append(match.public_id)
    return found, unknown


def _event_form(own: OwnBatch, status: int = 200, **context: object) -> tuple[str, int]:
    now = datetime.now(VIETNAM).strftime("%Y-%m-%dT%H:%M")
    values = {"step": "", "when": now, "place": "", "scope": "batch", "codes": ""}
    values.update({k: str(v) for k, v in context.pop("values", {}).items()})  # type: ignore[attr-defined]
    return render(
        "console/event_new.html",
        status,
        own=own,
        steps=STEPS,
        places=_places(own),
        values=values,
        key=context.pop("key", None) or new_key(),
        step_name=lambda s: s.en if g.lang == "en" else s.vi,
        **context,
    )


@bp.route("/batches/<public_id>/events/new", methods=["GET", "POST"])
@signed_in
def new_event(public_id: str) -> Page:
    own = own_batch(public_id)
    if own is None:
        return not_found()
    if request.method == "GET":
        codes = request.args.get("codes", "")
        values = {"scope": "items", "codes": codes} if codes else {}
        return _event_form(own, values=values)
    form = request.form
    key = form_key()
    values = {k: form.get(k, "") for k in ("step", "when", "place", "scope", "codes")}
    kept = {"key": key, "values": values}
    try:
        when = datetime.fromisoformat(values["when"]).replace(tzinfo=VIETNAM)
    except ValueError:
        return _event_form(own, 422, error=t("time_bad"), **kept)
    places = {p.public_id for p in _places(own)}
    place = values["place"] if values["place"] in places else None
    items: list[str] = []
    quantities: list[Quantity] = []
    if values["scope"] == "items":
        items, unknown = _item_ids(own, values["codes"])
        if unknown:
            return _event_form(own, 422, error=t("codes_unknown", codes=", ".join(unknown)), **kept)
        if not items:
            return _event_form(own, 422, error=t("codes_missing"), **kept)
    else:
        quantities = [Quantity(own.batch.public_id)]
    try:
        chosen = step(values["step"])
        data = EventInput(
            type="ObjectEvent",
            event_time=when,
            action="OBSERVE",
            biz_step=chosen.biz_step,
            disposition=chosen.disposition,
            read_point=place,
            biz_location=place,
            items=items,
            quantities=quantities,
        )
        recorded = member_write(
            key, lambda s, ledger, req: record_event_as_noticed(s, ledger, req, data)
        )
    except DomainError as exc:
        return _event_form(own, 422, error=error_text(exc), **fresh_key(exc, kept))
    if recorded.notices:
        # Recorded, with the plausibility rules' remarks: shown now, in the person's language
        # (a reload sends the same idempotency key again: a replay, nothing appended).
        translate = translator(g.lang)
        notices = [p.message for n in recorded.notices for p in n.problems(translate)]
        return _log_page(own, done=t("event_recorded"), notices=notices)
    return redirect(url_for("console.batch_events", public_id=public_id, done="event"), 303)


@bp.route("/batches/<public_id>/events/<event_id>/error", methods=["POST"])
@signed_in
def declare_event_error(public_id: str, event_id: str) -> Page:
    own = own_batch(public_id)
    if own is None:
        return not_found()
    found = _batch_event(own, event_id[:40])
    if found is None:
        return not_found()
    reason = request.form.get("reason", "")
    if reason not in ERROR_REASONS:
        reason = ""
    event = found.event_id
    try:
        member_write(
            form_key(), lambda s, ledger, req: declare_error_as(s, ledger, req, event, reason)
        )
    except DomainError as exc:
        return _log_page(own, 422, error=error_text(exc))
    return redirect(url_for("console.batch_events", public_id=public_id, done="declared"), 303)


@bp.route("/batches/<public_id>/recall", methods=["GET", "POST"])
@signed_in
def recall_batch(public_id: str) -> Page:
    own = own_batch(public_id)
    if own is None:
        return not_found()
    values = {"severity": "high", "reason": ""}
    key = new_key()
    error = None
    if request.method == "POST":
        key = form_key()
        values = {k: request.form.get(k, "") for k in values}
        data = RecallInput([own.batch.public_id], values["reason"], values["severity"])
        try:
            member_write(key, lambda s, ledger, req: issue_recall_as(s, ledger, req, data))
        except DomainError as exc:
            error = error_text(exc)
            key = str(fresh_key(exc, {"key": key}).get("key") or new_key())
        else:
            return redirect(
                url_for("console.batch_events", public_id=public_id, done="recalled"), 303
            )
    return render(
        "console/recall.html",
        422 if error else 200,
        own=own,
        severities=SEVERITIES,
        values=values,
        key=key,
        error=error,
        recalls=_recalls(own),
    )
