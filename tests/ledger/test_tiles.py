"""ledger.tiles: tlog-tiles paths, entry bundles, and roots from tiles (c2sp.org/tlog-tiles)."""

from __future__ import annotations

import gzip
from typing import Any

import pytest

from ledger.errors import FormatError, ProofError
from ledger.merkle import CompactRange, leaf_hash
from ledger.tile_fetch import FetchError, gunzip
from ledger.tiles import (
    TileId,
    TreeTiles,
    decode_bundle,
    encode_bundle,
    encode_index,
    parse_tile_path,
    root_from_tiles,
    tile_in_tree,
    tiles_for_size,
)
from ledger.tree_store import MemoryHashStore, root_at

SIZE = 70_000  # the spec's example: level-0, -1 and -2 tiles


@pytest.fixture(scope="module")
def store() -> MemoryHashStore:
    hashes = MemoryHashStore()
    compact = CompactRange()
    for n in range(SIZE):
        hashes.put_many(compact.append(leaf_hash(n.to_bytes(4, "big"))))
    return hashes


def test_index_encoding_follows_the_spec() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(0) == "000" and encode_index(999) == "999"
    assert encode_index(1000) == "x001/000"
    assert TileId(2, 1234067, 5).path == "tile/2/x001/x234/067.p/5"
    assert TileId("entries", 3).path == "tile/entries/003"


@pytest.mark.parametrize(
    "tile",
    [TileId(0, 0), TileId(63, 5, 1), TileId("entries", 1234067, 255), TileId(1, 10**9)],
)
def test_paths_round_trip(tile: TileId) -> None:
    assert parse_tile_path(tile.path.removeprefix("tile/")) == tile


@pytest.mark.parametrize(
    "path",
    [
        "0/2",
        "00/000",
        "0/x000/001",
        "0/000.p/0",
        "0/000.p/256",
        "0/000.p/01",
        "64/000",
        "0/001/002",
        "0/x1/002",
        "0",
        "e/000",
        "0/000.p",
        "0/٣٣٣",
        "+1/000",
    ],
)
def test_non_canonical_paths_are_refused(path: str) -> None:
    with pytest.raises(FormatError):
        parse_tile_path(path)


def test_the_spec_example_of_a_tree_of_70000() -> None:
    tiles = list(tiles_for_size(SIZE))
    assert sum(1 for t in tiles if t.level == 0 and t.full) == 273
    assert [t for t in tiles if not t.full] == [
        TileId(0, 273, 112),
        TileId(1, 1, 17),
        TileId(2, 0, 1),
    ]
    assert sum(1 for t in tiles if t.level == 1 and t.full) == 1
    assert [t.path for t in tiles_for_size(256)] == ["tile/0/000", "tile/1/000.p/1"]
    assert tile_in_tree(TileId(1, 1, 17), SIZE) and not tile_in_tree(TileId(1, 1, 18), SIZE)
    assert not tile_in_tree(TileId(1, 1), SIZE) and tile_in_tree(TileId(0, 273, 3), SIZE)


@pytest.mark.parametrize("size", [1, 2, 255, 256, 257, 511, 65535, 65536, 65537, SIZE])
def test_root_from_tiles_is_the_tree_root(store: MemoryHashStore, size: int) -> None:
    def fetch(tile: TileId) -> bytes:
        assert tile_in_tree(tile, size)
        start = tile.index * 256
        return b"".join(store.get(tile.hash_level, i) for i in range(start, start + tile.width))

    assert root_from_tiles(fetch, size) == root_at(store, size)


def test_entry_bundles() -> None:
    entries = [b"", b"a", bytes(65535)]
    data = encode_bundle(entries)
    assert data[:5] == b"\x00\x00\x00\x01a"
    assert decode_bundle(data) == entries
    with pytest.raises(FormatError):
        decode_bundle(data[:-1])
    with pytest.raises(FormatError):
        decode_bundle(b"\x00")
    with pytest.raises(FormatError):
        encode_bundle([bytes(65536)])


def _tiles_of(store: MemoryHashStore, size: int, fetched: list[str]) -> Any:
    def fetch(tile: TileId) -> list[bytes]:
        assert tile_in_tree(tile, size)
        fetched.append(tile.path)
        start = tile.index * 256
        return [store.get(tile.hash_level, i) for i in range(start, start + tile.width)]

    return fetch


@pytest.mark.parametrize("size", [1, 256, 257, 65536, SIZE])
def test_tree_tiles_give_every_older_root(store: MemoryHashStore, size: int) -> None:
    fetched: list[str] = []
    tiles = TreeTiles(_tiles_of(store, size, fetched), size, root_at(store, size))
    assert all(".p/" in path for path in fetched)  # the root needs the partial tiles only
    for old in sorted({1, 2, 255, 256, 257, 4097, 65535, 65536, size // 2, size - 1, size}):
        if 0 < old <= size:
            assert tiles.root_at(old) == root_at(store, old)
    assert tiles.hashes(0, 0)[:2] == [store.get(0, 0), store.get(0, 1)][: min(size, 2)]


def test_tree_tiles_refuse_tiles_that_do_not_hash_up(store: MemoryHashStore) -> None:
    size = 70_000
    real = _tiles_of(store, size, [])
    with pytest.raises(ProofError, match=r"their root .* is not the checkpoint's"):
        TreeTiles(real, size, root_at(store, size - 1))

    def tampered(tile: TileId) -> list[bytes]:
        hashes = real(tile)
        if tile == TileId(0, 5):
            hashes[7] = bytes(32)
        return list(hashes)

    tiles = TreeTiles(tampered, size, root_at(store, size))  # tile 0/005 is not used by the root
    assert tiles.root_at(256 * 5) == root_at(store, 256 * 5)
    with pytest.raises(ProofError, match="tile/0/005: its hashes do not hash"):
        tiles.root_at(256 * 5 + 8)
    with pytest.raises(ProofError, match="is not a full tile"):
        tiles.hashes(0, 274)


def test_gzip_bodies_are_inflated_within_the_limit() -> None:
    data = bytes(range(256)) * 64
    assert gunzip(gzip.compress(data), len(data), "t") == data
    assert gunzip(gzip.compress(data[:10]) + gzip.compress(data[10:]), len(data), "t") == data
    with pytest.raises(FetchError, match="more than 16383 bytes once inflated"):
        gunzip(gzip.compress(data), len(data) - 1, "t")
    with pytest.raises(FetchError, match="truncated gzip"):
        gunzip(gzip.compress(data)[:-10], len(data), "t")
    with pytest.raises(FetchError, match="bad gzip"):
        gunzip(b"not gzip at all", len(data), "t")
