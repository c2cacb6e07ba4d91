"""The HTTP ledger API (DESIGN §7, §7.1): checkpoints, the log vkey, entries, proofs and
c2sp.org/tlog-tiles tiles and entry bundles."""

from __future__ import annotations

import base64

from flask import Blueprint, Response, current_app, jsonify, request

from ledger.errors import FormatError
from ledger.tiles import ENTRIES, TILE_HEIGHT, TILE_WIDTH, TileId, parse_tile_path
from traceapp.clients import limit_blueprint
from traceapp.db.sessions import allow_replica_reads, get_session, replica_reads_if_safe
from traceapp.errors import DomainError, NotFound
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store import reads, tiles
from traceapp.ledger_store.publish import compressed
from traceapp.witness.runtime import get_witnessing
from traceapp.witness.served import served_checkpoint

bp = Blueprint("ledger_api", __name__, url_prefix="/ledger")


def _full_tile() -> bool:
    """A full tile: immutable, answered from the worker's memory once read (see ``tile``)."""
    if request.endpoint != "ledger_api.tile" or request.view_args is None:
        return False
    try:
        return parse_tile_path(str(request.view_args.get("path", ""))).full
    except FormatError:
        return False


limit_blueprint(bp, "ledger", local_when=_full_tile)
# Reads from a replica whose log has what is asked for (else from the primary).
bp.before_request(replica_reads_if_safe)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _text(body: str, max_age: int) -> Response:
    response = Response(body, mimetype="text/plain")
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    return response


# Indexes and sizes are signed 64-bit integers in the database.
MAX_INDEX = 2**63 - 1


def _bounded(value: int, name: str) -> int:
    if value > MAX_INDEX:
        raise _BadRequest(name, f"must be at most {MAX_INDEX}")
    return value


def _int_arg(name: str) -> int:
    raw = request.args.get(name, "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:  # "²" is a digit int() refuses
        raise _BadRequest(name, "must be a non-negative integer")
    return int(raw)


class _BadRequest(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@bp.errorhandler(_BadRequest)
def _bad_request(error: _BadRequest) -> tuple[Response, int]:
    return jsonify(error={"field": error.field, "message": error.message, "code": "INVALID"}), 400


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError) -> tuple[Response, int]:
    status = 404 if isinstance(error, NotFound) else 400
    return jsonify(
        error={"field": error.field, "message": error.message, "code": error.code}
    ), status


@bp.get("/checkpoint")
def checkpoint() -> Response:
    """The latest checkpoint, cosigned once witnesses are configured (``served_checkpoint``); it
    changes with every append, so caches keep it briefly."""
    origin, witnessing = get_ledger().origin, get_witnessing()
    note = served_checkpoint(get_session(), origin, witnessing.witnesses, witnessing.quorum)
    return _text(note, max_age=1)


@bp.get("/checkpoint/<int:size>")
def checkpoint_of_size(size: int) -> Response:
    """A stored checkpoint: the same size always returns the same bytes, so cache it long."""
    origin = get_ledger().origin
    allow_replica_reads(needs=_bounded(size, "size"))
    return _text(reads.checkpoint_at(get_session(), origin, size).note, max_age=86400)


@bp.get("/vkey")
def vkey() -> Response:
    return _text(get_ledger().log.vkey + "\n", max_age=3600)


@bp.get("/entries/<int:index>")
def entry(index: int) -> Response:
    allow_replica_reads(needs=_bounded(index, "index") + 1)
    row = reads.entry_at(get_session(), get_ledger().origin, index)
    response = jsonify(index=row.seq, entry=_b64(row.entry), leaf=_b64(row.leaf_hash))
    response.cache_control.public = True
    response.cache_control.max_age = 86400  # entries never change
    return response


@bp.get("/proof/inclusion")
def inclusion_proof() -> Response:
    index, size = _int_arg("index"), _int_arg("size")
    allow_replica_reads(needs=size)
    proof = reads.inclusion(get_session(), get_ledger().origin, index, size)
    return jsonify(index=index, size=size, proof=[_b64(h) for h in proof])


@bp.get("/proof/consistency")
def consistency_proof() -> Response:
    old, new = _int_arg("old"), _int_arg("new")
    allow_replica_reads(needs=new)
    proof = reads.consistency(get_session(), get_ledger().origin, old, new)
    return jsonify(old=old, new=new, proof=[_b64(h) for h in proof])


# tlog-tiles: a tile's bytes never change. A full tile is kept for ever; a partial one too
# ("this endpoint is immutable"), but the log may drop it once the full tile exists, so caches
# keep it a day and revalidate. A 404 (not yet in the tree) must not be cached.
FULL_TILE_CACHE = "public, max-age=31536000, immutable"
PARTIAL_TILE_CACHE = "public, max-age=86400"


@bp.get("/tile/<path:path>")
def tile(path: str) -> Response:
    """`/ledger/tile/<L>/<N>[.p/<W>]` and `/ledger/tile/entries/<N>[.p/<W>]`, read from the
    stored subtree hashes and entries (full ones kept in memory once read: they never change);
    404 for a malformed path or a tile beyond the tree."""
    try:
        wanted = parse_tile_path(path)
    except FormatError as exc:
        return _tile_missing(str(exc))
    cache: tiles.FullTileCache = current_app.extensions.setdefault(
        "traceapp.full_tiles", tiles.FullTileCache()
    )
    data = cache.get(wanted)
    if data is None:
        level = 0 if wanted.level == ENTRIES else int(wanted.level)
        leaves = (wanted.index * TILE_WIDTH + wanted.width) << (TILE_HEIGHT * level)
        allow_replica_reads(needs=leaves)
        try:
            data = tiles.tile_bytes(get_session(), get_ledger().origin, wanted)
        except NotFound as exc:
            return _tile_missing(exc.message)
        cache.put(wanted, data)
    response = Response(data, mimetype="application/octet-stream")
    response.headers["Cache-Control"] = FULL_TILE_CACHE if wanted.full else PARTIAL_TILE_CACHE
    if wanted.level == "entries":
        _gzip_bundle(response, wanted, data)
    return response


def _gzip_bundle(response: Response, wanted: TileId, data: bytes) -> None:
    """tlog-tiles: "Entry bundles SHOULD be compressed at the HTTP layer". Gzip when the client
    accepts it (negotiated, so a client without gzip still reads the bundle); full bundles'
    compressed bytes are kept like the bundles themselves. Hash tiles do not compress."""
    response.vary.add("Accept-Encoding")
    if request.accept_encodings["gzip"] <= 0:
        return
    cache: tiles.FullTileCache = current_app.extensions.setdefault(
        "traceapp.full_bundles_gzip", tiles.FullTileCache(capacity=512)
    )
    body = cache.get(wanted)
    if body is None:
        body = compressed(data)
        cache.put(wanted, body)
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"


def _tile_missing(message: str) -> Response:
    response = Response(message + "\n", status=404, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response
