"""tlog-tiles read from the stored subtree hashes (c2sp.org/tlog-tiles, DESIGN §7.1).

A level-L tile (L >= 1) is a key range of ``ledger_hashes``: the rows of level ``8*L`` with
indexes ``N*256 .. N*256+W-1`` (each the hash of a perfect subtree of ``256**L`` leaves, exactly
the spec's ``MTH(D[(N*256+i)*256**L : ...])``); a level-0 tile is the ``leaf_hash`` column of a
key range of ``ledger_entries``, and an entry bundle its ``entry`` column. One indexed range
read each, never a hash computed per request; a tile whose rows are not all stored yet (beyond
the tree) is NotFound.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator

from sqlalchemy.orm import Session

from ledger.tiles import TILE_HEIGHT, TILE_WIDTH, TileId, encode_bundle
from traceapp.errors import NotFound
from traceapp.ledger_store.entries import entry_runs
from traceapp.ledger_store.store import SqlSpanReader


def hash_range(session: Session, origin: str, level: int, start: int, end: int) -> list[bytes]:
    """The stored hashes of subtrees ``start <= idx < end`` at Merkle height `level`, in order
    (fewer when the tree does not reach `end` yet)."""
    return SqlSpanReader(session, origin).read_spans([(level, start, end)])[0]


def tile_bytes(session: Session, origin: str, tile: TileId) -> bytes:
    """A hash tile or entry bundle, as served and published; NotFound beyond the tree."""
    start = tile.index * TILE_WIDTH
    if tile.level == "entries":
        runs = entry_runs(session, origin, start=start, end=start + tile.width, batch=TILE_WIDTH)
        found = [bytes(data) for rows in runs for _seq, data in rows]
        if len(found) == tile.width:
            return encode_bundle(found)
    else:
        hashes = hash_range(session, origin, tile.hash_level, start, start + tile.width)
        if len(hashes) == tile.width:
            return b"".join(hashes)
    raise NotFound(f"{tile.path} is beyond the tree", field="tile")


def entry_bundles(
    session: Session, origin: str, start_tile: int, size: int
) -> Iterator[tuple[TileId, bytes]]:
    """Entry bundles from tile `start_tile` on for a tree of `size`: full ones, then the
    partial one; read in key ranges of 8 bundles."""
    chunk: list[bytes] = []
    number = start_tile
    start = start_tile * TILE_WIDTH
    for rows in entry_runs(session, origin, start=start, end=size, batch=8 * TILE_WIDTH):
        for _seq, data in rows:
            chunk.append(bytes(data))
            if len(chunk) == TILE_WIDTH:
                yield TileId("entries", number), encode_bundle(chunk)
                chunk, number = [], number + 1
    if chunk:
        yield TileId("entries", number, len(chunk)), encode_bundle(chunk)


def hash_tiles(
    session: Session, origin: str, level: int, start_tile: int, size: int
) -> Iterator[tuple[TileId, bytes]]:
    """The level-`level` tiles from tile `start_tile` on for a tree of `size`: full ones, then
    the partial one; read in key ranges of 8 tiles."""
    count = size >> (TILE_HEIGHT * level)  # hashes of this level in the tree
    height = TILE_HEIGHT * level
    number = start_tile
    while number * TILE_WIDTH < count:
        start = number * TILE_WIDTH
        end = min(count, start + 8 * TILE_WIDTH)
        hashes = hash_range(session, origin, height, start, end)
        if len(hashes) != end - start:
            raise NotFound(f"level {level}: subtree hashes {start}..{end} are not all stored")
        for offset in range(0, len(hashes), TILE_WIDTH):
            piece = hashes[offset : offset + TILE_WIDTH]
            yield TileId(level, number, len(piece)), b"".join(piece)
            number += 1


class FullTileCache:
    """Full tiles and entry bundles already read: their bytes never change (c2sp.org/tlog-tiles),
    so a hit needs no database at all. Bounded, least recently used out; thread-safe (gthread
    workers). One per app: another database may hold another log under the same origin."""

    def __init__(self, capacity: int = 2048) -> None:
        self.capacity = capacity
        self._tiles: OrderedDict[TileId, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tile: TileId) -> bytes | None:
        with self._lock:
            data = self._tiles.get(tile)
            if data is not None:
                self._tiles.move_to_end(tile)
            return data

    def put(self, tile: TileId, data: bytes) -> None:
        if not tile.full:
            return  # a partial tile may be dropped by the log once the full one exists
        with self._lock:
            self._tiles[tile] = data
            self._tiles.move_to_end(tile)
            while len(self._tiles) > self.capacity:
                self._tiles.popitem(last=False)
