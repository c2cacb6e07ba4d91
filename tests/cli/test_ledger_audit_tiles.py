"""``python -m ledger audit`` through tiles against the live app (both engines) and against a
``traceapp ledger publish`` mirror served by Python's http.server, gzip included; a mirror
forked by rewriting its tiles and re-signing with the log key is caught."""

from __future__ import annotations

import functools
import gzip
import threading
import urllib.request
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from support.grow import append_inspections
from support.scenario import Scenario
from werkzeug.serving import make_server

from ledger.__main__ import main
from ledger.audit_state import load_state
from ledger.checkpoint import Checkpoint
from ledger.merkle import CompactRange, leaf_hash
from ledger.signing import sign_checkpoint
from ledger.tiles import TILE_WIDTH, TileId, decode_bundle, encode_bundle, tiles_for_size
from ledger.tree_store import MemoryHashStore
from traceapp.db.sessions import get_database
from traceapp.ledger_store.writer import Ledger


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """The app served over real HTTP (werkzeug, threaded), as a browser or an auditor sees it."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join(timeout=10)


class MirrorHandler(SimpleHTTPRequestHandler):
    """http.server's static files, plus what nginx's ``gzip_static`` does: ``<path>.gz`` sent
    with ``Content-Encoding: gzip`` to a client that accepts gzip."""

    seen: list[tuple[str, str | None]]

    def send_head(self) -> Any:
        self.seen.append((self.path, self.headers.get("Accept-Encoding")))
        precompressed = Path(self.translate_path(self.path) + ".gz")
        if "gzip" in (self.headers.get("Accept-Encoding") or "") and precompressed.is_file():
            body = precompressed.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return _Bytes(body)
        return super().send_head()

    def log_message(self, *_args: Any) -> None:
        pass


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, *_args: Any) -> bytes:
        data, self.data = self.data, b""
        return data

    def close(self) -> None:
        pass


@pytest.fixture
def mirror_server(tmp_path: Path) -> Iterator[tuple[Path, str, list[tuple[str, str | None]]]]:
    """A directory served by Python's http.server: (directory, URL, requests seen)."""
    directory = tmp_path / "mirror"
    directory.mkdir()
    seen: list[tuple[str, str | None]] = []
    handler = functools.partial(
        type("Handler", (MirrorHandler,), {"seen": seen}), directory=str(directory)
    )
    http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield directory, f"http://127.0.0.1:{http.server_port}", seen
    finally:
        http.shutdown()
        http.server_close()
        thread.join(timeout=10)


def audit(
    url: str, state: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str]:
    status = main(["audit", url, "--state", str(state), "--jobs", "1", *extra])
    out, err = capsys.readouterr()
    assert err == "" or status != 0, err
    return status, out


def publish(app: Flask, directory: Path, *extra: str) -> None:
    result = app.test_cli_runner().invoke(args=["ledger", "publish", str(directory), *extra])
    assert result.exit_code == 0, result.output


