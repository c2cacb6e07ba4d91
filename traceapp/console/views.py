"""Signing in and out, accepting an invitation, the person's own account page."""

from __future__ import annotations

import math
from typing import Any

from flask import Response, make_response, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from traceapp.accounts.errors import SignInRefused
from traceapp.accounts.models import PRODUCER_ROLES
from traceapp.accounts.passkeys import passkeys_of
from traceapp.accounts.passwords import MIN_LENGTH
from traceapp.accounts.services import PersonInput, accept_invitation, open_invitation
from traceapp.accounts.sessions import (
    change_password,
    end_session,
    recent_sign_ins,
    set_language,
    sign_in,
    sign_out_everywhere,
    start_session,
)
from traceapp.console.core import (
    COOKIE,
    LANG_COOKIE,
    account_session,
    bp,
    client,
    current,
    end_browser_session,
    error_text,
    member,
    render,
    safe_next,
    set_cookie,
    signed_in,
    start_browser_session,
    t,
)
from traceapp.db.sessions import get_database, get_session
from traceapp.errors import DomainError
from traceapp.producers.services import get_producer

Page = tuple[str, int] | BaseResponse
# The account page's notices after a redirect: only these, never text from the URL.
_NOTICES = {k: k for k in ("password_changed", "passkey_added")}


def _signed_in_response(token: str, target: str) -> Response:
    response = make_response(redirect(target, 303))
    start_browser_session(response, token)
    return response


@bp.route("/login", methods=["GET", "POST"])
def login() -> Page:
    if request.method == "GET":
        if member() is not None:
            return redirect(url_for("console.dashboard"))
        return render("console/login.html", next=request.args.get("next", ""))
    login_value = request.form.get("login", "")[:254]
    password = request.form.get("password", "")[:1024]
    refused: SignInRefused | None = None
    token = ""
    with get_database().write() as session:
        try:
            account = sign_in(session, login_value, password, client())
        except SignInRefused as exc:
            refused = exc  # the attempt's record commits with the transaction
        else:
            # A new session ID at every sign-in: whatever cookie came in is ended, not reused.
            end_session(session, request.cookies.get(COOKIE, ""))
            _, token = start_session(session, account, client())
    if refused is not None:
        minutes = math.ceil(refused.retry_after / 60)
        status = 429 if refused.retry_after else 401
        page, _ = render(
            "console/login.html",
            next=request.form.get("next", ""),
            login=login_value,
            error=t(f"signin_{refused.reason}", minutes=minutes),
        )
        response = make_response(page, status)
        if refused.retry_after:
            response.headers["Retry-After"] = str(refused.retry_after)
        return response
    return _signed_in_response(token, safe_next(request.form.get("next")))


@bp.route("/logout", methods=["POST"])
def logout() -> Page:
    token = request.cookies.get(COOKIE, "")
    if token:
        with get_database().write() as session:
            end_session(session, token)
    response = make_response(redirect(url_for("console.login", out=1), 303))
    end_browser_session(response)
    return response


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str) -> Page:
    session = get_session()
    try:
        invite = open_invitation(session, token[:100])
    except DomainError:
        return render(
            "console/message.html", 404, title="not_found_title", help="err_not_found_token"
        )
    producer = (
        get_producer(session, invite.producer_public_id).name
        if invite.role in PRODUCER_ROLES and invite.producer_public_id
        else None
    )
    form = {k: request.form.get(k, "")[:254] for k in ("name", "email", "phone")}
    page: dict[str, Any] = {
        "invite": invite,
        "producer": producer,
        "form": form,
        "min_length": MIN_LENGTH,
    }
    if request.method == "GET":
        return render("console/accept.html", **page)
    person = PersonInput(
        name=form["name"],
        email=form["email"] or None,
        phone=form["phone"] or None,
        password=request.form.get("password", "")[:1024],
        language=str(request.cookies.get(LANG_COOKIE) or "") or None,
    )
    try:
        with get_database().write() as write:
            account = accept_invitation(write, token[:100], person)
            end_session(write, request.cookies.get(COOKIE, ""))
            _, cookie = start_session(write, account, client())
    except DomainError as exc:
        session.rollback()
        return render("console/accept.html", 422, error=error_text(exc, n=MIN_LENGTH), **page)
    return _signed_in_response(cookie, url_for("console.dashboard"))


@bp.route("/account")
@signed_in
def account() -> Page:
    me = current()
    return render(
        "console/account.html",
        sign_ins=recent_sign_ins(get_session(), me.id),
        notice=_NOTICES.get(request.args.get("done", "")),
        min_length=MIN_LENGTH,
        passkeys=passkeys_of(get_session(), me.id),
    )


@bp.route("/account/password", methods=["POST"])
@signed_in
def account_password() -> Page:
    me = current()
    row = _session_id()
    try:
        with get_database().write() as session:
            change_password(
                session,
                me.id,
                request.form.get("current", "")[:1024],
                request.form.get("new", "")[:1024],
                keep_session=row,
            )
    except DomainError as exc:
        get_session().rollback()
        return render(
            "console/account.html",
            422,
            sign_ins=recent_sign_ins(get_session(), me.id),
            error=error_text(exc, n=MIN_LENGTH),
            min_length=MIN_LENGTH,
            passkeys=passkeys_of(get_session(), me.id),
        )
    return redirect(url_for("console.account", done="password_changed"), 303)


def _session_id() -> int:
    row = account_session()
    assert row is not None
    return row.id


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@signed_in
def account_sign_out_everywhere() -> Page:
    with get_database().write() as session:
        sign_out_everywhere(session, current().id)
    response = make_response(redirect(url_for("console.login", out=1), 303))
    end_browser_session(response)
    return response


@bp.route("/language", methods=["POST"])
def choose_language() -> Page:
    """The header's switch and the account's setting: saved on the account once signed in,
    in a cookie before."""
    chosen = request.form.get("lang", "")
    value = chosen if chosen in ("vi", "en") else None
    target = safe_next(request.form.get("next"))
    response = make_response(redirect(target, 303))
    me = member()
    if me is not None:
        with get_database().write() as session:
            set_language(session, me.id, value)
    if value:
        set_cookie(response, LANG_COOKIE, value, max_age=365 * 86400)
    else:
        response.delete_cookie(LANG_COOKIE, path="/console")
    return response
