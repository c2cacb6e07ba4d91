"""QR images of Digital Link URIs (DESIGN §6, §7): ``/qr/01/{gtin}[/10/{lot}[/21/{serial}]].png``.

Only codes that exist get an image: a QR for a made-up serial would let anyone print
convincing fake stamps from our domain. The image encodes the canonical URI (14-digit GTIN,
``?17=YYMMDD`` when the batch has an expiry) on ``TRACEAPP_PUBLIC_URL``, so it never depends
on how the request spelled the code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, urlsplit

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from traceapp.batches.models import Batch, Item
from traceapp.config import Settings
from traceapp.db.sessions import get_session
from traceapp.gs1.digital_link import DigitalLink, format_uri, parse_path
from traceapp.gs1.errors import Gs1Error
from traceapp.labels.qr import qr_png, qr_svg
from traceapp.products.models import Product
from traceapp.web.clients import limit_blueprint

bp = Blueprint("qr_api", __name__)
limit_blueprint(bp, "qr")

PREFIX = "/qr"
BOX_SIZE = 10  # pixels a module: ~450 px for an item URI, sharp on screens and in print
MAX_AGE = 7 * 24 * 3600  # codes and expiry dates never change once issued
FORMATS = {".png": "image/png", ".svg": "image/svg+xml"}
# Bump when the rendering changes, so cached images are revalidated.
RENDER_VERSION = "1"


@dataclass(frozen=True, slots=True)
class Target:
    """What a Digital Link names, as recorded: the product and, if any, batch and item."""

    product: Product
    batch: Batch | None = None
    item: Item | None = None

    def link(self) -> DigitalLink:
        """The canonical link: the lot of a serial is always included, with the expiry."""
        product, batch, item = self.product, self.batch, self.item
        return DigitalLink(
            product.gtin,
            lot=batch.lot if batch else None,
            serial=item.serial if item else None,
            expiry=batch.expiry_date if batch else None,
        )


def find_target(session: Session, link: DigitalLink) -> Target | None:
    """The recorded product, batch or item ``link`` names, or None."""
    product = session.execute(select(Product).where(Product.gtin == link.gtin)).scalar_one_or_none()
    if product is None:
        return None
    if link.serial is not None:
        query = (
            select(Item, Batch)
            .join(Batch, Item.batch_id == Batch.id)
            .where(Batch.product_id == product.id, Item.serial == link.serial)
        )
        if link.lot is not None:
            query = query.where(Batch.lot == link.lot)
        row = session.execute(query).first()
        return None if row is None else Target(product, row[1], row[0])
    if link.lot is not None:
        batch = session.execute(
            select(Batch).where(Batch.product_id == product.id, Batch.lot == link.lot)
        ).scalar_one_or_none()
        return None if batch is None else Target(product, batch)
    return Target(product)


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
