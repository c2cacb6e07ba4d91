"""Liveness and readiness probes (DESIGN §7)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy.exc import SQLAlchemyError

from traceapp import migrate
from traceapp.db.sessions import get_database
from traceapp.ledger_runtime import ledger_problem

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
    with get_database().read_sessions() as session:
        problem = ledger_problem(session)
    if problem is not None:
        return jsonify(status="unavailable", reason=problem), 503
    return jsonify(status="ok", revision=current), 200
