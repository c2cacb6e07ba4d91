"""A static tlog-tiles mirror of the log in a directory (``traceapp ledger publish DIR``).

The files have the paths of the HTTP API below ``/ledger`` (``checkpoint``, ``tile/<L>/<N>``,
``tile/entries/<N>``, partial ones with ``.p/<W>``), so any static file server or object store
serves the log. Incremental: a file already there is never rewritten (a tile's bytes never
change, full or partial), so a run writes only the tiles the log grew since the last one. Each
file is written in ``DIR/.publishing/`` and renamed into place; the checkpoint goes last, so a
reader never sees a checkpoint whose tiles are missing. With ``gzip``, each entry bundle also gets
a precompressed ``<path>.gz`` beside it (tlog-tiles: entry bundles SHOULD be compressed at the
HTTP layer), which nginx's ``gzip_static``, Caddy's ``precompressed`` or an object store's
``Content-Encoding: gzip`` serve to clients asking for gzip (docs/operations.md); hash tiles
are random bytes and get none. The ``vkey`` file is the log's key, as ``/ledger/vkey`` serves it.
"""

from __future__ import annotations

import gzip as gzip_format
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from ledger.tiles import TILE_WIDTH, TileId, tiles_for_size
from traceapp.ledger_store import reads
from traceapp.ledger_store.tiles import entry_bundles, hash_tiles

Progress = Callable[[int, int], None]
"""``progress(written, to_write)`` after each file."""


@dataclass(frozen=True)
class Published:
    size: int
    written: int
    """Tiles and entry bundles written by this run."""
    kept: int
    """Tiles and entry bundles already there, left as they were."""
    checkpoint_changed: bool


SCRATCH = ".publishing"
"""Folder of DIR where files are written before being renamed into place: never synced."""


def write_atomically(path: Path, data: bytes, scratch: Path) -> None:
    """Write `data` to a file in `scratch` (on the same file system), then rename it to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = scratch / f"{os.getpid()}-{path.name}"
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def publish(
    session: Session,
    origin: str,
    directory: Path,
    progress: Progress | None = None,
    note: str | None = None,
    *,
    vkey: str | None = None,
    gzip: bool = False,
) -> Published:
    """Bring the mirror in `directory` up to a checkpoint; see the module docstring.

    ``note`` is the checkpoint to publish as ``/ledger/checkpoint`` serves it (cosigned, when
    witnesses are configured; it may be older than the latest); by default the latest as the log
    signed it. ``vkey`` is written to ``vkey`` (when it changed). Everything is read in the caller's session, which should be a snapshot: the tiles
    of the checkpoint's size, whatever is appended meanwhile.
    """
    if note is None:
        note = reads.latest_checkpoint(session, origin).note
    size = int(note.split("\n")[1])  # tlog-checkpoint: origin, size, root hash, then signatures
    wanted = [*tiles_for_size(size), *_bundles_for_size(size)]
    missing = [tile for tile in wanted if not _complete(directory, tile, gzip)]
    scratch = directory / SCRATCH
    scratch.mkdir(parents=True, exist_ok=True)
    for stale in scratch.iterdir():  # left by a run that was killed
        stale.unlink()
    written = 0
    for tile, data in _read(session, origin, size, missing):
        path = directory / tile.path
        if not path.exists():
            write_atomically(path, data, scratch)
        if gzip and tile.level == "entries":
            write_atomically(path.with_name(path.name + ".gz"), compressed(data), scratch)
        written += 1
        if progress is not None:
            progress(written, len(missing))
    if vkey is not None:
        vkey_path = directory / "vkey"
        if not vkey_path.exists() or vkey_path.read_text("utf-8") != vkey + "\n":
            write_atomically(vkey_path, (vkey + "\n").encode("utf-8"), scratch)
    checkpoint_path = directory / "checkpoint"
    changed = not checkpoint_path.exists() or checkpoint_path.read_text("utf-8") != note
    if changed:
        write_atomically(checkpoint_path, note.encode("utf-8"), scratch)
    return Published(size, written, len(wanted) - len(missing), changed)


def compressed(data: bytes) -> bytes:
    """gzip of `data`, the same bytes on every run (no file name, time 0)."""
    return gzip_format.compress(data, compresslevel=9, mtime=0)


def _complete(directory: Path, tile: TileId, gzip: bool) -> bool:
    path = directory / tile.path
    if gzip and tile.level == "entries" and not path.with_name(path.name + ".gz").exists():
        return False
    return path.exists()


def _bundles_for_size(size: int) -> Iterator[TileId]:
    yield from (TileId("entries", n) for n in range(size // TILE_WIDTH))
    if size % TILE_WIDTH:
        yield TileId("entries", size // TILE_WIDTH, size % TILE_WIDTH)


def _read(
    session: Session, origin: str, size: int, missing: list[TileId]
) -> Iterator[tuple[TileId, bytes]]:
    """The missing tiles' bytes, each level read in key ranges from its first missing tile."""
    wanted = set(missing)
    levels: dict[int | str, int] = {}
    for tile in missing:
        levels[tile.level] = min(levels.get(tile.level, tile.index), tile.index)
    for level, first in levels.items():
        if level == "entries":
            tiles = entry_bundles(session, origin, first, size)
        else:
            assert isinstance(level, int)
            tiles = hash_tiles(session, origin, level, first, size)
        for tile, data in tiles:
            if tile in wanted:
                yield tile, data
