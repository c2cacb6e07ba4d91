"""Security headers on every response of the app: pages, GraphQL, ledger, EPCIS, QR images.

``nosniff`` always (a browser must not read a JSON or SVG answer as something else); HSTS in
production only, where the app is served over HTTPS (a development server on plain HTTP would
otherwise be unreachable by name for a year).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from traceapp.config import Settings

HSTS = "max-age=31536000; includeSubDomains"

bp = Blueprint("headers", __name__)


@bp.after_app_request
def security_headers(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    settings: Settings = current_app.config["TRACEAPP"]
    if settings.is_production:
        response.headers["Strict-Transport-Security"] = HSTS
    return response
