"""Partners' bulk reads: the marketplace catalogue feed and the national portal export.

``GET /feeds/products.jsonld`` and ``GET /feeds/products.csv`` list certified products, public
and cacheable: ``ETag`` names the newest ledger entry behind the catalogue and Vietnam's date
(validity changes at midnight), so ``If-None-Match`` / ``If-Modified-Since`` answer 304.
``GET /portal/v1/records`` streams the portal profile as JSON Lines to staff tokens (a
producer's token: its own records), at most ``limit`` records a request, with ``Link: rel=next``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from itertools import islice
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request
from werkzeug.http import http_date

from traceapp.auth.services import Principal, authenticate
from traceapp.clients import limit_blueprint
from traceapp.config import get_settings
from traceapp.db.sessions import get_database, get_session
from traceapp.errors import DomainError, PermissionDenied, ValidationFailed
from traceapp.i18n import VIETNAM, vietnam_today
from traceapp.partners.common import catalogue_version
from traceapp.partners.feed import FeedFilter, as_jsonld, certified_products, csv_rows
from traceapp.partners.masterdata import master_data
from traceapp.partners.portal import (
    PortalScope,
    Position,
    portal_header,
    portal_records,
    portal_schema,
)

bp = Blueprint("partners_api", __name__)
limit_blueprint(bp, "feed")
PORTAL_LIMIT = 10_000  # records per response: no request holds a worker for long
STAFF_ROLES = ("admin", "auditor")


def _error(status: int, error: DomainError) -> Response:
    response = jsonify(error={"field": error.field, "message": error.message, "code": error.code})
    response.status_code = status
    return response


@bp.get("/feeds/products.jsonld")
def feed_jsonld() -> Response:
    return _feed("jsonld")


@bp.get("/feeds/products.csv")
def feed_csv() -> Response:
    return _feed("csv")


def _feed(kind: str) -> Response:
    try:
        filters = FeedFilter.parse(request.args.to_dict())
    except DomainError as exc:
        return _error(400, exc)
    session = get_session()
    today = vietnam_today()
    version = catalogue_version(session, today)
    # Validity turns at midnight in Vietnam: the catalogue is at least as new as that day.
    modified = datetime.combine(today, time(), VIETNAM).astimezone(UTC)
    headers = {
        "ETag": version.etag,
        "Last-Modified": http_date(modified),
        "Cache-Control": "public, max-age=300",
        "Vary": "Accept-Encoding",
    }
    if _not_modified(version.etag, modified):
        return Response(status=304, headers=headers)
    settings = get_settings()
    products = certified_products(session, settings.public_url, filters, today)
    if kind == "csv":
        headers["Content-Disposition"] = 'attachment; filename="ocop-products.csv"'
        return Response(csv_rows(products), mimetype="text/csv", headers=headers)
    body = json.dumps(as_jsonld(products), ensure_ascii=False, separators=(",", ":"))
    return Response(body, mimetype="application/ld+json", headers=headers)


def _not_modified(etag: str, modified: datetime) -> bool:
    if request.if_none_match:  # RFC 9110 §13.1.3: If-None-Match wins over If-Modified-Since
        return request.if_none_match.contains_weak(etag.strip('"'))
    since = request.if_modified_since
    return since is not None and modified <= since


@bp.get("/feeds/masterdata.jsonld")
def masterdata() -> Response:
    """Producers, places and products as GS1 Web Vocabulary JSON-LD (``?producer=`` one)."""
    unknown = sorted(set(request.args) - {"producer"})
    if unknown:
        return _error(400, ValidationFailed(f"unknown filter {unknown[0]!r}", field=unknown[0]))
    document = master_data(
        get_session(), get_settings().public_url, request.args.get("producer") or None
    )
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return Response(
        body, mimetype="application/ld+json", headers={"Cache-Control": "public, max-age=300"}
    )


@bp.get("/portal/v1/schema.json")
def portal_schema_json() -> Response:
    return Response(json.dumps(portal_schema()), mimetype="application/schema+json")


@bp.get("/portal/v1/records")
def portal() -> Response:
    principal = _principal()
    if principal is None:
        response = jsonify(
            error={"field": None, "message": "a Bearer token is needed", "code": "UNAUTHENTICATED"}
        )
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="portal"'
        return response
    try:
        scope, start, limit = _portal_request(principal)
    except DomainError as exc:
        return _error(403 if exc.code == "FORBIDDEN" else 400, exc)
    settings = get_settings()
    # One snapshot for the header and its records; a page (bounded) is read, then sent.
    with get_database().snapshot_sessions() as session:
        header = portal_header(session, settings.public_url, settings.log_origin, scope)
        records = portal_records(session, settings.public_url, scope, start)
        page = list(islice(records, limit + 1))
    headers = {"Cache-Control": "no-store"}
    if len(page) > limit:
        page = page[:limit]
        query = request.args.to_dict() | {"cursor": page[-1][0].token()}
        headers["Link"] = f'<{request.base_url}?{urlencode(query)}>; rel="next"'
    body = [header, *(record for _, record in page)]
    lines = (json.dumps(record, ensure_ascii=False) + "\n" for record in body)
    return Response(lines, mimetype="application/x-ndjson", headers=headers)


def _principal() -> Principal | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return authenticate(get_session(), token.strip())


def _portal_request(principal: Principal) -> tuple[PortalScope, Position | None, int]:
    args = request.args
    producer = args.get("producer") or None
    if principal.role not in STAFF_ROLES:
        if principal.producer is None:
            raise PermissionDenied("only staff and producers' tokens read the portal export")
        if producer not in (None, principal.producer):
            raise PermissionDenied("a producer's token reads its own records", field="producer")
        producer = principal.producer
    try:
        after = int(args.get("afterLedgerIndex", "-1"))
        limit = int(args.get("limit", str(PORTAL_LIMIT)))
    except ValueError:
        raise ValidationFailed("afterLedgerIndex and limit are integers") from None
    if not 1 <= limit <= PORTAL_LIMIT:
        raise ValidationFailed(f"limit is between 1 and {PORTAL_LIMIT}", field="limit")
    cursor = args.get("cursor")
    start = Position.parse(cursor) if cursor else None
    return PortalScope(producer, max(after, -1)), start, limit
