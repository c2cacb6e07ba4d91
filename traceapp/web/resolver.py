"""GS1 Digital Link resolver (DESIGN §6, §7, §7.1): the consumer page, its JSON, linksets, claims.

``/01/{gtin}[/10/{lot}][/21/{serial}]`` and its compressed form ``/{base64url}``: the page for
browsers (``text/html``), JSON for ``application/json``, an RFC 9264 linkset for
``linkType=linkset`` (``all``) or ``application/linkset+json``, a 307 to the link of
``linkType=gs1:xxx``, a 307 to the default link when ``Accept`` names nothing of ours. The
links and their targets (``?view=``) are ``web/linkset.py``; negotiation, CORS, walking up
and problem details are ``web/gs1resolver.py``. Malformed codes give a 400, unknown GTINs 404.

Over 400 lines on purpose: every way a Digital Link request is answered (page, JSON, linkset,
307, claim, compressed form) is routed here in one place, the logic itself lives in the modules
named above, and the answers every consumer page shares in ``web/answers.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from markupsafe import Markup

from traceapp.clients import client_fingerprint, rate_limited
from traceapp.config import get_settings
from traceapp.db.sessions import get_database, get_session, replica_reads_if_safe
from traceapp.errors import NotFound
from traceapp.gs1.compression import decompress_segment, looks_compressed
from traceapp.gs1.digital_link import DigitalLink, parse_path, query_link_type
from traceapp.gs1.errors import Gs1Error
from traceapp.i18n import VIETNAM
from traceapp.ledger_runtime import get_ledger
from traceapp.scans.group import GroupCommit
from traceapp.verification.loading import load
from traceapp.verification.model import Verification
from traceapp.verification.pins import ClaimResult, claim_with_pin
from traceapp.verification.serialize import notice_text, verification_json
from traceapp.verification.services import verify_code, verify_scanned_item
from traceapp.verification.texts import text
from traceapp.verification.verdict import verdict
from traceapp.web.answers import (
    error_page,
    finish,
    lang_url,
    language,
    now_and_today,
    raw_path,
    same_origin,
    too_many,
)
from traceapp.web.consumer import bad_code_message, claimed_by_reader, page_context, report_url
from traceapp.web.gs1resolver import (
    Walk,
    add_cors,
    description,
    requested_format,
    unregistered_banner,
    unregistered_json,
    walk_up,
)
from traceapp.web.linkset import (
    LINKSET,
    Links,
    Target,
    build_links,
    choose,
    content_url,
    link_header,
    normalise_link_type,
    redirect_location,
)
from traceapp.web.story import story
from traceapp.witness.runtime import get_witnessing
from traceapp.witness.served import witnessed
from traceapp.witness.texts import WITNESS_TEXTS

bp = Blueprint("resolver", __name__)
bp.after_request(add_cors)
bp.before_request(replica_reads_if_safe)  # pages read from a replica; scans write to the primary

# ?view= selects our own content (the targets of the links); unknown names show the page.
SECTIONS = {"pip": "all", "journey": "journey", "certificates": "certificates", "recall": "all"}
CLAIM_STATUS = {
    "claimed": 200,
    "wrong_pin": 400,
    "malformed": 400,
    "locked": 429,
    "already_claimed": 409,
    "no_pin": 409,
    "not_claimable": 409,
}


# --- request context -------------------------------------------------------------------


def scan_writer() -> GroupCommit:
    """The app's group commit for scans (one per process: the app is built after the fork)."""
    writer: GroupCommit | None = current_app.extensions.get("traceapp.scan_writer")
    if writer is None:
        writer = current_app.extensions.setdefault(
            "traceapp.scan_writer", GroupCommit(get_database())
        )
    return writer


def image_src(view: Verification) -> str | None:
    """Only a path on our own host: the page never loads anything from elsewhere."""
    url = view.product.image_url
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return url if _own_path(url) else None
    public = urlsplit(get_settings(current_app).public_url)
    if parts.scheme in ("http", "https") and parts.netloc == public.netloc:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return path if _own_path(path) else None
    return None


def _own_path(path: str) -> bool:
    """A path a browser resolves on our host. Browsers read a backslash as a slash and drop
    tabs and newlines, so ``/\\evil:80/x.png`` is ``//evil:80/x.png``: read it as they do."""
    as_read = path.replace("\\", "/")
    for removed in "\t\n\r":
        as_read = as_read.replace(removed, "")
    parts = urlsplit(as_read)
    return (
        as_read.startswith("/")
        and not as_read.startswith("//")
        and not (parts.scheme or parts.netloc)
    )


def public_uri(link: DigitalLink) -> str:
    return get_settings(current_app).public_url + link.path


def bundle_path(view: Verification) -> str | None:
    """The item's proof bundle (DESIGN §7), also for links that leave the lot out."""
    if view.item is None or view.batch is None:
        return None
    full = DigitalLink(view.product.gtin, view.batch.lot, view.item.serial)
    return f"/ledger/bundle{full.path}"


# --- responses ---------------------------------------------------------------------------


