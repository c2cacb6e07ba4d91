"""``GET /ledger/bundle/01/{gtin}/10/{lot}/21/{serial}``: an item's proof bundle (DESIGN §5).

The bundle holds the entries behind everything the item's page shows, plus the genesis and
every key.registered / key.revoked entry below the checkpoint size, each with its inclusion
proof against the latest checkpoint, all served from stored subtree hashes. When the database's
rows name entries that do not back them (edited behind the app), no bundle: 409
PROJECTION_MISMATCH.

``?format=tlog-proof`` sends the same entries as c2sp.org/tlog-proof@v1 documents, one per
entry, each with the entry's bytes as its ``extra`` data (``ledger.tlog_proof``): what
``python -m ledger verify-proof FILE --vkey VKEY`` checks.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ledger.tlog_proof import FILE_EXTENSION, bundle_to_proofs
from traceapp.clients import rate_limited
from traceapp.db.sessions import get_session, replica_reads_if_safe
from traceapp.errors import NotFound
from traceapp.gs1.digital_link import parse_path
from traceapp.gs1.errors import Gs1Error
from traceapp.ledger_runtime import get_ledger
from traceapp.verification.bundles import item_bundle
from traceapp.verification.statements import ProjectionMismatch
from traceapp.web.answers import raw_path
from traceapp.witness.runtime import get_witnessing

PREFIX = "/ledger/bundle"
bp = Blueprint("bundle_api", __name__, url_prefix=PREFIX)
bp.before_request(replica_reads_if_safe)


def _error(status: int, field: str | None, message: str, code: str) -> Response:
    response = jsonify(error={"field": field, "message": message, "code": code})
    response.status_code = status
    return response


@bp.get("/01/<path:_rest>", merge_slashes=False)
def bundle(_rest: str) -> Response:
    wait = rate_limited("bundle")
    if wait:
        response = _error(429, None, f"too many requests; retry in {wait} s", "RATE_LIMITED")
        response.headers["Retry-After"] = str(wait)
        return response
    try:
        link = parse_path(raw_path(PREFIX))
    except Gs1Error as exc:
        return _error(400, exc.field, exc.message, exc.code)
    if link.kind != "item" or link.lot is None:
        return _error(
            400, "path", "a bundle is for one item: /01/{gtin}/10/{lot}/21/{serial}", "NOT_ITEM"
        )
    wanted = request.args.get("format", "json")
    if wanted not in ("json", "tlog-proof"):
        return _error(400, "format", "format must be json or tlog-proof", "INVALID")
    try:
        body = item_bundle(get_session(), get_ledger(), link, get_witnessing().witnesses)
    except NotFound as exc:
        return _error(404, exc.field, exc.message, exc.code)
    except ProjectionMismatch as exc:
        return _error(409, exc.field, exc.message, exc.code)
    name = f"ocop-bundle-{link.gtin}-{link.serial}".replace('"', "")
    if wanted == "tlog-proof":
        response = Response(bundle_to_proofs(body), mimetype="text/plain")
        response.headers["Content-Type"] = "text/plain; charset=utf-8"
        filename = name + FILE_EXTENSION
    else:
        response = jsonify(body)
        filename = name + ".json"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.cache_control.no_cache = True
    return response
