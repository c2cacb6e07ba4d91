"""One loop for the EPCIS background work: waiting capture jobs, then due deliveries.

Run by ``traceapp epcis work`` (both), ``traceapp epcis deliver`` (deliveries only) or a
daemon thread of the web app (``TRACEAPP_EPCIS_WORKER``). Any number may run at once: jobs
and deliveries are taken with database leases.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading

from traceapp.config import Settings
from traceapp.db.sessions import Database
from traceapp.events.capture_jobs import run_captures
from traceapp.ledger_store.writer import Ledger
from traceapp.subscriptions.outbox import DeliveryPolicy
from traceapp.subscriptions.sender import deliver_pending

__all__ = ["policy_from", "run_worker", "worker_name"]

log = logging.getLogger(__name__)


def policy_from(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        max_attempts=settings.epcis_max_attempts,
        retry_base=settings.epcis_retry_base_ms / 1000,
        lease=float(settings.epcis_lease_seconds),
        allow_private=settings.epcis_allow_private_dest,
    )


def worker_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"


def run_worker(
    database: Database,
    ledger: Ledger,
    policy: DeliveryPolicy,
    stop: threading.Event,
    *,
    captures: bool = True,
    poll: float = 0.2,
) -> None:
    """Until ``stop``: capture waiting jobs (when ``captures``), deliver what is due."""
    worker = worker_name()
    while not stop.is_set():
        try:
            busy = run_captures(database, ledger, worker) if captures else 0
            busy += deliver_pending(database, ledger.origin, worker, policy)
        except Exception:  # a database hiccup must not end the loop; the leases keep the work
            log.exception("EPCIS worker round failed")
            busy = 0
        if not busy:
            stop.wait(poll)