def test_audit_of_the_live_app_through_its_tiles(
    app: Flask,
    ledger: Ledger,
    scenario: Scenario,
    live_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    database = get_database(app)
    append_inspections(database, ledger, scenario, 300)
    state = tmp_path / "audit.json"
    status, out = audit(live_url, state, capsys, "--vkey", ledger.log.vkey, "--entries")
    assert status == 0, out
    size = load_state(state).checkpoint.split("\n")[1]  # type: ignore[union-attr]
    assert out.startswith(f"OK: {size} entries ({size} new), every entry verified")
    append_inspections(database, ledger, scenario, 300, first=300)
    status, out = audit(live_url + "/ledger", state, capsys, "--entries")
    assert status == 0, out
    saved = load_state(state)
    assert saved is not None and saved.entries is not None
    assert saved.entries.size > 512 and f"checkpoint size {saved.entries.size}," in out


def test_the_app_gzips_entry_bundles_for_clients_that_accept_it(
    app: Flask, ledger: Ledger, scenario: Scenario, live_url: str
) -> None:
    append_inspections(get_database(app), ledger, scenario, 300)
    url = f"{live_url}/ledger/tile/entries/000"
    with urllib.request.urlopen(url) as plain:  # urllib sends no Accept-Encoding
        assert plain.headers["Content-Encoding"] is None
        assert "Accept-Encoding" in plain.headers["Vary"]
        body = plain.read()
    assert len(decode_bundle(body)) == TILE_WIDTH
    for _ in range(2):  # computed, then from the cache of full bundles
        request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, identity"})
        with urllib.request.urlopen(request) as packed:
            assert packed.headers["Content-Encoding"] == "gzip"
            zipped = packed.read()
        assert gzip.decompress(zipped) == body and len(zipped) < len(body) / 2
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip;q=0, identity"})
    with urllib.request.urlopen(request) as refused:
        assert refused.headers["Content-Encoding"] is None and refused.read() == body
    hashes = urllib.request.Request(
        f"{live_url}/ledger/tile/0/000", headers={"Accept-Encoding": "gzip"}
    )
    with urllib.request.urlopen(hashes) as tile:  # random bytes: not compressed
        assert tile.headers["Content-Encoding"] is None and len(tile.read()) == 8192


def test_audit_of_a_published_mirror_over_http_and_from_its_directory(
    app: Flask,
    ledger: Ledger,
    scenario: Scenario,
    mirror_server: tuple[Path, str, list[tuple[str, str | None]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    directory, url, seen = mirror_server
    database = get_database(app)
    append_inspections(database, ledger, scenario, 300)
    publish(app, directory, "--gzip")
    assert (directory / "vkey").read_text() == ledger.log.vkey + "\n"
    bundles = sorted(directory.glob("tile/entries/**/*.gz"))
    assert [p.relative_to(directory).as_posix() for p in bundles] == [
        "tile/entries/000.gz",
        f"tile/entries/001.p/{len(_entries(directory)) - 256}.gz",
    ]
    for packed in bundles:
        assert gzip.decompress(packed.read_bytes()) == packed.with_suffix("").read_bytes()
    assert not list(directory.glob("tile/0/**/*.gz"))  # hash tiles stay as they are

    state = tmp_path / "http.json"
    status, out = audit(url, state, capsys, "--trust-embedded-key", "--entries")
    assert status == 0, out
    assert out.splitlines()[0] == f"trusting the key served by {url}/vkey: {ledger.log.vkey}"
    gzipped = [path for path, accepted in seen if "/entries/" in path]
    assert gzipped and all(accepted == "gzip, identity" for _p, accepted in seen)

    append_inspections(database, ledger, scenario, 300, first=300)
    publish(app, directory, "--gzip")
    status, out = audit(url, state, capsys, "--entries")
    assert status == 0, out
    local = tmp_path / "local.json"
    status, out = audit(str(directory), local, capsys, "--vkey", ledger.log.vkey, "--entries")
    assert status == 0, out
    status, out = audit(directory.as_uri(), local, capsys)
    assert status == 0 and "(0 new)" in out


def _entries(directory: Path) -> list[bytes]:
    size = int((directory / "checkpoint").read_text().split("\n")[1])
    entries: list[bytes] = []
    for number in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        width = min(TILE_WIDTH, size - number * TILE_WIDTH)
        entries += decode_bundle((directory / TileId("entries", number, width).path).read_bytes())
    return entries


def fork_mirror(directory: Path, ledger: Ledger, rewrite: int, extra: int = 0) -> str:
    """Rewrite entry `rewrite` of the mirror (and add `extra` entries), rebuild every tile and
    bundle from the entries, and sign the new checkpoint with the log key: a mirror that a
    reader of its files alone cannot tell from the real one. Returns the new checkpoint."""
    entries = _entries(directory)
    entries[rewrite] = entries[rewrite].replace(b"inspecting", b"inspectinG")
    entries += [b'{"forged": %d}' % n for n in range(extra)]
    store, compact = MemoryHashStore(), CompactRange()
    for entry in entries:
        store.put_many(compact.append(leaf_hash(entry)))
    size = len(entries)
    for tile in tiles_for_size(size):
        start = tile.index * TILE_WIDTH
        hashes = (store.get(tile.hash_level, i) for i in range(start, start + tile.width))
        (directory / tile.path).parent.mkdir(parents=True, exist_ok=True)
        (directory / tile.path).write_bytes(b"".join(hashes))
    for number in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        bundle = TileId("entries", number, min(TILE_WIDTH, size - number * TILE_WIDTH))
        start = number * TILE_WIDTH
        (directory / bundle.path).parent.mkdir(parents=True, exist_ok=True)
        (directory / bundle.path).write_bytes(encode_bundle(entries[start : start + bundle.width]))
    note = sign_checkpoint(Checkpoint(ledger.origin, size, compact.root()), ledger.log.signer)
    (directory / "checkpoint").write_text(note)
    return note


@pytest.mark.parametrize("extra", [0, 40], ids=["same-size", "grown"])
def test_a_forked_mirror_is_caught(
    app: Flask,
    ledger: Ledger,
    scenario: Scenario,
    mirror_server: tuple[Path, str, list[tuple[str, str | None]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: int,
) -> None:
    directory, url, _seen = mirror_server
    append_inspections(get_database(app), ledger, scenario, 300)
    publish(app, directory)
    state = tmp_path / "audit.json"
    assert audit(url, state, capsys, "--vkey", ledger.log.vkey)[0] == 0
    accepted = state.read_bytes()
    old_size = int((directory / "checkpoint").read_text().split("\n")[1])

    fork_mirror(directory, ledger, rewrite=100, extra=extra)
    fresh = tmp_path / "fresh.json"  # a newcomer sees a consistent, validly signed mirror
    assert audit(url, fresh, capsys, "--vkey", ledger.log.vkey)[0] == 0
    status, out = audit(url, state, capsys)
    assert status == 1 and out.count("\n") == 1
    if extra:
        assert out.startswith(
            f"FAIL: fork: the tree of size {old_size + extra} does not extend the one audited "
            f"before: its first {old_size} leaves hash to "
        )
    else:
        assert out.startswith(f"FAIL: fork: checkpoint root at size {old_size}: expected ")
    assert "evidence written to " in out
    assert state.read_bytes() == accepted
    # The entries themselves were rewritten too: with --entries the newcomer's audit fails.
    status, out = audit(
        url, tmp_path / "entries.json", capsys, "--vkey", ledger.log.vkey, "--entries"
    )
    assert status == 1 and out.startswith("FAIL: entry 100: ")
