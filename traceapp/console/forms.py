"""What the catalogue's forms share: the member's ledger write, field errors, the owning check.

A console write is the GraphQL mutation's write: the same ``plan_xxx`` under ``perform``, signed
by the producer's custodial key, with the member named in the statement. Each form carries its
own idempotency key, so a form sent twice (a double tap, a reload) writes once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import g, request
from sqlalchemy.orm import Session

from traceapp import validation as v
from traceapp.accounts.models import PRODUCER_ROLES, Account
from traceapp.accounts.services import member_write_request
from traceapp.console.core import current, t
from traceapp.console.texts import TEXTS
from traceapp.db.sessions import get_database, get_session
from traceapp.error_texts import translator
from traceapp.errors import DomainError, Problem
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
    for problem in exc.problems(translator(g.lang)):
        name = problem.field if problem.field in fields else "form"
        out.setdefault(name, _words(problem))
    return out


# The shared validators' refusals (``traceapp.validation``), by their message.
_GENERIC = {
    "is required": "err_required",
    "must be a date YYYY-MM-DD": "err_date",
    "must be a decimal number": "err_number",
    "must be a non-negative number": "err_number",
}


def _words(problem: Problem) -> str:
    """The validators' common refusals, then the field's own text, then the code's, then the
    domain's own (in the person's language when the error catalog has the code)."""
    if problem.code == "INVALID":
        if problem.message in _GENERIC:
            return t(_GENERIC[problem.message])
        if problem.message.startswith("must be at most"):
            return t("err_too_long")
    for key in (f"err_{problem.code.lower()}_{problem.field}", f"err_{problem.code.lower()}"):
        if key in TEXTS:
            return t(key)
    return problem.message
