"""Optional passkeys: JSON endpoints for ``static/console-passkeys.js``. Without that script (or
a browser without WebAuthn's JSON methods) nothing changes: passwords work as before.

Every POST here carries the CSRF token in ``X-CSRF-Token``, checked by ``core`` like a form's.
"""

from __future__ import annotations

import math

from flask import Response, g, jsonify, make_response, request, url_for

from traceapp.accounts.errors import SignInRefused
from traceapp.accounts.models import Account
from traceapp.accounts.passkeys import (
    RelyingParty,
    binding,
    passkey_sign_in,
    register_passkey,
    registration_options,
    sign_in_options,
)
from traceapp.accounts.sessions import end_session, start_session
from traceapp.config import get_settings
from traceapp.console.core import (
    COOKIE,
    account_session,
    bp,
    client,
    current,
    error_text,
    signed_in,
    start_browser_session,
    t,
)
from traceapp.db.sessions import get_database
from traceapp.errors import DomainError

# A WebAuthn response is a few kilobytes; anything much larger is not one.
MAX_CREDENTIAL = 64 * 1024


def _rp() -> RelyingParty:
    return RelyingParty.of(get_settings().public_url)


def _json(body: str, status: int = 200) -> Response:
    response = make_response(body, status)
    response.mimetype = "application/json"
    return response


def _error(message: str, status: int) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response


def _credential() -> str | None:
    data = request.get_data(cache=False, as_text=True)
    return data if 0 < len(data) <= MAX_CREDENTIAL else None


def _registration_binding() -> bytes:
    row = account_session()
    assert row is not None
    return binding("register", str(row.id))


@bp.route("/passkeys/register/options", methods=["POST"])
@signed_in
def passkey_register_options() -> Response:
    with get_database().write() as session:
        account = session.get(Account, current().id)
        assert account is not None
        body = registration_options(session, account, _registration_binding(), _rp())
    return _json(body)


@bp.route("/passkeys/register", methods=["POST"])
@signed_in
def passkey_register() -> Response:
    credential = _credential()
    if credential is None:
        return _error(t("passkey_failed"), 400)
    try:
        with get_database().write() as session:
            account = session.get(Account, current().id)
            assert account is not None
            register_passkey(session, account, _registration_binding(), _rp(), credential)
    except DomainError as exc:
        return _error(error_text(exc), 422)
    return jsonify(next=url_for("console.account", done="passkey_added"))


@bp.route("/passkeys/login/options", methods=["POST"])
def passkey_login_options() -> Response:
    with get_database().write() as session:
        body = sign_in_options(session, binding("sign-in", g.pre_token), _rp())
    return _json(body)


@bp.route("/passkeys/login", methods=["POST"])
def passkey_login() -> Response:
    credential = _credential()
    if credential is None:
        return _error(t("passkey_failed"), 400)
    refused: SignInRefused | None = None
    token = ""
    with get_database().write() as session:
        try:
            account = passkey_sign_in(
                session, binding("sign-in", g.pre_token), _rp(), credential, client()
            )
        except SignInRefused as exc:
            refused = exc  # the attempt's record commits with the transaction
        else:
            end_session(session, request.cookies.get(COOKIE, ""))
            _, token = start_session(session, account, client())
    if refused is not None:
        minutes = math.ceil(refused.retry_after / 60)
        key = "passkey_failed" if refused.reason == "wrong" else f"signin_{refused.reason}"
        response = _error(t(key, minutes=minutes), 429 if refused.retry_after else 401)
        if refused.retry_after:
            response.headers["Retry-After"] = str(refused.retry_after)
        return response
    response = jsonify(next=url_for("console.dashboard"))
    start_browser_session(response, token)
    return response
