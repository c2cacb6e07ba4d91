"""A producer's pages: the overview and, for the owner, the staff and their invitations.

Another producer's objects answer 404, exactly like objects that do not exist: a URL says
nothing about what it names unless the member may see it.
"""

from __future__ import annotations

import base64

from flask import url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from traceapp.accounts.models import (
    OFFICE_ROLES,
    PRODUCER_OWNER,
    PRODUCER_ROLES,
    PRODUCER_STAFF,
    Account,
)
from traceapp.accounts.services import invite, members_of, pending_invitations
from traceapp.config import get_settings
from traceapp.console.core import bp, current, error_text, not_found, render, signed_in
from traceapp.console.dashboard import overview
from traceapp.db.sessions import get_database, get_session
from traceapp.errors import DomainError
from traceapp.labels.qr import qr_png

Page = tuple[str, int] | BaseResponse


@bp.route("/")
@signed_in
def dashboard() -> Page:
    me = current()
    if me.role in PRODUCER_ROLES and me.producer_public_id:
        return render("console/dashboard.html", view=overview(get_session(), me.producer_public_id))
    return render("console/dashboard.html", view=None, office=me.role in OFFICE_ROLES)


def invitation_page(token: str, role: str, back: str) -> tuple[str, int]:
    """The one-time link and its QR code, shown once (only the token's hash is kept)."""
    link = f"{get_settings().public_url}/console/invitation/{token}"
    qr = base64.b64encode(qr_png(link, box_size=5)).decode()
    return render("console/invited.html", link=link, qr=qr, role=role, back=back)


def _owner() -> Account | None:
    me = current()
    return me if me.role == PRODUCER_OWNER and me.producer_public_id else None


@bp.route("/staff")
@signed_in
def staff() -> Page:
    owner = _owner()
    if owner is None:
        return not_found()
    assert owner.producer_public_id is not None
    session = get_session()
    return render(
        "console/staff.html",
        members=members_of(session, owner.producer_public_id),
        pending=pending_invitations(session, owner),
    )


@bp.route("/staff/invite", methods=["POST"])
@signed_in
def invite_staff() -> Page:
    owner = _owner()
    if owner is None:
        return not_found()
    try:
        with get_database().write() as session:
            inviter = session.get(Account, owner.id)
            assert inviter is not None
            _, token = invite(session, inviter, PRODUCER_STAFF)
    except DomainError as exc:
        get_session().rollback()
        return render("console/message.html", 422, title="invite_staff", detail=error_text(exc))
    return invitation_page(token, PRODUCER_STAFF, url_for("console.staff"))


@bp.route("/staff/<public_id>")
@signed_in
def staff_member(public_id: str) -> Page:
    owner = _owner()
    if owner is None:
        return not_found()
    found = (
        get_session()
        .execute(
            select(Account).where(
                Account.public_id == public_id[:40],
                Account.producer_public_id == owner.producer_public_id,
            )
        )
        .scalar_one_or_none()
    )
    if found is None:
        return not_found()
    return render("console/staff_member.html", person=found)