# The page's sections that come from the ledger snapshot alone (hero, product to journey, proofs),
# rendered once per snapshot and day: the snapshot hands the same ProofReport and certificate
# tuple to every request of one checkpoint, day and code, so their identities key the HTML with
# the language, the section shown and the links. Each entry keeps those objects alive, so an id
# is not reused while its entry exists. Scans, warnings and the claim form render every time.
_SECTIONS: dict[tuple[object, ...], tuple[object, object, Markup]] = {}
_SECTIONS_KEPT = 2048
_SECTIONS_LOCK = threading.Lock()


def _cached_section(
    view: Verification, name: str, parts: tuple[object, ...], caller: Callable[[], str]
) -> Markup:
    key = (name, id(view.proofs), id(view.certificates), *parts)
    hit = _SECTIONS.get(key)
    if hit is not None and hit[0] is view.proofs and hit[1] is view.certificates:
        return hit[2]
    html = Markup(caller())
    with _SECTIONS_LOCK:
        if len(_SECTIONS) >= _SECTIONS_KEPT:
            _SECTIONS.clear()
        _SECTIONS[key] = (view.proofs, view.certificates, html)
    return html


def _page(
    view: Verification,
    link: DigitalLink,
    lang: str,
    section: str = "all",
    claim: ClaimResult | None = None,
    claim_message: str | None = None,
    mine: bool = False,
    banner: Markup | None = None,
) -> Response:
    """``mine``: the reader is the buyer who claimed the item (thanked, not warned)."""
    context = page_context(lang, now_and_today()[1])
    t = context["t"]
    if claim is not None:
        claim_message = t(
            f"claim_{claim.outcome}",
            left=claim.attempts_left,
            minutes=max(1, -(-claim.retry_after // 60)),
        )
    uri, image, bundle = public_uri(link), image_src(view), bundle_path(view)
    body = render_template(
        "verify/page.html",
        **context,
        v=view,
        verdict=verdict(view, claimed_by_viewer=mine),
        mine=mine,
        hidden=("claimed",) if mine else (),
        report_url=report_url(uri, lang),
        notice=lambda n: notice_text(n, lang),
        cached=lambda name, caller: _cached_section(
            view, name, (lang, section, uri, image, bundle), caller
        ),
        section=section,
        uri=uri,
        image=image,
        bundle=bundle,
        switch_url=lang_url("en" if lang == "vi" else "vi"),
        story=story(view, lang, image, get_settings(current_app).public_url),
        claim=claim,
        claim_message=claim_message,
        banner=banner,
        vn=VIETNAM,
        action=raw_path() + (f"?lang={lang}" if "lang" in request.args else ""),
        witnessed=witnessed(
            get_session(),
            get_ledger().origin,
            view.proofs.checkpoint_size,
            get_witnessing().witnesses,
        ),
        wt=partial(WITNESS_TEXTS, lang),
    )
    return Response(body, mimetype="text/html")


def _json(view: Verification, link: DigitalLink, lang: str, section: str, walk: Walk) -> Response:
    data = verification_json(view, lang, uri=public_uri(link), bundle=bundle_path(view))
    if section == "journey":
        data = {k: data[k] for k in ("kind", "code", "uri", "journey", "proofs")}
    elif section == "certificates":
        data = {k: data[k] for k in ("kind", "code", "uri", "ocop", "certificates", "proofs")}
    elif section == "recall":
        data = {k: data[k] for k in ("kind", "code", "uri", "batch", "item", "proofs")}
        data["recalls"] = [
            w for w in verification_json(view, lang)["warnings"] if w["code"] == "recalled"
        ]
    unregistered = unregistered_json(walk, public_uri(walk.requested), lang)
    if unregistered is not None:
        data["unregistered"] = unregistered
    return jsonify(data)


# --- routes ------------------------------------------------------------------------------


# Slashes stay as sent: "//" is a malformed code (400), not a redirect.
@bp.route("/01", methods=["GET", "HEAD", "POST"], strict_slashes=False, merge_slashes=False)
@bp.route("/01/<path:_rest>", methods=["GET", "HEAD", "POST"], merge_slashes=False)
def resolve(_rest: str = "") -> Response:
    lang = language()
    wait = rate_limited("claim" if request.method == "POST" else "page")
    if wait:
        return too_many(wait, lang)
    try:
        link = parse_path(raw_path(), request.query_string.decode("latin-1"))
    except Gs1Error as exc:
        return _bad_code(exc, lang)
    return _answer(link, lang, same_as=None)


# A compressed Digital Link is one base64url segment; other single-segment paths are not ours.
@bp.route("/<segment>", methods=["GET", "HEAD"])
@bp.route("/<segment>/", methods=["GET", "HEAD"])
def resolve_compressed(segment: str) -> Response:
    if not looks_compressed(segment):
        abort(404)
    lang = language()
    wait = rate_limited("page")
    if wait:
        return too_many(wait, lang)
    try:
        decompressed = decompress_segment(segment)
    except Gs1Error as exc:
        return _bad_code(exc, lang)
    link = decompressed.link
    return _answer(link, lang, same_as=public_uri(link), packed=decompressed.other)


def _answer(
    link: DigitalLink,
    lang: str,
    same_as: str | None,
    packed: tuple[tuple[str, str], ...] = (),
) -> Response:
    try:
        if request.method == "POST":
            return finish(_claim(link, lang))
        response = _resolve(link, lang, packed)
    except NotFound as exc:
        report = report_url(public_uri(link), lang)
        message = text(lang, "not_found_help")
        return error_page(404, "NOT_FOUND", exc.field, message, lang, report=report)
    if response.status_code < 400:
        response.headers["Link"] = link_header(
            public_uri(link), same_as=same_as, linkset_response=response.mimetype == LINKSET
        )
    return finish(response)


def _bad_code(exc: Gs1Error, lang: str) -> Response:
    message = bad_code_message(exc, lang)
    return error_page(400, exc.code, exc.field, message or exc.message, lang, detail=message)


def _lookup(link: DigitalLink, *, record: bool) -> tuple[Walk, Verification]:
    """The view of ``link``, walking up to the lot or product when a qualifier is unknown."""
    now, today = now_and_today()
    ledger = get_ledger()

    def find(candidate: DigitalLink) -> Verification:
        if record and candidate.kind == "item":
            # A scan of an item is recorded (outside the ledger) for clone detection.
            return verify_scanned_item(
                get_session(),
                ledger,
                candidate,
                scan_writer=scan_writer(),
                today=today,
                now=now,
                client=client_fingerprint(),
            )
        return verify_code(
            get_session(), ledger, candidate, today=today, now=now, client=None, record_scan=False
        )

    return walk_up(link, find)


def _links(view: Verification, link: DigitalLink) -> Links:
    return build_links(view, link, public_uri(link), get_settings(current_app).public_url)


def _resolve(link: DigitalLink, lang: str, packed: tuple[tuple[str, str], ...] = ()) -> Response:
    """``packed``: non-GS1 pairs compressed into the URI, after the request's own query."""
    query = request.query_string.decode("latin-1")
    pairs = [*request.args.items(multi=True), *packed]
    link_type = (query_link_type(query) or dict(packed).get("linkType") or "").strip()
    fmt = requested_format()
    if link_type:
        wanted = normalise_link_type(link_type)
        walk, view = _lookup(link, record=False)
        links = _links(view, link)
        if wanted == "linkset":
            return _linkset(links)
        candidates = links.of_type(wanted) if wanted and wanted != "defaultLink" else []
        target = choose(candidates, lang, fmt == "json") if candidates else links.default
        return _redirect(target, pairs)
    view_name = request.args.get("view")
    if view_name is None and fmt == "linkset":
        walk, view = _lookup(link, record=False)
        return _linkset(_links(view, link))
    if view_name is None and fmt is None:
        # Nothing in the request matches a link's metadata: the default link, per the standard.
        walk, view = _lookup(link, record=False)
        return _redirect(_links(view, link).default, pairs)
    section = SECTIONS.get(view_name or "pip", "all")
    walk, view = _lookup(link, record=request.method == "GET")
    if fmt == "json":
        response = _json(view, link, lang, section if view_name else "all", walk)
    else:
        banner = unregistered_banner(walk, public_uri(link), lang)
        response = _page(view, link, lang, section, banner=banner, mine=claimed_by_reader(view))
    if view_name is None:
        response.headers["Content-Location"] = content_url(public_uri(link), "pip")
    return response


def _linkset(links: Links) -> Response:
    response = jsonify(links.document())
    response.content_type = LINKSET
    return response


def _redirect(target: Target, pairs: list[tuple[str, str]]) -> Response:
    response = Response(status=307)
    response.headers["Location"] = redirect_location(target, pairs)
    return response


def _claim(link: DigitalLink, lang: str) -> Response:
    now, today = now_and_today()
    ledger = get_ledger()
    if link.kind != "item":
        raise NotFound("only an item can be claimed", field="serial")
    if not same_origin():
        view = verify_code(
            get_session(), ledger, link, today=today, now=now, client=None, record_scan=False
        )
        response = _page(view, link, lang, claim_message=text(lang, "claim_bad_origin"))
        response.status_code = 403
        return response
    pin = (request.form.get("pin") or "")[:64]
    client = client_fingerprint()
    with get_database().write() as session:
        item = load(session, link).item
        assert item is not None
        result = claim_with_pin(session, ledger, item.public_id, pin, now=now, client=client)
    view = verify_code(
        get_session(), ledger, link, today=today, now=now, client=client, record_scan=False
    )
    mine = result.outcome == "claimed" or claimed_by_reader(view)
    response = _page(view, link, lang, claim=result, mine=mine)
    response.status_code = CLAIM_STATUS[result.outcome]
    if result.outcome == "locked":
        response.headers["Retry-After"] = str(result.retry_after)
    return response


@bp.get("/.well-known/gs1resolver")
def well_known() -> Response:
    """The resolver description file (GS1-Conformant Resolver 1.2)."""
    return jsonify(description(get_settings(current_app).public_url))
