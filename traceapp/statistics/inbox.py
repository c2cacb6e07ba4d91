"""The office's inbox of shoppers' reports of suspected fakes, and their triage.

A report is ``new`` until someone of the office changes its state; every change is kept (who,
when, from what, to what, a note), and the inbox shows the current state. The office's admins
and staff triage; auditors read; nobody else sees the inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceapp.accounts.models import AUDITOR, OFFICE_ROLES, Account
from traceapp.reports.models import Report, ReportTriage, ReportTriageChange
from traceapp.reports.services import ReportView, clean_text, report_view
from traceapp.statistics.errors import InvalidFilter, MayNotTriage, ReportNotFound

STATES = ("new", "checking", "confirmed", "dismissed")
READERS = (*OFFICE_ROLES, AUDITOR)
MAX_NOTE = 500


@dataclass(frozen=True)
class InboxEntry:
    report: ReportView
    state: str
    changed_at: datetime | None


@dataclass(frozen=True)
class Change:
    who: str
    old_state: str
    new_state: str
    note: str | None
    at: datetime


def may_read(account: Account) -> bool:
    return account.role in READERS


def may_triage(account: Account) -> bool:
    return account.role in OFFICE_ROLES and account.suspended_at is None


def _state(value: str | None, field: str) -> str | None:
    if value in (None, ""):
        return None
    if value not in STATES:
        raise InvalidFilter(f"one of {', '.join(STATES)}", field=field)
    return value


def inbox(
    session: Session, account: Account, *, state: str | None = None, limit: int = 100
) -> list[InboxEntry]:
    """Reports newest first with their state; of one ``state`` when given."""
    if not may_read(account):
        raise MayNotTriage("the inbox is the programme office's", field="account")
    wanted = _state(state, "state")
    query = (
        select(Report, ReportTriage.state, ReportTriage.changed_at)
        .outerjoin(ReportTriage, ReportTriage.report_public_id == Report.public_id)
        .order_by(Report.created_at.desc(), Report.id.desc())
        .limit(max(1, min(limit, 500)))
    )
    if wanted == "new":
        query = query.where(ReportTriage.state.is_(None))
    elif wanted is not None:
        query = query.where(ReportTriage.state == wanted)
    return [
        InboxEntry(report_view(report), current or "new", changed_at)
        for report, current, changed_at in session.execute(query)
    ]


def change_state(
    session: Session,
    account: Account,
    report_public_id: str,
    new_state: str,
    note: str | None = None,
    *,
    now: datetime | None = None,
) -> InboxEntry:
    """Set a report's state and record the change (in the caller's write transaction)."""
    if not may_triage(account):
        raise MayNotTriage("only the office's admins and staff triage reports", field="account")
    state = _state(new_state, "state")
    if state is None:
        raise InvalidFilter(f"one of {', '.join(STATES)}", field="state")
    cleaned = clean_text(note, "note", MAX_NOTE)
    report = session.execute(
        select(Report).where(Report.public_id == report_public_id)
    ).scalar_one_or_none()
    if report is None:
        raise ReportNotFound("no such report", field="report")
    at = now or datetime.now(UTC)
    row = session.get(ReportTriage, report_public_id, with_for_update=True)
    old = row.state if row is not None else "new"
    if row is None:
        session.add(ReportTriage(report_public_id=report_public_id, state=state, changed_at=at))
    else:
        row.state, row.changed_at = state, at
    session.add(
        ReportTriageChange(
            report_public_id=report_public_id,
            account_id=account.id,
            old_state=old,
            new_state=state,
            note=cleaned,
            changed_at=at,
        )
    )
    session.flush()
    return InboxEntry(report_view(report), state, at)


def history(session: Session, account: Account, report_public_id: str) -> list[Change]:
    """A report's changes of state, oldest first, with the name of the account that made each."""
    if not may_read(account):
        raise MayNotTriage("the inbox is the programme office's", field="account")
    rows = session.execute(
        select(ReportTriageChange, Account.name)
        .join(Account, Account.id == ReportTriageChange.account_id)
        .where(ReportTriageChange.report_public_id == report_public_id)
        .order_by(ReportTriageChange.id)
    ).all()
    return [Change(name, c.old_state, c.new_state, c.note, c.changed_at) for c, name in rows]


def entry(session: Session, account: Account, report_public_id: str) -> InboxEntry:
    """One report with its state; ReportNotFound when there is none."""
    if not may_read(account):
        raise MayNotTriage("the inbox is the programme office's", field="account")
    row = session.execute(
        select(Report, ReportTriage.state, ReportTriage.changed_at)
        .outerjoin(ReportTriage, ReportTriage.report_public_id == Report.public_id)
        .where(Report.public_id == report_public_id)
    ).first()
    if row is None:
        raise ReportNotFound("no such report", field="report")
    return InboxEntry(report_view(row[0]), row[1] or "new", row[2])
