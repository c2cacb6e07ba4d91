"""Storing and listing shoppers' reports of suspected fakes.

Text is stored as typed (NFC, control characters removed, length-limited) and never as
markup: whatever shows it must escape it, as the Jinja pages do. A photo is checked and
re-encoded by ``media.images`` (no EXIF, so no GPS position, survives) and kept in a private
store that ``/media`` does not serve; the row holds only its hashes. Reports never reach the
ledger.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from traceapp.config import Settings
from traceapp.gs1.digital_link import format_uri, parse_uri
from traceapp.gs1.errors import Gs1Error
from traceapp.ledger_store.ids import IdSource
from traceapp.media.images import Renditions, StoredPhoto, process, store_renditions
from traceapp.media.store import MediaStore, open_private_store
from traceapp.reports.errors import InvalidReport, TooManyReports
from traceapp.reports.models import Report

REASONS = ("not_found", "copied", "label", "product", "other")
MAX_CODE = 600
MAX_DETAILS = 1000
MAX_CONTACT = 200
MAX_PER_WINDOW = 5
WINDOW = timedelta(hours=1)
LIST_LIMIT = 500


@dataclass(frozen=True)
class ReportInput:
    code: str
    """The Digital Link URI (or its path) the shopper was looking at."""
    reason: str
    details: str | None = None
    contact: str | None = None


@dataclass(frozen=True)
class ReportView:
    public_id: str
    code: str
    reason: str
    details: str | None
    contact: str | None
    client: str
    created_at: datetime
    photo: StoredPhoto | None = None
    """Read its bytes with ``open_report_store(settings).get(photo.sha256)`` (WebP) or
    ``photo.jpeg``; thumbnails likewise. Never link them under ``/media``."""


def open_report_store(settings: Settings) -> MediaStore:
    """Where report photos are kept: private, owner-readable files beside the public media."""
    return open_private_store(settings, "reports")


def prepare_photo(data: bytes) -> Renditions:
    """The upload checked and re-encoded without metadata; ``MediaRefused`` (field ``photo``)
    when it is not a JPEG, PNG or WebP picture, too large, a bomb or damaged. CPU work: call it
    before the write transaction."""
    return process(data, field="photo")


def clean_text(value: str | None, field: str, limit: int) -> str | None:
    """NFC text without control characters (newlines kept), stripped; None when empty.

    Longer than ``limit`` characters: refused, never silently cut.
    """
    if value is None:
        return None
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n")
    text = "".join(c for c in text if c == "\n" or unicodedata.category(c)[0] != "C").strip()
    if len(text) > limit:
        raise InvalidReport(f"at most {limit} characters", field=field, code="TOO_LONG")
    return text or None


def canonical_code(code: str, public_url: str) -> str:
    """The Digital Link URI of ``code`` on our domain (a full URI on it, or a path)."""
    raw = code.strip()
    if not raw or len(raw) > MAX_CODE:
        raise InvalidReport("a Digital Link URI of this site", field="code")
    try:
        if raw.startswith("/"):
            link = parse_uri(public_url.rstrip("/") + raw, base_url=public_url)
        else:
            link = parse_uri(raw, base_url=public_url)
    except Gs1Error as exc:
        raise InvalidReport(exc.message, field="code") from exc
    return format_uri(public_url, link)


def check_report(data: ReportInput, public_url: str) -> tuple[str, str | None, str | None]:
    """The canonical code, details and contact; InvalidReport naming the first wrong field.
    Pure: a form checks the text before it spends time on a photo."""
    code = canonical_code(data.code, public_url)
    if data.reason not in REASONS:
        raise InvalidReport(f"one of {', '.join(REASONS)}", field="reason")
    details = clean_text(data.details, "details", MAX_DETAILS)
    return code, details, clean_text(data.contact, "contact", MAX_CONTACT)


def check_rate(session: Session, *, client: str, now: datetime) -> None:
    """TooManyReports when ``client`` sent MAX_PER_WINDOW reports within WINDOW. A form with a
    photo asks before decoding it, so an over-limit client costs no image work."""
    recent = session.execute(
        select(func.count(), func.min(Report.created_at)).where(
            Report.client == client, Report.created_at > now - WINDOW
        )
    ).one()
    if recent[0] >= MAX_PER_WINDOW:
        wait = recent[1] + WINDOW - now
        raise TooManyReports(max(1, int(wait.total_seconds() + 0.999)))


def submit_report(
    session: Session,
    data: ReportInput,
    *,
    client: str,
    now: datetime,
    public_url: str,
    photo: tuple[MediaStore, Renditions] | None = None,
) -> ReportView:
    """Store a report in the caller's write transaction, with ``photo`` (the report store and
    what ``prepare_photo`` made) put in that store; refused: InvalidReport (a field is wrong) or
    TooManyReports (MAX_PER_WINDOW from this client within WINDOW). Nothing is stored when
    refused: the photo is put after every check."""
    if now.tzinfo is None:
        raise ValueError("naive datetime; use timezone-aware UTC")
    code, details, contact = check_report(data, public_url)
    check_rate(session, client=client, now=now)
    stored = store_renditions(*photo) if photo is not None else None
    report = Report(
        public_id=IdSource().public_id("rpt"),
        code=code,
        reason=data.reason,
        details=details,
        contact=contact,
        photo=stored.statement() if stored is not None else None,
        client=client,
        created_at=now,
    )
    session.add(report)
    session.flush()
    return report_view(report)


def list_reports(
    session: Session,
    *,
    since: datetime | None = None,
    code: str | None = None,
    reasons: Sequence[str] | None = None,
    limit: int = 100,
) -> list[ReportView]:
    """Reports newest first, for the programme office's inbox: from ``since`` on, about one
    ``code`` (a canonical URI), of some ``reasons``; at most ``limit`` (≤ LIST_LIMIT)."""
    if not 1 <= limit <= LIST_LIMIT:
        raise InvalidReport(f"between 1 and {LIST_LIMIT}", field="limit")
    query = select(Report).order_by(Report.created_at.desc(), Report.id.desc()).limit(limit)
    if since is not None:
        query = query.where(Report.created_at >= since)
    if code is not None:
        query = query.where(Report.code == code)
    if reasons is not None:
        query = query.where(Report.reason.in_(list(reasons)))
    return [report_view(r) for r in session.execute(query).scalars()]


def report_view(report: Report) -> ReportView:
    return ReportView(
        report.public_id,
        report.code,
        report.reason,
        report.details,
        report.contact,
        report.client,
        report.created_at,
        StoredPhoto.from_statement(report.photo) if report.photo else None,
    )
