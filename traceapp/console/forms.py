"""What the catalogue's forms share: the member's ledger write, field errors, the owning check.

A console write is the GraphQL mutation's write: the same ``plan_xxx`` under ``perform``, signed
by the producer's custodial key, with the member named in the statement. Each form carries its
own idempotency key, so a form sent twice (a double tap, a reload) writes once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import request
from sqlalchemy.orm import Session

from traceapp import validation as v
from traceapp.accounts.models import PRODUCER_ROLES, Account
from traceapp.accounts.services import member_write_request
from traceapp.console.core import current, error_text, t
from traceapp.db.sessions import get_database, get_session
from traceapp.errors import DomainError
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.service import Receipt, WriteRequest, perform
from traceapp.ledger_store.writer import Draft, Ledger

Plan = Callable[[Session, Ledger, WriteRequest], list[Draft]]


def producer_of_member() -> str | None:
    """The signed-in member's producer, for owners and staff alike; None for office accounts."""
    me = current()
    if me.role in PRODUCER_ROLES and me.producer_public_id:
        return me.producer_public_id
    return None


def new_key() -> str:
    return "console-" + secrets.token_urlsafe(18)


def form_key() -> str | None:
    """The form's idempotency key, checked like the API checks one."""
    return v.idempotency_key(request.form.get("key") or None, field="form")


def member_write(plan: Plan, op: dict[str, Any], key: str | None) -> Receipt:
    """``plan`` performed as the signed-in member: one write transaction, or a DomainError."""
    me = current()
    ledger = get_ledger()
    try:
        with get_database().write() as session:
            account = session.get(Account, me.id)
            assert account is not None
            write = member_write_request(session, account, key)
            receipt = perform(session, ledger, write, lambda: plan(session, ledger, write), op=op)
    finally:
        # The page after the write must read it (SQLite WAL keeps an older snapshot otherwise).
        get_session().rollback()
    return receipt


def field_errors(exc: DomainError, fields: tuple[str, ...]) -> dict[str, str]:
    """Each problem next to its field; one the form has no field for goes at the top."""
    out: dict[str, str] = {}
    for problem in exc.problems():
        name = problem.field if problem.field in fields else "form"
        out.setdefault(name, _words(exc, problem.code, problem.message))
    return out


def _words(exc: DomainError, code: str, message: str) -> str:
    if code == "INVALID" and message == "is required":
        return t("err_required")
    if code == "INVALID" and message.startswith("must be at most"):
        return t("err_too_long")
    if code == "INVALID" and message.startswith("must be a date"):
        return t("err_date")
    if code == "INVALID" and "number" in message:
        return t("err_number")
    return error_text(exc)
