"""The programme office's first page: invite a registered producer's owner (issue 16's later
office pages build on this). Anyone but the office gets 404."""

from __future__ import annotations

from flask import request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from traceapp.accounts.models import OFFICE_ADMIN, OFFICE_ROLES, PRODUCER_OWNER, Account
from traceapp.accounts.services import invite, pending_invitations
from traceapp.console.core import bp, current, error_text, not_found, render, signed_in
from traceapp.console.producer import invitation_page
from traceapp.db.sessions import get_database, get_session
from traceapp.errors import DomainError
from traceapp.producers.models import Producer

Page = tuple[str, int] | BaseResponse


def _office_page(status: int = 200, error: str | None = None) -> tuple[str, int]:
    me = current()
    session = get_session()
    producers = session.execute(
        select(Producer.public_id, Producer.name).order_by(Producer.name).limit(1000)
    ).all()
    names = {row.public_id: row.name for row in producers}
    return render(
        "console/office.html",
        status,
        producers=producers,
        names=names,
        may_invite=me.role == OFFICE_ADMIN,
        pending=pending_invitations(session, me),
        error=error,
    )


@bp.route("/office/")
@signed_in
def office() -> Page:
    if current().role not in OFFICE_ROLES:
        return not_found()
    return _office_page()


@bp.route("/office/invite", methods=["POST"])
@signed_in
def office_invite() -> Page:
    me = current()
    if me.role not in OFFICE_ROLES:
        return not_found()
    try:
        with get_database().write() as session:
            inviter = session.get(Account, me.id)
            assert inviter is not None
            _, token = invite(
                session, inviter, PRODUCER_OWNER, request.form.get("producer", "")[:40] or None
            )
    except DomainError as exc:
        get_session().rollback()
        return _office_page(422, error_text(exc))
    return invitation_page(token, PRODUCER_OWNER, url_for("console.office"))
