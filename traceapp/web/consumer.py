"""What every consumer page's template gets: the language's texts, numbers and dates.

One place, so that the item page, its error pages, the landing page and the report form
format alike (``traceapp/i18n.py``: "240 gói", "1.234,5", 06/12/2026) and link alike.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flask import request

from traceapp.clients import client_fingerprint
from traceapp.db.sessions import get_session
from traceapp.gs1.errors import Gs1Error
from traceapp.i18n import format_date, format_datetime, format_number
from traceapp.scans import services as scans
from traceapp.verification.model import Verification
from traceapp.verification.texts import TEXTS, text


def with_lang(path: str, lang: str, **params: str) -> str:
    """``path`` with ``params``, and the language when the person chose it in the URL."""
    query = [(k, v) for k, v in params.items() if v]
    if "lang" in request.args:
        query.append(("lang", lang))
    return path + ("?" + urlencode(query) if query else "")


def report_url(code: str, lang: str) -> str:
    return with_lang("/report", lang, code=code)


def page_context(lang: str, today: date) -> dict[str, Any]:
    """The template's helpers in ``lang``: t(), num(), day(), moment() and the home link."""

    def t(key: str, **params: object) -> str:
        return text(lang, key, **params)

    def num(value: int | float | Decimal) -> str:
        return format_number(value, lang)

    def day(value: date) -> str:
        return format_date(value, lang)

    def moment(value: datetime) -> str:
        return format_datetime(value, lang)

    return {
        "lang": lang,
        "t": t,
        "num": num,
        "day": day,
        "moment": moment,
        "today": today,
        "home_url": with_lang("/", lang),
        "report_form_url": with_lang("/report", lang),
    }


def bad_code_message(exc: Gs1Error, lang: str) -> str:
    """What is wrong, in ``lang``: the GS1 parser's own message is English, so Vietnamese
    pages say only the summary of the field (or nothing more than the page's help)."""
    key = f"bad_{exc.field}"
    summary = text(lang, key) if key in TEXTS and key != "bad_code" else ""
    return f"{summary} {exc.message}".strip() if lang == "en" else summary


def claimed_by_reader(view: Verification) -> bool:
    """Whether this reader (the same fingerprint as the claim's scan) claimed the item."""
    if view.item is None or not view.item.claimed:
        return False
    return scans.claimed_by(get_session(), view.item.public_id, client_fingerprint())
