"""The web app's EPCIS worker thread, started by the first request (never by CLI commands,
which build the app too), when ``TRACEAPP_EPCIS_WORKER`` is on (default, except in tests)."""

from __future__ import annotations

import threading

from flask import Flask, current_app

from traceapp.config import get_settings
from traceapp.db.sessions import get_database
from traceapp.ledger_runtime import get_ledger
from traceapp.subscriptions.worker import policy_from, run_worker

_STARTED = "traceapp.epcis_worker"
_lock = threading.Lock()


def _ensure_worker() -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.extensions.get(_STARTED):
        return
    with _lock:
        if app.extensions.get(_STARTED):
            return
        stop = threading.Event()
        thread = threading.Thread(
            target=run_worker,
            args=(get_database(app), get_ledger(app), policy_from(get_settings(app)), stop),
            name="epcis-worker",
            daemon=True,
        )
        app.extensions[_STARTED] = (thread, stop)
        thread.start()


def init_app(app: Flask) -> None:
    if get_settings(app).epcis_worker:
        app.before_request(_ensure_worker)
