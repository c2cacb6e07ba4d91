"""What every consumer-facing answer shares: the language asked for, the request's own path,
the time in Vietnam, the same-origin check of forms, and the headers and error pages.

The item pages (``resolver.py``), the landing page and the report form (``pages.py``) answer
through these, so they negotiate, format and refuse alike.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import quote, urlencode, urlsplit

from flask import Response, current_app, render_template, request

from traceapp.config import get_settings
from traceapp.i18n import LANGUAGES, negotiate, vietnam_today
from traceapp.verification.texts import text
from traceapp.web.consumer import page_context
from traceapp.web.gs1resolver import problem, requested_format

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def language() -> str:
    """``?lang=`` when it names one of ours, else ``Accept-Language`` (``i18n.negotiate``)."""
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return negotiate(request.headers.get("Accept-Language"))


def raw_path(prefix: str = "") -> str:
    """The request path still percent-encoded: a lot may contain an encoded '/'."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw:
        path = urlsplit(raw).path if "://" in raw else raw.split("?", 1)[0]
        root = request.script_root
        if root and path.startswith(root):
            path = path[len(root) :]
    else:
        path = quote(request.path, safe="/")
    return path[len(prefix) :] if prefix and path.startswith(prefix) else path


def now_and_today() -> tuple[datetime, date]:
    now = datetime.now(UTC)
    return now, vietnam_today(now)


def lang_url(lang: str) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return raw_path() + "?" + urlencode([*args, ("lang", lang)])


def same_origin() -> bool:
    """CSRF defence without cookies: a browser's POST carries Origin (or at least Referer)."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source or source == "null":
        return False
    netloc = urlsplit(source).netloc.lower()
    public = urlsplit(get_settings(current_app).public_url).netloc.lower()
    return netloc in {request.host.lower(), public}


def finish(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "same-origin"
    response.vary.update(("Accept", "Accept-Language"))
    response.cache_control.no_store = True  # scan counts and warnings change per request
    return response


def error_page(
    status: int,
    code: str,
    field: str | None,
    message: str,
    lang: str,
    *,
    detail: str | None = None,
    help_text: str | None = None,
    report: str | None = None,
) -> Response:
    """``message`` for JSON; the HTML page says its title and help, then ``detail`` if any."""
    if requested_format() in ("json", "linkset"):
        response = problem(status, code, field, message, lang)
    else:
        key = {404: "not_found", 429: "too_many"}.get(status, "bad_code")
        response = Response(
            render_template(
                "verify/error.html",
                **page_context(lang, now_and_today()[1]),
                title_key=key,
                field=field,
                message=detail,
                help_text=help_text,
                report_url=report,
                status=status,
                switch_url=lang_url("en" if lang == "vi" else "vi"),
            ),
            mimetype="text/html",
        )
    response.status_code = status
    return finish(response)


def too_many(seconds: int, lang: str) -> Response:
    message = text(lang, "rate_limited", seconds=seconds)
    help_text = text(lang, "too_many_help", count=seconds)
    response = error_page(429, "RATE_LIMITED", None, message, lang, help_text=help_text)
    response.headers["Retry-After"] = str(seconds)
    return response
