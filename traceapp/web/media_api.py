"""Stored photos and logos: ``GET /media/<sha256>.<webp|jpg>``.

Every rendition (phone-size and thumbnail, WebP and JPEG) is its own object named by the
SHA-256 of its bytes, so a URL's content never changes: cached for a year as immutable, with the
hash as its ETag. The extension must match what is stored (a JPEG is not served as .webp), and
only a lower-case hex SHA-256 ever reaches the store: no other name, no path, is looked up.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, current_app, request

from traceapp.config import get_settings
from traceapp.media.images import EXTENSIONS, stored_type
from traceapp.media.store import MediaStore, open_store

bp = Blueprint("media_api", __name__)

_NAME = re.compile(r"([0-9a-f]{64})\.(webp|jpg)")
_TYPES = {ext: kind for kind, ext in EXTENSIONS.items()}
IMMUTABLE = "public, max-age=31536000, immutable"


def media_store() -> MediaStore:
    store: MediaStore | None = current_app.extensions.get("traceapp.media")
    if store is None:
        store = current_app.extensions.setdefault(
            "traceapp.media", open_store(get_settings(current_app))
        )
    return store


def _not_found() -> Response:
    response = Response("no such media\n", status=404, mimetype="text/plain")
    response.cache_control.no_store = True
    return response


@bp.get("/media/<name>")
def media(name: str) -> Response:
    match = _NAME.fullmatch(name)
    if match is None:
        return _not_found()
    digest, ext = match.groups()
    data = media_store().get(digest)
    if data is None or stored_type(data) != _TYPES[ext]:
        return _not_found()
    response = Response(data, mimetype=_TYPES[ext])
    response.set_etag(digest)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.make_conditional(request)  # 304 when If-None-Match names this hash
    return response
