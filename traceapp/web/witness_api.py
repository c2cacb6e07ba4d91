"""``POST /witness/add-checkpoint`` (DESIGN §7.1, c2sp.org/tlog-witness): our witness endpoint,
404 unless a witness key is configured (TRACEAPP_WITNESS_KEY_FILE); and, for monitors,
``GET /witness/<sha256 of the origin, hex>/checkpoint``: the latest checkpoint it cosigned."""

from __future__ import annotations

from flask import Blueprint, Response, request

from traceapp.clients import limit_blueprint
from traceapp.db.sessions import get_database, get_session
from traceapp.witness.endpoint import MAX_BODY, Refusal, add_checkpoint, latest_cosigned
from traceapp.witness.runtime import get_witnessing

bp = Blueprint("witness_api", __name__, url_prefix="/witness")
limit_blueprint(bp, "ledger")  # per client, like the ledger API: a log submits often


def _plain(body: str, status: int, content_type: str = "text/plain; charset=utf-8") -> Response:
    response = Response(body, status=status)
    response.headers["Content-Type"] = content_type  # exactly text/x.tlog.size for a 409
    response.cache_control.no_store = True
    return response


@bp.post("/add-checkpoint")
def add_checkpoint_view() -> Response:
    witnessing = get_witnessing()
    if witnessing.signer is None:
        return _plain("this server runs no witness\n", 404)
    if (request.content_length or 0) > MAX_BODY:
        return _plain(f"request body is larger than {MAX_BODY} bytes\n", 400)
    body = request.get_data(cache=False)
    try:
        with get_database().write() as session:
            lines = add_checkpoint(session, body, witnessing.signer, witnessing.logs)
    except Refusal as refusal:
        if refusal.status == 409:
            return _plain(f"{refusal.size}\n", 409, "text/x.tlog.size")
        return _plain(refusal.message + "\n", refusal.status)
    return _plain(lines, 200)


@bp.get("/<string:origin_hash>/checkpoint")
def cosigned_checkpoint(origin_hash: str) -> Response:
    witnessing = get_witnessing()
    if witnessing.signer is None:
        return _plain("this server runs no witness\n", 404)
    try:
        note = latest_cosigned(get_session(), origin_hash, witnessing.logs)
    except Refusal as refusal:
        return _plain(refusal.message + "\n", refusal.status)
    response = _plain(note, 200)
    response.cache_control.no_store = False
    response.cache_control.public = True
    response.cache_control.max_age = 60  # the spec allows serving it up to an hour late
    return response
