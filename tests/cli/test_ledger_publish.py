"""``traceapp ledger publish DIR``: a static tlog-tiles mirror, checked from its files alone,
and read by tlog-scales, an independent tlog-tiles reader (PyPI, a dev dependency)."""

from __future__ import annotations

import gzip
import importlib
from pathlib import Path

import pytest
from flask import Flask
from support.grow import append_inspections
from support.scenario import Scenario

from ledger.checkpoint import open_checkpoint
from ledger.keys import Verifier
from ledger.merkle import leaf_hash
from ledger.tiles import TileId, decode_bundle, root_from_tiles, split_hashes, tiles_for_size
from traceapp.db.sessions import get_database
from traceapp.ledger_store import publish as publishing
from traceapp.ledger_store.writer import Ledger

# A dev dependency: a missing install must fail, never skip the third-party check.
tlog_backend = importlib.import_module("tlog_scales.backend")
tlog_reader = importlib.import_module("tlog_scales.reader")
tlog = importlib.import_module("tlog_scales.tlog")
tlog_signing = importlib.import_module("tlog_scales.signing")


def _publish(app: Flask, directory: Path, *extra: str) -> str:
    result = app.test_cli_runner().invoke(args=["ledger", "publish", str(directory), *extra])
    assert result.exit_code == 0, result.output
    return result.stdout


def check_mirror(directory: Path, vkey: str) -> list[bytes]:
    """Verify the mirror reading only its files (and the pinned log key); return its entries."""
    checkpoint = open_checkpoint(
        (directory / "checkpoint").read_text("utf-8"), Verifier.from_vkey(vkey)
    )
    size = checkpoint.size

    def fetch(tile: TileId) -> bytes:
        return (directory / tile.path).read_bytes()

    assert root_from_tiles(fetch, size) == checkpoint.root_hash
    entries: list[bytes] = []
    for number in range((size + 255) // 256):
        width = min(256, size - number * 256)
        tile = TileId(0, number, width)
        bundle = decode_bundle(fetch(TileId("entries", number, width)))
        assert [leaf_hash(e) for e in bundle] == split_hashes(fetch(tile), tile)
        entries.extend(bundle)
    assert len(entries) == size
    for index, entry in enumerate(entries):
        assert f'"seq":{index},'.encode() in entry
    return entries


def check_with_tlog_scales(directory: Path, vkey: str, entries: list[bytes]) -> None:
    reader = tlog_reader.TilesReader(tlog_backend.LocalBackend(directory))
    checkpoint = reader.get_checkpoint()
    checkpoint.verify(tlog_signing.Vkey.from_string(vkey))
    assert checkpoint.size == len(entries)
    root = reader.calculate_root_hash()
    assert root == checkpoint.root_hash
    for index in (0, 1, 255, 256, len(entries) - 1):
        assert reader.get_entry(index) == entries[index]
        proof = reader.get_inclusion_proof(index, checkpoint.size)
        tlog.InclusionProof(index, checkpoint.size, proof.node_hashes).check(
            leaf_hash(entries[index]), root
        )


def test_publish_writes_a_mirror_that_verifies_and_grows_incrementally(
    app: Flask, ledger: Ledger, scenario: Scenario, tmp_path: Path
) -> None:
    database = get_database(app)
    append_inspections(database, ledger, scenario, 300)
    mirror = tmp_path / "mirror"
    output = _publish(app, mirror)
    entries = check_mirror(mirror, ledger.log.vkey)
    size = len(entries)
    assert 256 < size < 512
    assert output.startswith(f"published checkpoint {size} to {mirror}: ")
    check_with_tlog_scales(mirror, ledger.log.vkey, entries)
    full = mirror / "tile" / "0" / "000"
    before = full.stat()
    first_partial = mirror / f"tile/0/001.p/{size - 256}"
    assert first_partial.exists()

    assert _publish(app, mirror) == ""  # nothing new: nothing written, nothing said

    append_inspections(database, ledger, scenario, 300, first=300)
    output = _publish(app, mirror)
    grown = check_mirror(mirror, ledger.log.vkey)
    assert grown[:size] == entries and len(grown) > 512
    check_with_tlog_scales(mirror, ledger.log.vkey, grown)
    # Full tiles are never rewritten; the old partial tile stays for readers of the old size.
    after = full.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert first_partial.exists()
    new_tiles = {t.path for t in tiles_for_size(len(grown))} - {
        t.path for t in tiles_for_size(size)
    }
    assert f"{len(new_tiles) + 2} tiles and entry bundles written" in output  # 001 and 002.p
    assert list((mirror / ".publishing").iterdir()) == []


def test_the_checkpoint_is_written_last(
    app: Flask, ledger: Ledger, scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[str] = []
    real = publishing.write_atomically

    def record(path: Path, data: bytes, scratch: Path) -> None:
        written.append(path.relative_to(tmp_path).as_posix())
        real(path, data, scratch)

    monkeypatch.setattr(publishing, "write_atomically", record)
    _publish(app, tmp_path)
    assert written[-2:] == ["vkey", "checkpoint"] and written.count("checkpoint") == 1
    assert len(written) > 3 and all(path.startswith("tile/") for path in written[:-2])


def test_watch_publishes_until_interrupted(
    app: Flask, scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("time.sleep", sleep)
    result = app.test_cli_runner().invoke(args=["ledger", "publish", str(tmp_path), "--watch", "5"])
    assert result.exit_code == 0, result.output
    assert sleeps == [5, 5]
    assert result.stdout.count("published checkpoint") == 1  # the log did not grow meanwhile
    assert (tmp_path / "checkpoint").exists()


def test_gzip_adds_precompressed_bundles_to_an_existing_mirror(
    app: Flask, ledger: Ledger, scenario: Scenario, tmp_path: Path
) -> None:
    append_inspections(get_database(app), ledger, scenario, 300)
    _publish(app, tmp_path)
    bundles = sorted(p for p in tmp_path.glob("tile/entries/**/*") if p.is_file())
    assert len(bundles) == 2 and not list(tmp_path.glob("**/*.gz"))
    before = {p: p.stat().st_mtime_ns for p in bundles}
    output = _publish(app, tmp_path, "--gzip")
    assert "2 tiles and entry bundles written" in output
    for bundle in bundles:
        packed = bundle.with_name(bundle.name + ".gz").read_bytes()
        assert gzip.decompress(packed) == bundle.read_bytes()
        assert packed == publishing.compressed(bundle.read_bytes())  # the same bytes every run
        assert bundle.stat().st_mtime_ns == before[bundle]  # the bundle itself is kept
    assert _publish(app, tmp_path, "--gzip") == ""
    check_mirror(tmp_path, ledger.log.vkey)
