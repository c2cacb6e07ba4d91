"""The app's one Ledger object, built on first use from the settings and the log key file."""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, current_app

from traceapp.config import Settings
from traceapp.ledger_store.keystore import KeyStore
from traceapp.ledger_store.log import LogIdentity, load_log_key
from traceapp.ledger_store.writer import Ledger
from traceapp.projectors import PROJECTORS


def build_ledger(settings: Settings) -> Ledger:
    assert settings.key_encryption_key is not None
    signer = load_log_key(settings.log_key_file, settings.log_origin)
    kek = settings.key_encryption_key
    return Ledger(
        log=LogIdentity(settings.log_origin, signer),
        keystore=KeyStore(kek),
        id_secret=hmac.new(kek, b"ocop-ledger/ids/v1", hashlib.sha256).digest(),
        projectors=PROJECTORS,
    )


def get_ledger(app: Flask | None = None) -> Ledger:
    app = app or current_app
    ledger: Ledger | None = app.extensions.get("traceapp.ledger")
    if ledger is None:
        ledger = build_ledger(app.config["TRACEAPP"])
        app.extensions["traceapp.ledger"] = ledger
    return ledger
