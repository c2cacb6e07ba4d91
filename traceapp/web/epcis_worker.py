"""The web app's EPCIS worker thread, started by the first request (never by CLI commands,
which build the app too), when ``TRACEAPP_EPCIS_WORKER`` is on (``traceapp serve`` and
``wsgi.py`` default it to on; elsewhere, tests included, it is off)."""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app

from traceapp.config import get_settings
from traceapp.db.sessions import get_database
from traceapp.ledger_runtime import get_ledger
from traceapp.subscriptions.worker import policy_from, run_worker

_STARTED = "traceapp.epcis_worker"
_lock = threading.Lock()
log = logging.getLogger(__name__)


def _run(app: Flask, stop: threading.Event) -> None:
    try:  # the ledger is loaded here, so that a missing log key never fails a request
        ledger = get_ledger(app)
    except Exception:
        log.exception("EPCIS worker not started: the ledger cannot be loaded")
        return
    run_worker(get_database(app), ledger, policy_from(get_settings(app)), stop)


def _ensure_worker() -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.extensions.get(_STARTED):
        return
    with _lock:
        if app.extensions.get(_STARTED):
            return
        stop = threading.Event()
        thread = threading.Thread(target=_run, args=(app, stop), name="epcis-worker", daemon=True)
        app.extensions[_STARTED] = (thread, stop)
        thread.start()


def init_app(app: Flask, *, force: bool = False) -> None:
    if force or get_settings(app).epcis_worker:
        app.before_request(_ensure_worker)
