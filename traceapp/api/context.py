"""The per-request GraphQL context: who is calling, and the app's database and ledger."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, Request, Response
from sqlalchemy.orm import Session
from strawberry.types import Info

from traceapp.auth.services import Principal
from traceapp.db.sessions import Database, get_session
from traceapp.error_texts import translator
from traceapp.errors import Translate
from traceapp.i18n import Language, negotiate
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.writer import Ledger


@dataclass
class ApiContext:
    request: Request
    response: Response
    app: Flask
    principal: Principal
    database: Database

    @property
    def session(self) -> Session:
        """The request's read session (closed at teardown)."""
        return get_session()

    @property
    def language(self) -> Language:
        """The language of the caller's messages (``Accept-Language``; an account setting
        will come first once accounts have one)."""
        return negotiate(self.request.headers.get("Accept-Language"))

    @property
    def translate(self) -> Translate:
        return translator(self.language)

    @property
    def ledger(self) -> Ledger:
        return get_ledger(self.app)

    @property
    def origin(self) -> str:
        origin: str = self.app.config["TRACEAPP"].log_origin
        return origin


def context_of(info: Info[Any, Any]) -> ApiContext:
    context: ApiContext = info.context
    return context
