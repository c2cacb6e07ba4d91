"""ledger.audit: `python -m ledger audit` reading a log through its tlog-tiles (§7.1), served
here by a test server from a SampleLog (the live app and a published mirror:
tests/cli/test_ledger_audit_tiles.py)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from ledger_support import PRODUCER, PRODUCER_2, SampleLog, make_signer, standard_log

from ledger.__main__ import main
from ledger.audit import EVIDENCE_TYPE, load_state
from ledger.cosignature import CosignatureSigner, cosign
from ledger.errors import FormatError
from ledger.keys import b64encode
from ledger.tiles import TILE_WIDTH, encode_bundle, parse_tile_path, tile_in_tree

ROOT = Path(__file__).resolve().parents[2]
SERVER_LIFETIME = 120.0
"""The test server shuts itself down after this many seconds, whatever happens."""


def tile_bytes(log: SampleLog, path: str, entry_override: dict[int, bytes]) -> bytes | None:
    """A SampleLog's tile or entry bundle at `path` (below tile/), None beyond its tree."""
    try:
        tile = parse_tile_path(path)
    except FormatError:
        return None
    if not tile_in_tree(tile, log.size):
        return None
    start = tile.index * TILE_WIDTH
    indexes = range(start, start + tile.width)
    if tile.level == "entries":
        return encode_bundle(entry_override.get(i, log.entries[i]) for i in indexes)
    return b"".join(log.store.get(tile.hash_level, i) for i in indexes)


class LedgerServer:
    """Serves a SampleLog's checkpoint, vkey and tiles below /ledger (DESIGN §7.1); entry
    bundles gzipped to clients that accept it, as tlog-tiles recommends."""

    def __init__(self, log: SampleLog) -> None:
        self.log = log
        self.served_vkey: str | None = None
        self.paths: list[str] = []
        self.accept_encodings: list[str | None] = []
        self.entry_override: dict[int, bytes] = {}
        self.cosigners: list[CosignatureSigner] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.paths.append(self.path)
                accepted = self.headers.get("Accept-Encoding")
                server.accept_encodings.append(accepted)
                status, content_type, body = server.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                if "/tile/entries/" in self.path and status == 200 and "gzip" in (accepted or ""):
                    body = gzip.compress(body)
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.timeout = 5
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._deadline = threading.Timer(SERVER_LIFETIME, self.httpd.shutdown)

    def __enter__(self) -> LedgerServer:
        self._thread.start()
        self._deadline.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._deadline.cancel()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    def answer(self, path: str) -> tuple[int, str, bytes]:
        route = urlsplit(path).path
        if route == "/ledger/checkpoint":
            note = self.log.checkpoint()
            for cosigner in self.cosigners:
                note = cosign(note, cosigner)
            return 200, "text/plain; charset=utf-8", note.encode()
        if route == "/ledger/vkey":
            return 200, "text/plain; charset=utf-8", (self.served_vkey or self.log.vkey).encode()
        if route.startswith("/ledger/tile/"):
            data = tile_bytes(self.log, route.removeprefix("/ledger/tile/"), self.entry_override)
            if data is not None:
                return 200, "application/octet-stream", data
        return 404, "text/plain", b"not found"


@pytest.fixture
def served() -> Iterator[LedgerServer]:
    with LedgerServer(standard_log()) as server:
        yield server


