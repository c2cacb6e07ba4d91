"""Liveness and readiness probes (DESIGN §7)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from traceapp import migrate
from traceapp.db.sessions import get_database
from traceapp.ledger_runtime import ledger_problem
from traceapp.witness.runtime import get_witnessing, witnessing_problem
from traceapp.witness.served import witness_states

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers; touches no database."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Readiness: the database answers, its schema is at the migrations' head, and the log can
    be signed and proven (the log key is there, private enough, and the log's own)."""
    try:
        with get_database().engine.connect() as conn:
            current = migrate.current_revision(conn)
    except SQLAlchemyError:
        return jsonify(status="unavailable", reason="database unreachable"), 503
    head = migrate.head_revision()
    if current != head:
        return jsonify(status="unavailable", reason="migrations not at head"), 503
    witnesses: dict[str, object] = {}
    with get_database().read_sessions() as session:
        problem = ledger_problem(session)
        problem = problem or witnessing_problem()
        if problem is None:
            witnesses = _witnesses(session)
    if problem is not None:
        return jsonify(status="unavailable", reason=problem), 503
    body: dict[str, object] = {"status": "ok", "revision": current, "witnesses": witnesses}
    if get_database().replicas:
        body["replicas"] = _replicas()
    return jsonify(body), 200


def _replicas() -> list[dict[str, object]]:
    """The read replicas, each probed now (unless its circuit breaker is open): detail only,
    reads go to the primary while none is usable."""
    return [
        {
            "name": s.name,
            "state": s.state,
            "ok": s.state == "ok",
            "lagSeconds": s.lag_seconds,
            "size": s.size,
            "checkedAt": s.checked_at.isoformat() if s.checked_at else None,
            "lastError": s.last_error,
            "failures": s.failures,
        }
        for s in get_database().replicas.states()
    ]


def _witnesses(session: Session) -> dict[str, object]:
    """How pushing to the witnesses goes: detail only, a failing witness never fails readiness
    (the log keeps appending; its checkpoints wait for cosignatures)."""
    witnessing = get_witnessing()
    states = witness_states(session, witnessing.witnesses)
    return {
        "quorum": witnessing.quorum,
        "healthy": sum(s.healthy for s in states),
        "witnesses": [
            {
                "name": s.name,
                "size": s.size,
                "ok": s.healthy,
                "lastOkAt": s.last_ok_at.isoformat() if s.last_ok_at else None,
                "lastError": s.last_error,
                "failures": s.failures,
            }
            for s in states
        ],
    }
