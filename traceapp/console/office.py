"""The programme office's producers: the list (filters typed with or without diacritics,
pages), registration, and the owner's invitation. The producer's own page is
``office_producer.py``, tokens ``office_tokens.py``.

Who may do what is ``accounts.office.may`` (docs/security.md, "The office"): a member of a
producer, or anyone else outside the office, gets the same 404 as a page that does not exist;
an office member whose role may not do an action gets 403 with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import redirect, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from traceapp.accounts.models import PRODUCER_OWNER, Account
from traceapp.accounts.office import INVITE, REGISTER, VIEW, may
from traceapp.accounts.services import invite, member_write_request, pending_invitations
from traceapp.console.core import bp, current, error_text, not_found, render, signed_in
from traceapp.console.forms import field_errors, form_key, new_key
from traceapp.console.producer import invitation_page
from traceapp.db.sessions import get_database, get_session
from traceapp.errors import DomainError
from traceapp.i18n import vietnam_today
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.service import WriteRequest
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.models import PRODUCER_KINDS, PRODUCER_STATUSES, Producer
from traceapp.producers.search import producer_filter, producer_page
from traceapp.producers.services import ProducerInput, register_producer_as
from traceapp.statistics.services import producers_total

Page = tuple[str, int] | BaseResponse
T = TypeVar("T")
PAGE_SIZE = 25
REGISTER_FIELDS = (
    "kind",
    "name",
    "taxCode",
    "gln",
    "province",
    "commune",
    "street",
    "addressRecordedOn",
)


def refusal(action: str) -> Page | None:
    """None when the member may do ``action``; else the page that says no (404 outside the
    office, so an office URL says nothing to a producer; 403 inside it)."""
    me = current()
    if not may(me, VIEW):
        return not_found()
    if not may(me, action):
        return render(
            "console/message.html", 403, title="ofc_not_allowed", help="ofc_not_allowed_help"
        )
    return None


def _filters() -> dict[str, str]:
    args = request.args
    return {
        "name": args.get("name", "")[:100],
        "province": args.get("province", "")[:100],
        "commune": args.get("commune", "")[:100],
        "kind": args.get("kind", "") if args.get("kind") in PRODUCER_KINDS else "",
        "status": args.get("status", "") if args.get("status") in PRODUCER_STATUSES else "",
    }


def _office_page(status: int = 200, error: str | None = None) -> tuple[str, int]:
    """The producers by name, PAGE_SIZE a page, paged by a keyset cursor (``after`` /
    ``before`` a producer's public ID) as the batch log and the tokens are."""
    me = current()
    session = get_session()
    filters = _filters()
    query = producer_filter(select(Producer), **{k: v or None for k, v in filters.items()})
    if filters["name"] or filters["province"] or filters["commune"]:
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    else:  # the roll-ups carry kind and status: the whole list's total without reading it
        total = producers_total(
            session, kind=filters["kind"] or None, status=filters["status"] or None
        )
    args = request.args
    found = producer_page(
        session,
        query,
        after=args.get("after", "")[:40] or None,
        before=args.get("before", "")[:40] or None,
        size=PAGE_SIZE,
    )
    pending = pending_invitations(session, me)
    names = {
        row.public_id: row.name
        for row in session.execute(
            select(Producer.public_id, Producer.name).where(
                Producer.public_id.in_({i.producer_public_id for i in pending})
            )
        )
    }
    return render(
        "console/office.html",
        status,
        producers=found.producers,
        previous=found.previous,
        following=found.next,
        paged=bool(args.get("after") or args.get("before")),
        filters=filters,
        total=total,
        kinds=PRODUCER_KINDS,
        statuses=PRODUCER_STATUSES,
        may_register=may(me, REGISTER),
        pending=pending,
        names=names,
        error=error,
    )


@bp.route("/office/")
@signed_in
def office() -> Page:
    return refusal(VIEW) or _office_page()


@bp.route("/office/invite", methods=["POST"])
@signed_in
def office_invite() -> Page:
    refused = refusal(INVITE)
    if refused:
        return refused
    me = current()
    producer = request.form.get("producer", "")[:40] or None
    try:
        with get_database().write() as session:
            inviter = session.get(Account, me.id)
            assert inviter is not None
            _, token = invite(session, inviter, PRODUCER_OWNER, producer)
    except DomainError as exc:
        get_session().rollback()
        return _office_page(422, error_text(exc))
    back = url_for("console.office_producer", public_id=producer) if producer else None
    return invitation_page(token, PRODUCER_OWNER, back or url_for("console.office"))


@bp.route("/office/producers/new", methods=["GET", "POST"])
@signed_in
def office_register() -> Page:
    refused = refusal(REGISTER)
    if refused:
        return refused
    if request.method == "GET":
        values = dict.fromkeys(REGISTER_FIELDS, "")
        values.update(
            kind="cooperative", addressRecordedOn=vietnam_today().isoformat(), key=new_key()
        )
        return render(
            "console/office_register.html", values=values, errors={}, kinds=PRODUCER_KINDS
        )
    sent = {name: request.form.get(name, "") for name in (*REGISTER_FIELDS, "key")}
    data = ProducerInput(
        kind=sent["kind"],
        name=sent["name"],
        province=sent["province"],
        address_recorded_on=sent["addressRecordedOn"],
        tax_code=sent["taxCode"] or None,
        commune=sent["commune"] or None,
        street=sent["street"] or None,
        gln=sent["gln"] or None,
    )
    try:
        receipt = office_write(
            lambda session, ledger, write: register_producer_as(session, ledger, write, data)
        )
    except DomainError as exc:
        errors = field_errors(exc, REGISTER_FIELDS)
        return render(
            "console/office_register.html", 422, values=sent, errors=errors, kinds=PRODUCER_KINDS
        )
    return redirect(
        url_for("console.office_producer", public_id=receipt.public_ids[0], done="registered"), 303
    )


def office_write(run: Callable[[Session, Ledger, WriteRequest], T]) -> T:
    """``run(session, ledger, write)`` as the signed-in office member, in one transaction."""
    me = current()
    ledger = get_ledger()
    try:
        with get_database().write() as session:
            account = session.get(Account, me.id)
            assert account is not None
            return run(session, ledger, member_write_request(session, account, form_key()))
    finally:
        get_session().rollback()  # the next page reads the write (SQLite WAL snapshot)
