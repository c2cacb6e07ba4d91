"""The office's API tokens: every token with its producer (a page at a time, newest first), a new token for a producer (the
secret shown once, only its hash kept), revocation. The same ``auth.services`` calls as
``traceapp tokens create|list|revoke``; only the office admin creates or revokes."""

from __future__ import annotations

from flask import redirect, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from traceapp.accounts.office import TOKENS, VIEW, may
from traceapp.auth.services import create_token, revoke_token, token_page
from traceapp.console.batch_log import LOG_PAGE
from traceapp.console.core import bp, current, error_text, not_found, render, signed_in, t
from traceapp.console.office import refusal
from traceapp.console.office_producer import find_producer, producer_page
from traceapp.db.sessions import get_database, get_session
from traceapp.errors import DomainError, NotFound
from traceapp.producers.models import Producer

Page = tuple[str, int] | BaseResponse


@bp.route("/office/tokens")
@signed_in
def office_tokens() -> Page:
    refused = refusal(VIEW)
    if refused:
        return refused
    session = get_session()
    # Paged as the batch log is: LOG_PAGE tokens, newest first, "older" by a keyset cursor.
    tokens, older = token_page(session, request.args.get("before", "")[:40] or None, LOG_PAGE)
    names = {
        row.public_id: row.name
        for row in session.execute(
            select(Producer.public_id, Producer.name).where(
                Producer.public_id.in_({tok.producer_public_id for tok in tokens})
            )
        )
    }
    done = t("token_revoked") if request.args.get("done") == "revoked" else None
    return render(
        "console/office_tokens.html",
        tokens=tokens,
        older=older,
        names=names,
        may_tokens=may(current(), TOKENS),
        done=done,
    )


@bp.route("/office/producers/<public_id>/tokens", methods=["POST"])
@signed_in
def office_token_create(public_id: str) -> Page:
    refused = refusal(TOKENS)
    if refused:
        return refused
    producer = find_producer(public_id)
    if producer is None:
        return not_found()
    label = request.form.get("label", "")
    try:
        with get_database().write() as session:
            _, secret = create_token(session, "producer", producer.public_id, label or None)
    except DomainError as exc:
        get_session().rollback()
        return producer_page(producer, 422, token_error=error_text(exc))
    get_session().rollback()
    return producer_page(producer, secret=secret)


@bp.route("/office/tokens/<public_id>/revoke", methods=["POST"])
@signed_in
def office_token_revoke(public_id: str) -> Page:
    refused = refusal(TOKENS)
    if refused:
        return refused
    try:
        with get_database().write() as session:
            token = revoke_token(session, public_id[:40])
            producer = token.producer_public_id
    except NotFound:
        return not_found()
    except DomainError as exc:
        return render("console/message.html", 422, title="ofc_tokens", detail=error_text(exc))
    if request.form.get("back") == "producer" and producer:
        return redirect(url_for("console.office_producer", public_id=producer), 303)
    return redirect(url_for("console.office_tokens", done="revoked"), 303)
