"""The consumer pages around the item page: the landing page ``/`` and the report form.

``/``: enter or paste a code (the QR Code's link, the element string the item page prints,
or the lot and serial printed under the QR Code) and be sent to the item page. ``/report``:
report a suspected fake (GET shows the form, POST stores it and redirects to a thank-you:
post/redirect/get), with one optional photo (a multipart form, no script needed: the photo is
checked and re-encoded without EXIF before it is kept, privately). Both work without
JavaScript; the pages escape every value they show.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from traceapp.batches.targets import find_printed
from traceapp.clients import client_fingerprint, rate_limited
from traceapp.config import get_settings
from traceapp.db.sessions import get_database, get_session, replica_reads_if_safe
from traceapp.gs1.digital_link import DigitalLink, parse_uri
from traceapp.gs1.element_string import parse_element_string
from traceapp.gs1.errors import Gs1Error
from traceapp.media.errors import MediaRefused
from traceapp.media.images import MAX_UPLOAD_BYTES, Renditions, read_upload
from traceapp.reports.errors import InvalidReport, TooManyReports
from traceapp.reports.services import (
    MAX_CONTACT,
    MAX_DETAILS,
    REASONS,
    ReportInput,
    canonical_code,
    check_rate,
    check_report,
    open_report_store,
    prepare_photo,
    submit_report,
)
from traceapp.verification.texts import text
from traceapp.web.answers import finish, lang_url, language, now_and_today, same_origin, too_many
from traceapp.web.consumer import page_context, with_lang

bp = Blueprint("pages", __name__)
bp.before_request(replica_reads_if_safe)

MAX_INPUT = 600
MAX_REPORT_BODY = MAX_UPLOAD_BYTES + 64 * 1024
"""A report's request: the photo's limit and room for the text fields and the multipart parts."""
PHOTO_TYPES = "image/jpeg,image/png,image/webp"


def _render(template: str, lang: str, status: int = 200, **values: object) -> Response:
    body = render_template(
        template,
        **page_context(lang, now_and_today()[1]),
        switch_url=lang_url("en" if lang == "vi" else "vi"),
        **values,
    )
    return finish(Response(body, status=status, mimetype="text/html"))


def _field(name: str) -> str:
    """A form or query value, NFKC (full-width characters as ASCII), bounded, stripped."""
    value = request.values.get(name) or ""
    return unicodedata.normalize("NFKC", value[:MAX_INPUT]).strip()


# --- landing page ----------------------------------------------------------------------------


@bp.get("/")
def home() -> Response:
    lang = language()
    wait = rate_limited("page")
    if wait:
        return too_many(wait, lang)
    code, lot, serial = _field("code"), _field("lot"), _field("serial")
    if not (code or lot or serial):
        return _render("verify/home.html", lang)
    link, error = _find(code, lot, serial)
    if link is None:
        values = {"code": code, "lot": lot, "serial": serial}
        return _render("verify/home.html", lang, 400, error=error, values=values)
    return _see_other(with_lang(link.path, lang))


def _find(code: str, lot: str, serial: str) -> tuple[DigitalLink | None, str]:
    """The link the person typed, or None and the key of the text saying why not."""
    public_url = get_settings(current_app).public_url
    if code:
        try:
            if code.startswith("("):
                return parse_element_string(code), ""
            if code.startswith("/"):
                return parse_uri(public_url.rstrip("/") + code, base_url=public_url), ""
            if "://" not in code:
                code = "https://" + code  # pasted without its scheme
            return parse_uri(code, base_url=public_url), ""
        except Gs1Error as exc:
            return None, "home_foreign" if exc.code == "foreign" else "home_error"
    if not (lot and serial):
        return None, "home_bad_input"
    session = get_session()
    found = find_printed(session, lot, serial) or find_printed(session, lot.upper(), serial.upper())
    if len(found) != 1:
        return None, "home_unknown"
    return DigitalLink(*found[0]), ""


# --- report a suspected fake -----------------------------------------------------------------


def _form(lang: str, status: int = 200, **values: object) -> Response:
    return _render(
        "verify/report.html",
        lang,
        status,
        reasons=REASONS,
        max_details=MAX_DETAILS,
        max_contact=MAX_CONTACT,
        max_photo_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
        photo_types=PHOTO_TYPES,
        **values,
    )


@bp.get("/report")
def report_form() -> Response:
    lang = language()
    wait = rate_limited("page")
    if wait:
        return too_many(wait, lang)
    code = _field("code")
    return _form(lang, code=code, reason=_field("reason"), errors={})


@bp.get("/report/thanks")
def report_thanks() -> Response:
    lang = language()
    code = _field("code")
    try:
        back = canonical_code(code, get_settings(current_app).public_url) if code else None
    except InvalidReport:
        back = None
    path = "/" + back.split("/", 3)[3] if back else None
    return _render("verify/report.html", lang, done=True, back=path)


@bp.post("/report")
def report_submit() -> Response:
    lang = language()
    wait = rate_limited("claim")
    if wait:
        return too_many(wait, lang)
    # Far below the app's limit: a body larger than a photo is refused before it is read.
    request.max_content_length = MAX_REPORT_BODY
    try:
        data = ReportInput(
            code=_field("code"),
            reason=_field("reason"),
            details=(request.form.get("details") or "")[: MAX_DETAILS * 2],
            contact=(request.form.get("contact") or "")[: MAX_CONTACT * 2],
        )
    except RequestEntityTooLarge:
        return _form(lang, 413, errors={"photo": "report_e_photo_too_large"}, code="")
    values = {"code": data.code, "reason": data.reason, "details": data.details}
    values["contact"] = data.contact
    if not same_origin():
        return _form(lang, 403, errors={"origin": "report_e_origin"}, **values)
    settings = get_settings(current_app)
    upload = request.files.get("photo")
    attached = upload is not None and bool(upload.filename)
    try:
        # The text first (cheap), the photo next (decoding is the costly part), then the write.
        check_report(data, settings.public_url)
        client, now = client_fingerprint(), datetime.now(UTC)
        photo: Renditions | None = None
        if upload is not None and attached:
            check_rate(get_session(), client=client, now=now)
            get_database().end_read(get_session())  # no SQLite snapshot held while decoding
            photo = prepare_photo(read_upload(upload.stream, "photo"))
        with get_database().write() as session:
            submit_report(
                session,
                data,
                client=client,
                now=now,
                public_url=settings.public_url,
                photo=(open_report_store(settings), photo) if photo is not None else None,
            )
    except TooManyReports as exc:
        minutes = max(1, -(-exc.retry_after // 60))
        response = _render(
            "verify/error.html",
            lang,
            429,
            title_key="too_many_reports",
            help_text=text(lang, "too_many_reports_help", count=minutes),
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except MediaRefused as exc:
        status = 413 if exc.code == "TOO_LARGE" else 400
        return _form(lang, status, errors={"photo": f"report_e_photo_{exc.code.lower()}"}, **values)
    except InvalidReport as exc:
        field = exc.field or "code"
        errors = {field: f"report_e_{field}"}
        if attached:  # a browser never refills a file input: say so
            errors["photo"] = "report_e_photo_again"
        return _form(lang, 400, errors=errors, **values)
    return _see_other(with_lang("/report/thanks", lang, code=data.code))


def _see_other(location: str) -> Response:
    """303 to a path of ours: the browser GETs it (post/redirect/get)."""
    return finish(Response(status=303, headers={"Location": location}))
