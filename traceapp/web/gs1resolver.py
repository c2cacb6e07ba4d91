"""GS1-Conformant Resolver 1.2 behaviour around the consumer page (DESIGN §7.1).

Media-type negotiation (what counts as "information in the request" that the page itself
answers), CORS, the resolver description file, RFC 9457 problem details, and walking up from
an unknown serial or lot to the level that is in the register.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from flask import Response, jsonify, request
from markupsafe import Markup

from traceapp.gs1.digital_link import DigitalLink
from traceapp.verification.loading import CodeNotFound
from traceapp.verification.model import Verification
from traceapp.web.linkset import GS1_VOC, HTML, JSON, JSON_LD_CONTEXT, LINKSET
from traceapp.web.resolver_texts import TEXTS

Format = Literal["html", "json", "linkset"]
METHODS = "GET, HEAD, OPTIONS"
PROBLEM = "application/problem+json"
_EXPLICIT: tuple[tuple[str, Format], ...] = (
    (HTML, "html"),
    ("application/xhtml+xml", "html"),
    (JSON, "json"),
    (LINKSET, "linkset"),
)


def requested_format() -> Format | None:
    """What the request's ``Accept`` names, or ``None`` when it names nothing of ours.

    A browser names ``text/html`` and gets the page itself (one round trip); ``*/*`` alone
    (curl, conformance harnesses) carries no information and is redirected to the default
    link. No ``Accept`` header at all is read as a browser, as the resolver always has.
    """
    header = request.headers.get("Accept", "").strip()
    if not header:
        return "html"
    best: tuple[float, int, Format] | None = None
    for position, part in enumerate(header.split(",")):
        kind, _, params = part.strip().partition(";")
        chosen = dict(_EXPLICIT).get(kind.strip().lower())
        if chosen is None:
            continue
        quality = _quality(params)
        if quality <= 0:
            continue
        candidate = (quality, -position, chosen)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best else None


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def add_cors(response: Response) -> Response:
    """Any origin may read what the resolver answers, the Link and Location headers too."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = METHODS
    response.headers["Access-Control-Allow-Headers"] = "Accept, Accept-Language"
    response.headers["Access-Control-Expose-Headers"] = "Link, Location, Content-Location"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def description(root: str) -> dict[str, Any]:
    """The resolver description file (``/.well-known/gs1resolver``): only members GS1's
    description-file schema 1.2.0 defines (the link types and languages each entity offers are
    in its linkset, not here)."""
    return {
        "name": "Truy xuất nguồn gốc OCOP / OCOP traceability resolver",
        "resolverRoot": root,
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [{"namespace": GS1_VOC, "prefix": "gs1:"}],
        "linkTypeDefaultCanBeLinkset": False,
        "jsonLdContextLocation": JSON_LD_CONTEXT,
        "contact": {"fn": "OCOP traceability"},
    }


def problem(status: int, code: str, field: str | None, message: str, lang: str) -> Response:
    """RFC 9457 problem details; ``error`` keeps the shape the resolver's JSON always had."""
    key = "problem_not_found" if status == 404 else "problem_bad_code"
    response = jsonify(
        type=f"about:blank#{code}",
        title=TEXTS(lang, key),
        status=status,
        detail=message,
        error={"field": field, "message": message, "code": code},
    )
    response.status_code = status
    response.content_type = PROBLEM
    return response


@dataclass(frozen=True, slots=True)
class Walk:
    """What is shown for a request: the requested link, or a less granular one in the register."""

    requested: DigitalLink
    shown: DigitalLink
    missing: str | None = None
    """``serial`` or ``lot`` when the request named one that is not in the register."""


def walk_up(
    link: DigitalLink, find: Callable[[DigitalLink], Verification]
) -> tuple[Walk, Verification]:
    """``find(link)``, else the lot, else the product: an unknown GTIN stays CodeNotFound."""
    try:
        return Walk(link, link), find(link)
    except CodeNotFound as exc:
        if exc.field not in ("serial", "lot"):
            raise
        missing = exc.field
    if missing == "serial" and link.lot is not None:
        lot = DigitalLink(link.gtin, link.lot, None, link.expiry)
        try:
            return Walk(link, lot, "serial"), find(lot)
        except CodeNotFound as exc:
            if exc.field != "lot":
                raise
            missing = "lot"
    product = DigitalLink(link.gtin, None, None, link.expiry)
    return Walk(link, product, missing), find(product)


def report_url(requested_uri: str) -> str:
    return "/report?code=" + quote(requested_uri, safe="")


def unregistered_banner(walk: Walk, requested_uri: str, lang: str) -> Markup | None:
    """The prominent warning at the top of a walked-up page, with the report link."""
    if walk.missing is None:
        return None
    link = walk.requested
    if walk.missing == "serial" and walk.shown.kind == "batch":
        body = TEXTS(lang, "unregistered_body", lot=link.lot or "", serial=link.serial or "")
    else:
        body = TEXTS(lang, "unknown_lot_body", code=link.element_string)
    return Markup(
        '<section class="card notice danger" id="unregistered" role="alert">'
        "<h2>{title}</h2><p>{body}</p>"
        '<p><a class="button" href="{href}">{report}</a></p></section>'
    ).format(
        title=TEXTS(lang, "unregistered_title"),
        body=body,
        href=report_url(requested_uri),
        report=TEXTS(lang, "unregistered_report"),
    )


def unregistered_json(walk: Walk, requested_uri: str, lang: str) -> dict[str, Any] | None:
    if walk.missing is None:
        return None
    return {
        "code": f"{walk.missing}_not_registered",
        "requested": requested_uri,
        "shownLevel": walk.shown.kind,
        "message": TEXTS(lang, "unregistered_title"),
        "report": report_url(requested_uri),
    }


__all__ = [
    "Walk",
    "add_cors",
    "description",
    "problem",
    "requested_format",
    "unregistered_banner",
    "unregistered_json",
    "walk_up",
]
