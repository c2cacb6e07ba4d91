"""tlog-tiles under /ledger (c2sp.org/tlog-tiles, DESIGN §7.1), read from stored hashes and
checked against hashes recomputed independently from the entries."""

from __future__ import annotations

import base64

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from support.grow import append_inspections
from support.scenario import Scenario

from ledger.checkpoint import open_checkpoint
from ledger.keys import Verifier
from ledger.merkle import leaf_hash, root_from_leaf_hashes
from ledger.tiles import TileId, decode_bundle, root_from_tiles, tiles_for_size
from traceapp.db.sessions import get_database
from traceapp.ledger_store.writer import Ledger

FULL = "public, max-age=31536000, immutable"
PARTIAL = "public, max-age=86400"


@pytest.fixture
def grown(client: FlaskClient, app: Flask, ledger: Ledger, scenario: Scenario) -> int:
    """A log of more than two full level-0 tiles: 2 full tiles, partial level-0 and -1 tiles."""
    append_inspections(get_database(app), ledger, scenario, 540)
    verifier = Verifier.from_vkey(client.get("/ledger/vkey").text.strip())
    size = open_checkpoint(client.get("/ledger/checkpoint").text, verifier).size
    assert 512 < size < 768
    return size


def _entries(client: FlaskClient, size: int) -> list[bytes]:
    out = []
    for index in range(size):
        body = client.get(f"/ledger/entries/{index}").json
        assert body is not None
        out.append(base64.b64decode(body["entry"]))
    return out


def test_tiles_equal_hashes_recomputed_from_the_entries(client: FlaskClient, grown: int) -> None:
    size = grown
    entries = _entries(client, size)
    leaves = [leaf_hash(e) for e in entries]
    # Independently: level-1 hashes are MTHs of 256 consecutive leaves (RFC 6962 §2.1).
    level1 = [root_from_leaf_hashes(leaves[i : i + 256]) for i in range(0, size - 255, 256)]
    expected = {0: leaves, 1: level1}
    served = list(tiles_for_size(size))
    assert [t.path for t in served] == [
        "tile/0/000",
        "tile/0/001",
        f"tile/0/002.p/{size - 512}",
        "tile/1/000.p/2",
    ]
    for tile in served:
        response = client.get(f"/ledger/{tile.path}")
        assert response.status_code == 200, tile.path
        assert response.content_type == "application/octet-stream"
        assert response.headers["Cache-Control"] == (FULL if tile.full else PARTIAL)
        start = tile.index * 256
        assert response.data == b"".join(expected[int(tile.level)][start : start + tile.width])
    for number, width in ((0, 256), (1, 256), (2, size - 512)):
        suffix = "" if width == 256 else f".p/{width}"
        bundle = client.get(f"/ledger/tile/entries/{number:03d}{suffix}")
        assert bundle.status_code == 200
        assert bundle.headers["Cache-Control"] == (FULL if width == 256 else PARTIAL)
        assert decode_bundle(bundle.data) == entries[number * 256 : number * 256 + width]
        assert bundle.data[:2] == len(entries[number * 256]).to_bytes(2, "big")

    def fetch(tile: TileId) -> bytes:
        response = client.get(f"/ledger/{tile.path}")
        assert response.status_code == 200, tile.path
        return response.data

    verifier = Verifier.from_vkey(client.get("/ledger/vkey").text.strip())
    checkpoint = open_checkpoint(client.get("/ledger/checkpoint").text, verifier)
    assert root_from_tiles(fetch, size) == checkpoint.root_hash
    # A partial tile of an earlier tree size stays served: its hashes never change.
    assert client.get("/ledger/tile/0/002.p/1").data == leaves[512]
    assert client.get("/ledger/tile/0/000.p/7").data == b"".join(leaves[:7])


def test_tiles_beyond_the_tree_and_malformed_paths_are_404(client: FlaskClient, grown: int) -> None:
    width = grown - 512
    for path in (
        "tile/0/002",  # the full tile is not complete yet
        f"tile/0/002.p/{width + 1}",  # wider than the tree
        "tile/0/003.p/1",
        "tile/1/000",
        "tile/2/000.p/1",
        "tile/entries/002",
        f"tile/entries/002.p/{width + 1}",
        "tile/64/000",  # no such level
        "tile/0/2",  # not zero-padded
        "tile/00/000",
        "tile/0/x000/001",  # not canonical
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/07",
        "tile/0/-01",
        "tile/level/000",
        "tile/0",
    ):
        response = client.get(f"/ledger/{path}")
        assert response.status_code == 404, path
        assert response.headers["Cache-Control"] == "no-store"


def test_a_tile_is_one_range_read(app: Flask, client: FlaskClient, grown: int) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = get_database(app).engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get("/ledger/tile/1/000.p/2").status_code == 200
        reads = [s for s in statements if "ledger_hashes" in s]
        assert len(reads) == 1 and "ledger_entries" not in " ".join(statements)
        # A full tile never changes: once read, it is served from the worker's memory without
        # a statement, its rate limit counted per worker (docs/operations.md, Rate limits).
        first = client.get("/ledger/tile/0/001")
        statements.clear()
        again = client.get("/ledger/tile/0/001")
        assert again.data == first.data and len(first.data) == 8192
        assert statements == []
        partial = client.get("/ledger/tile/entries/002.p/1")
        assert partial.status_code == 200 and statements  # partial tiles are not kept
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_full_tiles_are_limited_per_worker_and_the_rest_shared(
    app: Flask, client: FlaskClient, grown: int
) -> None:
    from werkzeug.test import TestResponse

    from traceapp.verification.ratelimit import DEFAULT_LIMITS, Limit

    app.config["RATE_LIMITS"] = {**DEFAULT_LIMITS, "ledger": Limit(2, 60.0)}
    fresh = {"REMOTE_ADDR": "198.51.100.7"}  # a client the fixture's requests did not count

    def get(path: str) -> TestResponse:
        return client.get(path, environ_overrides=fresh)

    assert [get("/ledger/tile/0/001").status_code for _ in range(3)] == [200, 200, 429]
    # The shared count (every worker's) is apart: the other ledger requests have theirs.
    assert [get("/ledger/vkey").status_code for _ in range(3)] == [200, 200, 429]
    refused = get("/ledger/tile/0/001")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
