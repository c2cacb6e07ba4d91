"""What every console page shares: the signed-in member, CSRF, language, rendering, headers.

The session cookie holds a random token; ``account_sessions`` holds its SHA-256, so a session
is ended by a row update (sign out, sign out everywhere, suspension) and the next request sees it.
Every POST carries a CSRF token: the session's own once signed in; before that (sign-in,
invitation) an HMAC of a random pre-session cookie under a server key (double submit, keyed).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for

from traceapp.accounts.models import Account, AccountSession
from traceapp.accounts.sessions import SESSION_LIFETIME, live_session, needs_touch, touch
from traceapp.clients import client_fingerprint
from traceapp.config import get_settings
from traceapp.console.texts import TEXTS
from traceapp.db.sessions import get_database, get_session
from traceapp.errors import DomainError
from traceapp.i18n import format_date, format_datetime, format_number, negotiate

bp = Blueprint("console", __name__, url_prefix="/console")

COOKIE = "ocop_session"
PRE_COOKIE = "ocop_pre"
LANG_COOKIE = "ocop_lang"
COOKIE_PATH = "/console"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
F = TypeVar("F", bound=Callable[..., Any])


def client() -> str:
    """The caller's coarse fingerprint: one household (IPv4 address, IPv6 /64), never the IP."""
    return client_fingerprint(v4_bits=32, v6_bits=64)


def member() -> Account | None:
    found: Account | None = g.get("member")
    return found


def account_session() -> AccountSession | None:
    found: AccountSession | None = g.get("account_session")
    return found


def _csrf_secret() -> bytes:
    kek = get_settings().key_encryption_key
    assert kek is not None  # config gives development a fixed key and production its own
    return hmac.new(kek, b"ocop/console-csrf/v1", hashlib.sha256).digest()


def csrf_token() -> str:
    row = account_session()
    if row is not None:
        return row.csrf_token
    return hmac.new(_csrf_secret(), g.pre_token.encode(), hashlib.sha256).hexdigest()


def _csrf_ok() -> bool:
    # Forms send it as a field; the passkey script as a header.
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    return bool(sent) and hmac.compare_digest(sent.encode(), csrf_token().encode())


@bp.before_request
def load_member() -> Response | tuple[str, int] | None:
    g.member = None
    g.account_session = None
    token = request.cookies.get(COOKIE, "")
    if token:
        found = live_session(get_session(), token)
        if found is not None:
            g.account_session, g.member = found
            if needs_touch(found[0]):
                with get_database().write() as session:
                    touch(session, found[0].id)
    pre = request.cookies.get(PRE_COOKIE, "")
    g.new_pre = not pre or len(pre) > 64
    g.pre_token = secrets.token_urlsafe(24) if g.new_pre else pre
    account = member()
    preferred = account.language if account and account.language else None
    g.lang = negotiate(
        request.headers.get("Accept-Language"), preferred or request.cookies.get(LANG_COOKIE)
    )
    if request.method == "POST" and not _csrf_ok():
        return render("console/message.html", 400, title="csrf_title", help="csrf_help")
    return None


@bp.after_request
def console_headers(response: Response) -> Response:
    # Pages are personal (no-store), and invitation links must not leak through a Referer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    if g.get("new_pre"):
        set_cookie(response, PRE_COOKIE, g.pre_token, max_age=None)
    return response


def set_cookie(response: Response, name: str, value: str, *, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        secure=get_settings().public_url.startswith("https://"),
        httponly=True,
        samesite="Lax",
    )


def start_browser_session(response: Response, token: str) -> None:
    set_cookie(response, COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()))


def end_browser_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH)


def t(key: str, **params: object) -> str:
    return TEXTS(g.lang, key, **params)


def error_text(exc: DomainError, **params: object) -> str:
    """The console's words for a domain refusal: by code and field, else by code."""
    code = exc.code.lower()
    for key in (f"err_{code}_{exc.field}", f"err_{code}"):
        if key in TEXTS:
            return t(key, **params)
    return exc.message


def _when(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return format_datetime(value.astimezone(UTC), g.lang)
    return format_date(value, g.lang)


def render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    other = "en" if g.lang == "vi" else "vi"
    return (
        render_template(
            template,
            lang=g.lang,
            other_lang=other,
            t=t,
            member=member(),
            csrf_token=csrf_token(),
            number=lambda n: format_number(n, g.lang),
            when=_when,
            **context,
        ),
        status,
    )


def not_found() -> tuple[str, int]:
    return render("console/message.html", 404, title="not_found_title", help="not_found_help")


def signed_in(view: F) -> F:
    """Anonymous callers go to the sign-in page, and come back after it."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if member() is None:
            return redirect(url_for("console.login", next=request.path))
        return view(*args, **kwargs)

    return cast(F, wrapper)


def current() -> Account:
    """The signed-in member (views under ``signed_in``)."""
    account = member()
    if account is None:
        abort(404)
    return account


def safe_next(value: str | None) -> str:
    """Only a path of the console: never another host."""
    if value and value.startswith("/console/") and not value.startswith("//") and "\\" not in value:
        return value
    return url_for("console.dashboard")
