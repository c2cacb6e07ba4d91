"""A producer's API tokens for its own apps: create with a label (the secret shown once, only
its hash kept), list, revoke; the same ``auth.services`` calls as the GraphQL mutations.

Owners only: a token writes with the producer's key for as long as it lives, so handing one out
is the owner's decision, like inviting staff.
"""

from __future__ import annotations

from flask import redirect, request, url_for

from traceapp.accounts.models import PRODUCER_OWNER
from traceapp.auth.services import create_token, list_tokens, revoke_token
from traceapp.console.core import bp, current, error_text, not_found, render, signed_in, t
from traceapp.console.stamps import Page
from traceapp.db.sessions import get_database, get_session
from traceapp.errors import DomainError, NotFound, PermissionDenied


def _producer() -> str | None:
    me = current()
    return me.producer_public_id if me.role == PRODUCER_OWNER else None


def _page(producer: str, status: int = 200, **context: object) -> tuple[str, int]:
    get_session().rollback()  # the read session may predate the write's commit (SQLite WAL)
    return render(
        "console/tokens.html", status, tokens=list_tokens(get_session(), producer), **context
    )


@bp.route("/tokens", methods=["GET", "POST"])
@signed_in
def api_tokens() -> Page:
    producer = _producer()
    if producer is None:
        return not_found()
    if request.method == "GET":
        done = t("token_revoked") if request.args.get("done") == "revoked" else None
        return _page(producer, done=done)
    label = request.form.get("label", "")
    try:
        with get_database().write() as session:
            _, secret = create_token(session, "producer", producer, label or None)
    except DomainError as exc:
        return _page(producer, 422, error=error_text(exc), label=label)
    return _page(producer, secret=secret, label="")


@bp.route("/tokens/<public_id>/revoke", methods=["POST"])
@signed_in
def revoke_api_token(public_id: str) -> Page:
    producer = _producer()
    if producer is None:
        return not_found()
    try:
        with get_database().write() as session:
            revoke_token(session, public_id[:40], producer)
    except (NotFound, PermissionDenied):
        return not_found()
    except DomainError as exc:
        return _page(producer, 422, error=error_text(exc))
    return redirect(url_for("console.api_tokens", done="revoked"), 303)
