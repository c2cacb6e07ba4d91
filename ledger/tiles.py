"""c2sp.org/tlog-tiles: tile paths, entry bundles, and roots computed from tiles alone.

A tile at level L, index N holds the hashes ``MTH(D[(N*256+i)*256**L : (N*256+i+1)*256**L])``
for i < its width: the stored perfect subtree hashes at height ``8*L``, indexes
``N*256 .. N*256+W-1`` (`ledger.merkle.SubtreeHash`). A tile is *full* at 256 hashes and
*partial* (path suffix ``.p/<W>``) below; an entry bundle is level 0's entries, each with a
big-endian uint16 length prefix. `root_from_tiles` derives a tree's root from nothing but
tiles, which is how a static mirror is checked against its checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ledger.errors import FormatError, ProofError
from ledger.merkle import HASH_SIZE, fold_right, frontier_keys, root_from_leaf_hashes

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes
MAX_LEVEL = 63
MAX_ENTRY_SIZE = 0xFFFF
ENTRIES = "entries"
"""The level name of entry bundles in paths (``tile/entries/...``)."""


@dataclass(frozen=True)
class TileId:
    """One tile resource: `level` is an int, or ``"entries"`` for an entry bundle; `width`
    is 256 for a full tile and 1..255 for a partial one."""

    level: int | str
    index: int
    width: int = TILE_WIDTH

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def path(self) -> str:
        """The path below the log prefix, e.g. ``tile/0/x001/x234/067.p/5``."""
        suffix = "" if self.full else f".p/{self.width}"
        return f"tile/{self.level}/{encode_index(self.index)}{suffix}"

    @property
    def hash_level(self) -> int:
        """The height in the Merkle tree of each hash of the tile (entry bundles: 0)."""
        return 0 if self.level == ENTRIES else TILE_HEIGHT * int(self.level)


def encode_index(index: int) -> str:
    """N as zero-padded 3-digit path elements, all but the last prefixed ``x``."""
    if index < 0:
        raise ValueError(f"tile index must not be negative, got {index}")
    elements = [f"{index % 1000:03d}"]
    while index >= 1000:
        index //= 1000
        elements.insert(0, f"x{index % 1000:03d}")
    return "/".join(elements)


def parse_tile_path(path: str) -> TileId:
    """The tile a path below ``tile/`` names (``<L>/<N>[.p/<W>]`` or ``entries/<N>[.p/<W>]``).

    Only the canonical spelling is accepted (no leading zeros, no ``x000`` groups in front):
    FormatError otherwise, so one tile has exactly one path, as on a static mirror.
    """
    parts = path.split("/")
    if len(parts) < 2:
        raise FormatError(f"tile path {path!r}: expected <L>/<N>[.p/<W>]")
    level_text, rest = parts[0], parts[1:]
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        width = _decimal(rest[-1], "width")
        if not 1 <= width < TILE_WIDTH:
            raise FormatError(f"tile path {path!r}: partial width must be 1 to 255")
        rest = [*rest[:-2], rest[-2][:-2]]
    level: int | str = ENTRIES
    if level_text != ENTRIES:
        level = _decimal(level_text, "level")
        if level > MAX_LEVEL:
            raise FormatError(f"tile path {path!r}: level must be 0 to {MAX_LEVEL}")
    digits = "".join(element.removeprefix("x") for element in rest[:-1]) + rest[-1]
    if not all(element.startswith("x") for element in rest[:-1]) or not digits.isdigit():
        raise FormatError(f"tile path {path!r}: malformed index")
    tile = TileId(level, int(digits), width)
    if tile.path != f"tile/{path}":
        raise FormatError(f"tile path {path!r}: not the canonical path {tile.path!r}")
    return tile


def _decimal(text: str, what: str) -> int:
    if not (text.isascii() and text.isdigit()) or (len(text) > 1 and text[0] == "0"):
        raise FormatError(f"tile {what} {text!r}: expected a decimal without leading zeros")
    return int(text)


def tiles_for_size(size: int) -> Iterator[TileId]:
    """Every hash tile of a tree of `size` leaves, level by level: full tiles, then the
    partial one if the level has one. A tile is at level L only if ``size >= 256**L``."""
    level = 0
    while size >> (TILE_HEIGHT * level):
        count = size >> (TILE_HEIGHT * level)
        yield from (TileId(level, n) for n in range(count // TILE_WIDTH))
        if count % TILE_WIDTH:
            yield TileId(level, count // TILE_WIDTH, count % TILE_WIDTH)
        level += 1


def tile_in_tree(tile: TileId, size: int) -> bool:
    """Whether the tree of `size` leaves holds every hash of `tile` (it may then be served:
    a partial tile's hashes are those of every larger tree too)."""
    level = 0 if tile.level == ENTRIES else int(tile.level)
    return tile.index * TILE_WIDTH + tile.width <= size >> (TILE_HEIGHT * level)


def split_hashes(data: bytes, tile: TileId) -> list[bytes]:
    """The hashes of a hash tile's bytes; FormatError unless it is `tile.width` hashes."""
    if len(data) != tile.width * HASH_SIZE:
        raise FormatError(
            f"{tile.path}: expected {tile.width * HASH_SIZE} bytes, found {len(data)}"
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def encode_bundle(entries: Iterable[bytes]) -> bytes:
    """An entry bundle: each entry prefixed by its length as a big-endian uint16."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY_SIZE:
            raise FormatError(f"entry of {len(entry)} bytes exceeds {MAX_ENTRY_SIZE}")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    """The entries of an entry bundle; FormatError if it is truncated."""
    entries, offset = [], 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise FormatError("entry bundle: truncated length prefix")
        length = int.from_bytes(data[offset : offset + 2], "big")
        offset += 2
        if offset + length > len(data):
            raise FormatError("entry bundle: truncated entry")
        entries.append(data[offset : offset + length])
        offset += length
    return entries


def root_from_tiles(fetch: Callable[[TileId], bytes], size: int) -> bytes:
    """MTH(D[size]) computed from the tiles of a tree of `size` leaves alone.

    `fetch` returns a tile's bytes (raising what it likes when it has none). Each perfect
    subtree of the frontier at height h = 8*L + r is the MTH of 2**r consecutive hashes of a
    level-L tile; the root is their right fold (RFC 6962 §2.1).
    """
    if size <= 0:
        raise ProofError("a root from tiles needs a non-empty tree")
    cache: dict[TileId, list[bytes]] = {}
    pieces = []
    for height, index in frontier_keys(size):
        level, rest = divmod(height, TILE_HEIGHT)
        first = index << rest  # index of the piece's first hash within level `level`
        count = size >> (TILE_HEIGHT * level)
        number = first // TILE_WIDTH
        width = min(TILE_WIDTH, count - number * TILE_WIDTH)
        tile = TileId(level, number, width)
        if tile not in cache:
            cache[tile] = split_hashes(fetch(tile), tile)
        offset = first % TILE_WIDTH
        pieces.append(root_from_leaf_hashes(cache[tile][offset : offset + (1 << rest)]))
    return fold_right(pieces)


class TreeTiles:
    """The hash tiles of one tree, each checked before its hashes are used (c2sp.org/tlog-tiles).

    The partial tiles are checked at once: their hashes are the tree's right frontier, whose
    fold must be the checkpoint's `root`. A full tile is checked when first used: its MTH must
    be its hash in the tile above (the top level always has a partial tile). So every hash this
    gives out is bound to `root`, and `subtree_hash` answers for any perfect subtree of the
    tree: the root of an older size (a consistency check) or a leaf hash (an entry check).
    """

    def __init__(self, fetch: Callable[[TileId], list[bytes]], size: int, root: bytes) -> None:
        self._fetch, self.size = fetch, size
        self._tiles: dict[tuple[int, int], list[bytes]] = {}

        def partial(tile: TileId) -> bytes:
            hashes = self._tiles[(int(tile.level), tile.index)] = fetch(tile)
            return b"".join(hashes)

        computed = root_from_tiles(partial, size)
        if computed != root:
            raise ProofError(
                f"tiles of size {size}: their root {computed.hex()} is not the checkpoint's "
                f"{root.hex()}"
            )

    def hashes(self, level: int, number: int) -> list[bytes]:
        """The checked hashes of tile `number` at `level` as this tree has it."""
        found = self._tiles.get((level, number))
        if found is not None:
            return found
        count = self.size >> (TILE_HEIGHT * level)
        if number >= count // TILE_WIDTH:
            raise ProofError(f"tile {level}/{number} is not a full tile of a tree of {self.size}")
        tile = TileId(level, number)
        hashes = self._fetch(tile)
        parent = self.hashes(level + 1, number // TILE_WIDTH)[number % TILE_WIDTH]
        if root_from_leaf_hashes(hashes) != parent:
            raise ProofError(f"{tile.path}: its hashes do not hash to its entry in the tile above")
        self._tiles[(level, number)] = hashes
        return hashes

    def subtree_hash(self, height: int, index: int) -> bytes:
        """MTH of the perfect subtree of 2**height leaves starting at leaf index * 2**height."""
        level, rest = divmod(height, TILE_HEIGHT)
        first = index << rest
        hashes = self.hashes(level, first // TILE_WIDTH)
        offset = first % TILE_WIDTH
        return root_from_leaf_hashes(hashes[offset : offset + (1 << rest)])

    def root_at(self, size: int) -> bytes:
        """MTH(D[size]) of a tree whose leaves are the first `size` of this one."""
        if not 0 < size <= self.size:
            raise ProofError(f"no root of size {size} in a tree of {self.size}")
        return fold_right([self.subtree_hash(h, i) for h, i in frontier_keys(size)])
