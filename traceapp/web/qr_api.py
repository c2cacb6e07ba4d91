"""QR images of Digital Link URIs (DESIGN §6, §7): ``/qr/01/{gtin}[/10/{lot}[/21/{serial}]].png``.

Only codes that exist get an image: a QR for a made-up serial would let anyone print
convincing fake stamps from our domain. The image encodes the canonical URI (14-digit GTIN,
``?17=YYMMDD`` when the batch has an expiry) on ``TRACEAPP_PUBLIC_URL``, so it never depends
on how the request spelled the code.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import quote, urlsplit

from flask import Blueprint, Response, current_app, jsonify, request

from traceapp.batches.targets import find_target
from traceapp.clients import limit_blueprint
from traceapp.config import Settings
from traceapp.db.sessions import get_session, replica_reads_if_safe
from traceapp.gs1.digital_link import format_uri, parse_path
from traceapp.gs1.errors import Gs1Error
from traceapp.labels.qr import qr_png, qr_svg

bp = Blueprint("qr_api", __name__)
limit_blueprint(bp, "qr")
bp.before_request(replica_reads_if_safe)

PREFIX = "/qr"
BOX_SIZE = 10  # pixels a module: ~450 px for an item URI, sharp on screens and in print
MAX_AGE = 7 * 24 * 3600  # codes and expiry dates never change once issued
FORMATS = {".png": "image/png", ".svg": "image/svg+xml"}
# Bump when the rendering changes, so cached images are revalidated.
RENDER_VERSION = "1"


@lru_cache(maxsize=512)  # a few ms a code; printed batches and shared links repeat
def render(uri: str, suffix: str) -> bytes:
    return qr_png(uri, box_size=BOX_SIZE) if suffix == ".png" else qr_svg(uri)


def raw_path() -> str:
    """The request path still percent-encoded: ``%2F`` inside a lot is not a separator."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:
        return quote(request.path, safe="/")
    return urlsplit(raw).path  # also drops any scheme and host of an absolute-form request


def _error(status: int, code: str, message: str, field: str | None = None) -> tuple[Response, int]:
    return jsonify(error={"field": field, "message": message, "code": code}), status


@bp.get(f"{PREFIX}/<path:_code>")
def qr_image(_code: str) -> Response | tuple[Response, int]:
    path = raw_path()
    suffix = path[-4:].lower()
    if not path.startswith(PREFIX + "/") or suffix not in FORMATS:
        return _error(404, "NOT_FOUND", "QR images end in .png or .svg.")
    try:
        link = parse_path(path[len(PREFIX) : -4])
    except Gs1Error as exc:
        return _error(400, exc.code.upper(), exc.message, exc.field)
    target = find_target(get_session(), link)
    if target is None:
        return _error(404, "NOT_FOUND", f"No {link.kind} is registered under this code.")

    settings: Settings = current_app.config["TRACEAPP"]
    uri = format_uri(settings.public_url, target.link())
    etag = hashlib.sha256(f"{RENDER_VERSION}\n{suffix}\n{uri}".encode()).hexdigest()[:32]
    response = Response(mimetype=FORMATS[suffix])
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.make_conditional(request)
    if response.status_code == 304:  # the client's copy is current: skip rendering
        return response
    response.set_data(render(uri, suffix))
    return response
