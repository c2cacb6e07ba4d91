"""The app's one Ledger object, built on first use from the settings and the log key file, and
the readiness check that the log can be signed and proven."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.checkpoint import open_checkpoint
from ledger.errors import LedgerError
from traceapp.config import ConfigError, Settings, get_settings
from traceapp.errors import NotFound
from traceapp.ledger_store.keystore import KeyStore
from traceapp.ledger_store.log import LogIdentity, load_log_key
from traceapp.ledger_store.models import LedgerHead
from traceapp.ledger_store.reads import latest_checkpoint_head
from traceapp.ledger_store.writer import Ledger
from traceapp.private_files import check_log_key_mode
from traceapp.producers.services import refuse_suspended
from traceapp.projectors import PROJECTORS
from traceapp.refusals import UNIQUE_REFUSALS


def build_ledger(settings: Settings) -> Ledger:
    assert settings.key_encryption_key is not None
    check_log_key_mode(settings)
    signer = load_log_key(settings.log_key_file, settings.log_origin)
    kek = settings.key_encryption_key
    return Ledger(
        log=LogIdentity(settings.log_origin, signer),
        keystore=KeyStore(kek),
        id_secret=hmac.new(kek, b"ocop-ledger/ids/v1", hashlib.sha256).digest(),
        projectors=PROJECTORS,
        unique_refusals=UNIQUE_REFUSALS,
        clock_skew=timedelta(seconds=settings.clock_skew_seconds),
        actor_checks=(refuse_suspended,),
    )


def check_log_key_at_start(settings: Settings) -> str | None:
    """A log key that cannot work stops a production server at start-up (DESIGN §10); in
    development the reason comes back, to be shown as a warning (reads and probes still work).
    """
    try:
        build_ledger(settings)
    except ConfigError as exc:
        if settings.is_production:
            raise
        return exc.message
    return None


def get_ledger(app: Flask | None = None) -> Ledger:
    app = app or current_app
    ledger: Ledger | None = app.extensions.get("traceapp.ledger")
    if ledger is None:
        ledger = build_ledger(get_settings(app))
        app.extensions["traceapp.ledger"] = ledger
    return ledger


def ledger_problem(session: Session, app: Flask | None = None) -> str | None:
    """Why the app cannot sign and prove its log (the reason and the fix), or None.

    Before any genesis a missing log key is no problem yet: `traceapp keys init` writes both.
    """
    settings = get_settings(app)
    has_a_log = session.execute(select(LedgerHead.log).limit(1)).first() is not None
    try:
        ledger = get_ledger(app)
    except ConfigError as exc:
        if not has_a_log and not settings.log_key_file.exists():
            return None
        return exc.message
    try:
        _size, _root, note = latest_checkpoint_head(session, ledger.origin)
    except NotFound:
        if has_a_log:
            return (
                f"the database holds another log than {ledger.origin}: set "
                "TRACEAPP_LOG_ORIGIN to the origin its entries were signed under"
            )
        return None
    try:
        open_checkpoint(note, ledger.log.verifier)
    except LedgerError as exc:
        return f"the log key cannot prove the latest checkpoint ({exc}): restore the log's key"
    return None
