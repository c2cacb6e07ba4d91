"""Suspension: the programme office stops a producer's writes (``producer.suspended``) until it
resumes them (``producer.resumed``), both on the ledger with the reason.

``producers.services.refuse_suspended`` is the rule every write passes: the app gives it to its ``Ledger``
(``ledger_runtime``), which asks it for every statement it signs, whatever the door (GraphQL,
EPCIS capture, import, the console, the CLI); the ownership check asks it too, so a
``prepareXxx`` is refused before anything is signed. A suspended producer's own keys sign
nothing; the office's key may still act for it (to correct, or to resume). What suspension does
off the ledger (tokens revoked, members' sessions ended) is ``accounts.office``'s, above the
domains it touches.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from traceapp import validation as v
from traceapp.ledger_store.service import WriteRequest
from traceapp.ledger_store.writer import Draft, Ledger
from traceapp.producers.errors import NotProducersActor, ProducerStatusUnchanged
from traceapp.producers.services import get_producer

SUSPENDED = "producer.suspended"
RESUMED = "producer.resumed"


def _office(session: Session, ledger: Ledger, actor: str, what: str) -> None:
    if ledger.role_of(session, actor).role != "admin":
        raise NotProducersActor(f"only the programme office {what} a producer")


def plan_suspend_producer(
    session: Session, ledger: Ledger, request: WriteRequest, producer_id: str, reason: str
) -> list[Draft]:
    producer = get_producer(session, producer_id)
    _office(session, ledger, request.actor, "suspends")
    if producer.suspended_seq is not None:
        raise ProducerStatusUnchanged("the producer is suspended already", field="producer")
    return [
        Draft(
            SUSPENDED,
            {"id": producer_id, "reason": v.required_text(reason, "reason", max_length=500)},
        )
    ]


def plan_resume_producer(
    session: Session,
    ledger: Ledger,
    request: WriteRequest,
    producer_id: str,
    reason: str | None,
) -> list[Draft]:
    producer = get_producer(session, producer_id)
    _office(session, ledger, request.actor, "resumes")
    if producer.suspended_seq is None:
        raise ProducerStatusUnchanged("the producer is not suspended", field="producer")
    return [
        Draft(
            RESUMED,
            {"id": producer_id, "reason": v.text(reason, "reason", max_length=500, required=False)},
        )
    ]