def run_audit(
    server: LedgerServer, state: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    status = main(["audit", server.url, "--state", str(state), "--jobs", "1", *extra])
    out, err = capsys.readouterr()
    return status, out, err


def first_audit(
    server: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> Path:
    state = tmp_path / "audit.json"
    status, out, _ = run_audit(server, state, capsys, "--vkey", server.log.vkey, *extra)
    assert status == 0, out
    return state


def bundle_paths(server: LedgerServer) -> list[str]:
    return [p for p in server.paths if p.startswith("/ledger/tile/entries/")]


def test_first_audit_pins_the_key_and_verifies_everything(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = first_audit(served, tmp_path, capsys, "--entries")
    saved = load_state(state)
    assert saved is not None
    assert saved.vkey == served.log.vkey and saved.checkpoint == served.log.checkpoint()
    assert saved.entries is not None and saved.entries.size == served.log.size
    assert bundle_paths(served) == ["/ledger/tile/entries/000.p/10"]
    assert "/ledger/tile/0/000.p/10" in served.paths
    # tlog-tiles: clients SHOULD include gzip and identity; the bundle came gzipped.
    assert set(served.accept_encodings) == {"gzip, identity"}


def test_the_summary_line(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "audit.json"
    status, out, err = run_audit(served, state, capsys, "--vkey", served.log.vkey)
    size, root = served.log.size, b64encode(served.log.root())
    assert (status, out, err) == (
        0,
        f"OK: {size} entries ({size} new), tiles verified, entries not read (--entries), "
        f"checkpoint size {size}, root {root}\n",
        "",
    )
    assert bundle_paths(served) == []
    status, out, err = run_audit(served, state, capsys, "--entries")
    assert (status, err) == (0, "")
    assert (
        out
        == f"OK: {size} entries (0 new), every entry verified, checkpoint size {size}, root {root}\n"
    )


def test_a_second_audit_reads_only_new_entries_and_checks_consistency_from_tiles(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = first_audit(served, tmp_path, capsys, "--entries")
    served.log.record(PRODUCER)
    served.log.revoke(PRODUCER_2)
    served.log.record(PRODUCER)
    served.paths.clear()
    status, out, _ = run_audit(served, state, capsys, "--entries")
    assert status == 0, out
    assert "(3 new)" in out
    assert not [p for p in served.paths if p.startswith(("/ledger/entries/", "/ledger/proof/"))]
    assert bundle_paths(served) == ["/ledger/tile/entries/000.p/13"]
    saved = load_state(state)
    assert saved is not None and saved.entries is not None
    assert saved.entries.size == served.log.size
    # the trust chain is carried over: PRODUCER_2's revocation holds in the next audit
    served.log.record(PRODUCER_2)
    status, out, _ = run_audit(served, state, capsys, "--entries")
    assert status == 1
    assert out.startswith(f"FAIL: entry {served.log.size - 1}: trust chain: ")
    assert "was revoked by entry" in out


def test_entries_are_verified_from_where_they_were_last_verified(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = first_audit(served, tmp_path, capsys)  # tiles only
    served.log.record(PRODUCER)
    assert run_audit(served, state, capsys)[0] == 0
    saved = load_state(state)
    assert saved is not None and saved.entries is None
    status, out, _ = run_audit(served, state, capsys, "--entries")
    assert (status, "every entry verified" in out) == (0, True)
    saved = load_state(state)
    assert saved is not None and saved.entries is not None
    assert saved.entries.size == served.log.size


def test_an_unchanged_log_audits_again_reading_the_checkpoint_and_its_tile(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = first_audit(served, tmp_path, capsys)
    served.paths.clear()
    status, out, _ = run_audit(served, state, capsys)
    assert status == 0 and "(0 new)" in out
    # the base URL is not the prefix: /checkpoint is a 4xx, /ledger/checkpoint the checkpoint
    assert served.paths == ["/checkpoint", "/ledger/checkpoint", "/ledger/tile/0/000.p/10"]
    served.paths.clear()
    status = main(["audit", served.url + "/ledger/", "--state", str(state)])
    assert status == 0 and served.paths == ["/ledger/checkpoint", "/ledger/tile/0/000.p/10"]


def read_evidence(out: str) -> dict[str, Any]:
    assert out.count("\n") == 1 and out.startswith("FAIL: ")
    path = Path(out.rstrip("\n").rsplit("evidence written to ", 1)[1])
    evidence = json.loads(path.read_text())
    assert evidence["type"] == EVIDENCE_TYPE
    return evidence


def test_a_fork_is_detected_from_the_tiles_and_evidence_written(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = first_audit(served, tmp_path, capsys)
    accepted = state.read_bytes()
    old_checkpoint = served.log.checkpoint()
    forked = served.log.rewritten(5, {"eventID": "rewritten", "quantity": 1})
    forked.record(PRODUCER)
    served.log = forked
    status, out, _ = run_audit(served, state, capsys)
    assert status == 1
    assert out.startswith(
        "FAIL: fork: the tree of size 11 does not extend the one audited before: its first 10 "
        f"leaves hash to {b64encode(forked.root(10))}, expected"
    )
    evidence = read_evidence(out)
    assert evidence["old_checkpoint"] == old_checkpoint
    assert evidence["new_checkpoint"] == forked.checkpoint()
    assert evidence["old_size_root_from_new_tiles"] == b64encode(forked.root(10))
    assert evidence["vkey"] == forked.vkey and evidence["url"] == served.url + "/ledger"
    assert Path(out.rsplit(" ", 1)[1].strip()).parent == state.parent
    assert state.read_bytes() == accepted  # the state is not moved on


def test_a_fork_at_the_same_size_is_detected(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = first_audit(served, tmp_path, capsys)
    served.log = served.log.rewritten(7, {"eventID": "rewritten"})
    status, out, _ = run_audit(served, state, capsys)
    assert status == 1
    assert out.startswith("FAIL: fork: checkpoint root at size 10: expected ")
    assert read_evidence(out)["old_size_root_from_new_tiles"] == b64encode(served.log.root())


def test_a_rollback_is_detected(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served.log.record(PRODUCER)
    state = first_audit(served, tmp_path, capsys)
    served.log = standard_log()  # the same history, one entry shorter
    status, out, _ = run_audit(served, state, capsys)
    assert status == 1
    assert out.startswith(
        "FAIL: rollback: checkpoint size: expected at least 11 (audited before), found 10"
    )
    assert read_evidence(out)["new_checkpoint"] == served.log.checkpoint()


def test_an_entry_that_is_not_in_its_tile_fails(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served.entry_override[6] = served.log.entries[6].replace(b"shipping", b"shippinX")
    status, out, _ = run_audit(served, tmp_path / "s.json", capsys, "--vkey", served.log.vkey)
    assert status == 0  # without --entries the bundles are not read
    status, out, _ = run_audit(served, tmp_path / "s.json", capsys, "--entries")
    assert (status, out.split(": ")[:3]) == (1, ["FAIL", "entry 6", "leaf hash"])
    assert "tile/entries/000.p/10" in out


def test_tiles_that_do_not_hash_to_the_checkpoint_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = standard_log()
    while log.size < 600:  # full level-0 tiles, a level-1 tile
        log.record(PRODUCER)
    with LedgerServer(log) as server:
        state = first_audit(server, tmp_path, capsys, "--entries")
        log.record(PRODUCER)
        real = server.answer

        def tampered(path: str) -> tuple[int, str, bytes]:
            status, kind, body = real(path)
            if path == "/ledger/tile/0/001":
                body = body[:32] + bytes(32) + body[64:]
            return status, kind, body

        server.answer = tampered  # type: ignore[method-assign]
        status, out, _ = run_audit(server, state, capsys)
        assert status == 0, out  # the consistency check uses tiles 0/002.p and 1/000.p only
        log.record(PRODUCER)
        status, out, _ = run_audit(server, state, capsys, "--entries")
        assert status == 0, out  # entries from 600 on: tile 0/002.p
        (tmp_path / "audit.json").unlink()
        status, out, _ = run_audit(server, state, capsys, "--vkey", log.vkey, "--entries")
    assert status == 1
    assert out == "FAIL: tile/0/001: its hashes do not hash to its entry in the tile above\n"


def test_the_first_audit_needs_a_vkey(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_audit(served, tmp_path / "s.json", capsys)
    assert (status, out) == (2, "")
    assert "the first audit needs the log's vkey (--vkey)" in err
    status, out, err = run_audit(served, tmp_path / "s.json", capsys, "--vkey", "no-vkey")
    assert (status, out) == (2, "") and err.startswith("error: --vkey: vkey 'no-vkey'")


def test_the_pinned_vkey_wins_over_the_server_and_the_command_line(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = first_audit(served, tmp_path, capsys)
    other = make_signer(served.log.origin, 70).verifier.vkey
    status, _, err = run_audit(served, state, capsys, "--vkey", other)
    assert status == 2 and "differs from" in err
    served.served_vkey = other  # what the log says its key is does not matter once pinned
    served.paths.clear()
    assert run_audit(served, state, capsys)[0] == 0
    assert "/ledger/vkey" not in served.paths
    served.log = SampleLog(log_key=make_signer(served.log.origin, 70))
    status, out, _ = run_audit(served, state, capsys)
    assert status == 1 and out.startswith("FAIL: note has no verifiable signatures")


def test_a_log_signed_by_another_key_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    genuine = SampleLog()
    impostor = make_signer(genuine.origin, 71)
    with LedgerServer(SampleLog(log_key=impostor)) as server:
        server.served_vkey = genuine.vkey  # it even claims the genuine key
        status, out, _ = run_audit(server, tmp_path / "s.json", capsys, "--vkey", genuine.vkey)
    assert status == 1 and out.startswith("FAIL: note has no verifiable signatures")


def test_an_unreachable_server_is_exit_2(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = served.url
    served.__exit__(None, None, None)
    status = main(["audit", url, "--state", str(tmp_path / "s.json"), "--vkey", served.log.vkey])
    _, err = capsys.readouterr()
    assert status == 2 and err.startswith(f"error: GET {url}/checkpoint: ")


def test_a_missing_tile_is_exit_2(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served.answer = lambda path: (  # type: ignore[method-assign]
        (404, "text/plain", b"gone") if "/tile/" in path else LedgerServer.answer(served, path)
    )
    status, out, err = run_audit(served, tmp_path / "s.json", capsys, "--vkey", served.log.vkey)
    assert (status, out) == (2, "")
    assert err == f"error: GET {served.url}/ledger/tile/0/000.p/10: HTTP 404 Not Found\n"


def test_a_malformed_state_file_is_exit_2(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = first_audit(served, tmp_path, capsys, "--entries")
    saved = json.loads(state.read_text())
    frontier = saved["entries"]["frontier"]
    saved["entries"]["frontier"] = frontier[1:] + frontier[:1]
    state.write_text(json.dumps(saved))
    status, _, err = run_audit(served, state, capsys)
    assert status == 2 and "is malformed" in err


def test_a_version_1_state_file_is_still_read(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = first_audit(served, tmp_path, capsys, "--entries")
    saved = json.loads(state.read_text())
    version_1 = {
        "type": "ocop-ledger-audit-state/v1",
        "vkey": saved["vkey"],
        "checkpoint": saved["checkpoint"],
        **saved["entries"],
    }
    state.write_text(json.dumps(version_1))
    served.log.record(PRODUCER)
    status, out, _ = run_audit(served, state, capsys, "--entries")
    assert (status, "(1 new), every entry verified" in out) == (0, True)
    assert json.loads(state.read_text())["type"] == "ocop-ledger-audit-state/v2"


def test_audit_as_a_subprocess(served: LedgerServer, tmp_path: Path) -> None:
    state = tmp_path / "audit.json"
    command = [sys.executable, "-m", "ledger", "audit", served.url, "--state", str(state)]
    first = subprocess.run(
        [*command, "--vkey", served.log.vkey, "--entries"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout.startswith(f"OK: {served.log.size} entries ({served.log.size} new)")
    served.log = served.log.rewritten(4, {"eventID": "rewritten"})
    forked = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert forked.returncode == 1
    assert forked.stdout.startswith("FAIL: fork: ") and forked.stdout.count("\n") == 1


def test_the_first_audit_may_trust_the_served_key_and_says_so(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "s.json"
    status, out, _ = run_audit(served, state, capsys, "--trust-embedded-key")
    assert status == 0
    trusting, summary = out.splitlines()
    assert trusting == f"trusting the key served by {served.url}/ledger/vkey: {served.log.vkey}"
    assert summary.startswith("OK: ")
    saved = load_state(state)
    assert saved is not None and saved.vkey == served.log.vkey
    status, out, _ = run_audit(served, state, capsys)  # pinned from now on: nothing to say
    assert status == 0 and out.startswith("OK: ")


WITNESS_TIME = 1_700_000_000


def witness_signer(name: str, seed: int) -> CosignatureSigner:
    key = Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
    return CosignatureSigner(name, key, lambda: WITNESS_TIME)


def test_witness_cosignatures_are_required_when_asked_and_recorded(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    witness = witness_signer("witness.example", 0)
    other = witness_signer("other-witness.example", 9)
    state = tmp_path / "s.json"
    args = ["--vkey", served.log.vkey, "--witness", witness.verifier.vkey]
    status, out, _ = run_audit(served, state, capsys, *args)
    assert status == 1 and out.startswith("FAIL: checkpoint cosignatures: expected at least 1")
    assert not state.exists()
    served.cosigners += [witness, other]
    status, out, _ = run_audit(served, state, capsys, *args)
    assert status == 0, out
    size = served.log.size
    assert out.splitlines()[:2] == [
        f"witness witness.example ({witness.verifier.vkey}): cosigned size {size} "
        f"(verified, time {WITNESS_TIME})",
        f"witness other-witness.example ({other.verifier.key_id.hex()}): cosigned size {size} "
        "(not checked)",
    ]
    saved = load_state(state)
    assert saved is not None
    recorded = {w.name: (w.key, w.verified, w.size, w.root, w.timestamp) for w in saved.witnesses}
    root = b64encode(served.log.root())
    assert recorded == {
        "witness.example": (witness.verifier.vkey, True, size, root, WITNESS_TIME),
        "other-witness.example": (other.verifier.key_id.hex(), False, size, root, None),
    }
    # A witness not seen this time keeps what it cosigned last.
    served.cosigners = [witness]
    served.log.record(PRODUCER)
    assert run_audit(served, state, capsys)[0] == 0
    saved = load_state(state)
    assert saved is not None
    assert {w.name: w.size for w in saved.witnesses} == {
        "witness.example": size + 1,
        "other-witness.example": size,
    }
