"""Asynchronous EPCIS capture (the REST binding's ``202`` and ``GET /capture/{id}``).

``enqueue_capture`` keeps the received body in a job row; a worker (a thread of the web app or
``traceapp epcis work``) leases the oldest waiting job with a conditional ``UPDATE``, captures it
in one write transaction and stores the report in the same transaction, so a job is either
still waiting or finished. A worker that dies leaves its lease to run out and another takes the
job again; that second run finds the events already recorded (capture deduplicates by
eventID), so a job is never recorded twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from traceapp.db.sessions import Database
from traceapp.epcis.errors import EpcisValidationError
from traceapp.errors import DomainError
from traceapp.events.capture import capture_document
from traceapp.events.models import CaptureJob
from traceapp.ledger_store.ids import IdSource
from traceapp.ledger_store.writer import Ledger

__all__ = ["claim_capture", "enqueue_capture", "job_json", "process_capture", "run_captures"]

log = logging.getLogger(__name__)
LEASE = timedelta(
    minutes=10
)  # a 10,000-event document takes seconds; a dead worker's job waits this


def enqueue_capture(session: Session, actor: str, error_behaviour: str, raw: bytes) -> str:
    """Keep a received document for the workers; returns its capture ID."""
    capture_id = IdSource().public_id("cap")
    session.add(
        CaptureJob(
            public_id=capture_id,
            actor=actor,
            created_at=datetime.now(UTC),
            finished_at=None,
            error_behaviour=error_behaviour,
            success=True,
            report=json.dumps({"captureErrorBehaviour": error_behaviour}),
            running=True,
            document=raw,
        )
    )
    return capture_id


def claim_capture(session: Session, worker: str, now: datetime) -> int | None:
    """Lease the oldest waiting job to ``worker``; None when there is none to take."""
    waiting = (
        CaptureJob.running.is_(True),
        or_(CaptureJob.lease_until.is_(None), CaptureJob.lease_until < now),
    )
    job_id = session.execute(
        select(CaptureJob.id).where(*waiting).order_by(CaptureJob.id).limit(1)
    ).scalar_one_or_none()
    if job_id is None:
        return None
    # Conditional: of two workers that saw the same job, one changes the row, the other none.
    taken = session.execute(
        update(CaptureJob)
        .where(CaptureJob.id == job_id, *waiting)
        .values(lease_owner=worker, lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return job_id if taken.rowcount == 1 else None  # type: ignore[attr-defined]


def _finish(session: Session, job: CaptureJob, report: Mapping[str, Any], success: bool) -> None:
    job.report = json.dumps(report, ensure_ascii=False)
    job.success = success
    job.running = False
    job.document = None
    job.lease_owner = job.lease_until = None
    job.finished_at = datetime.now(UTC)


def _issues(error: EpcisValidationError) -> list[dict[str, str]]:
    return [{"pointer": i.pointer, "rule": i.rule, "message": i.message} for i in error.issues]


def process_capture(database: Database, ledger: Ledger, job_id: int, worker: str) -> None:
    """Capture a leased job's document and finish the job, in one write transaction."""
    try:
        with database.write() as session:
            job = session.get(CaptureJob, job_id)
            if job is None or not job.running or job.lease_owner != worker:
                return  # finished meanwhile, or our lease ran out and another worker has it
            result = capture_document(
                session, ledger, job.actor, job.document or b"", error_behaviour=job.error_behaviour
            )
            _finish(session, job, result.as_json(), result.success)
        return
    except EpcisValidationError as exc:  # CaptureRejected too: rolled back, nothing recorded
        errors = _issues(exc)
    except DomainError as exc:
        errors = [{"pointer": "", "rule": exc.code, "message": exc.message}]
    except Exception as exc:  # a bug or a broken document must not be retried for ever
        log.exception("capture job %s failed", job_id)
        message = f"the capture failed ({type(exc).__name__}); nothing was recorded"
        errors = [{"pointer": "", "rule": "ImplementationException", "message": message}]
    with database.write() as session:
        job = session.get(CaptureJob, job_id)
        if job is not None and job.running and job.lease_owner == worker:
            report = {"captureErrorBehaviour": job.error_behaviour, "success": False}
            _finish(session, job, {**report, "errors": errors}, False)


def run_captures(database: Database, ledger: Ledger, worker: str, limit: int = 100) -> int:
    """Capture up to ``limit`` waiting jobs; returns how many this worker took."""
    done = 0
    while done < limit:
        with database.write() as session:
            job_id = claim_capture(session, worker, datetime.now(UTC))
        if job_id is None:
            break
        process_capture(database, ledger, job_id, worker)
        done += 1
    return done


def job_json(job: CaptureJob) -> dict[str, Any]:
    """The REST binding's capture job document."""
    report: dict[str, Any] = json.loads(job.report)
    body: dict[str, Any] = {
        "captureID": job.public_id,
        "createdAt": job.created_at.isoformat(timespec="milliseconds"),
        "running": job.running,
        "success": job.success,
        "captureErrorBehaviour": job.error_behaviour,
    }
    if job.finished_at is not None:
        body["finishedAt"] = job.finished_at.isoformat(timespec="milliseconds")
    body.update(report)
    # Each error is also an RFC 7807 problem, as the binding's CaptureJob schema asks.
    body["errors"] = [
        {"type": "epcisException:ValidationException", "title": e.get("message", ""), **e}
        for e in report.get("errors", [])
    ]
    return body
