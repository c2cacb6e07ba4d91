"""ledger.audit: `python -m ledger audit` against a log served over the §7 HTTP API."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from ledger_support import PRODUCER, PRODUCER_2, SampleLog, make_signer, standard_log

from ledger.__main__ import main
from ledger.audit import EVIDENCE_TYPE, load_state
from ledger.cosignature import CosignatureSigner, cosign
from ledger.keys import b64encode
from ledger.merkle import leaf_hash
from ledger.tree_store import consistency_proof

ROOT = Path(__file__).resolve().parents[2]
SERVER_LIFETIME = 120.0
"""The test server shuts itself down after this many seconds, whatever happens."""


class LedgerServer:
    """Serves a SampleLog's checkpoint, vkey, entries and consistency proofs (DESIGN §7)."""

    def __init__(self, log: SampleLog) -> None:
        self.log = log
        self.served_vkey: str | None = None
        self.paths: list[str] = []
        self.entry_override: dict[int, bytes] = {}
        self.cosigners: list[CosignatureSigner] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.paths.append(self.path)
                status, content_type, body = server.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
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
        parts = urlsplit(path)
        route = parts.path
        if route == "/ledger/checkpoint":
            note = self.log.checkpoint()
            for cosigner in self.cosigners:
                note = cosign(note, cosigner)
            return 200, "text/plain; charset=utf-8", note.encode()
        if route == "/ledger/vkey":
            return 200, "text/plain; charset=utf-8", (self.served_vkey or self.log.vkey).encode()
        if route.startswith("/ledger/entries/"):
            index = int(route.rsplit("/", 1)[1])
            if index >= self.log.size:
                return 404, "text/plain", b"no such entry"
            data = self.entry_override.get(index, self.log.entries[index])
            answer = {"index": index, "entry": b64encode(data), "leaf": b64encode(leaf_hash(data))}
            return 200, "application/json", json.dumps(answer).encode()
        if route == "/ledger/proof/consistency":
            query = parse_qs(parts.query)
            old, new = int(query["old"][0]), int(query["new"][0])
            proof = consistency_proof(self.log.store, old, new)
            answer = {"old": old, "new": new, "proof": [b64encode(h) for h in proof]}
            return 200, "application/json", json.dumps(answer).encode()
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


def first_audit(server: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    state = tmp_path / "audit.json"
    status, out, _ = run_audit(server, state, capsys, "--vkey", server.log.vkey)
    assert status == 0, out
    return state


def test_first_audit_pins_the_key_and_verifies_everything(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = first_audit(served, tmp_path, capsys)
    saved = load_state(state)
    assert saved is not None
    assert saved.vkey == served.log.vkey and saved.checkpoint == served.log.checkpoint()
    assert saved.log.size == served.log.size
    fetched = [p for p in served.paths if p.startswith("/ledger/entries/")]
    assert len(fetched) == served.log.size


def test_the_summary_line(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "audit.json"
    status, out, err = run_audit(served, state, capsys, "--vkey", served.log.vkey)
    size, root = served.log.size, b64encode(served.log.root())
    assert (status, out, err) == (
        0,
        f"OK: {size} entries ({size} new), checkpoint size {size}, root {root}\n",
        "",
    )


def test_a_second_audit_fetches_only_new_entries_and_checks_consistency(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = first_audit(served, tmp_path, capsys)
    old_size = served.log.size
    served.log.record(PRODUCER)
    served.log.revoke(PRODUCER_2)
    served.log.record(PRODUCER)
    served.paths.clear()
    status, out, _ = run_audit(served, state, capsys)
    assert status == 0, out
    assert "(3 new)" in out
    assert f"/ledger/proof/consistency?old={old_size}&new={served.log.size}" in served.paths
    fetched = [int(p.rsplit("/", 1)[1]) for p in served.paths if "/entries/" in p]
    assert fetched == list(range(old_size, served.log.size))
    saved = load_state(state)
    assert saved is not None and saved.log.size == served.log.size
    # the trust chain is carried over: PRODUCER_2's revocation holds in the next audit
    served.log.record(PRODUCER_2)
    status, out, _ = run_audit(served, state, capsys)
    assert status == 1
    assert out.startswith(f"FAIL: entry {served.log.size - 1}: trust chain: ")
    assert "was revoked by entry" in out


def test_an_unchanged_log_audits_again_without_fetching(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = first_audit(served, tmp_path, capsys)
    served.paths.clear()
    status, out, _ = run_audit(served, state, capsys)
    assert status == 0 and "(0 new)" in out
    assert served.paths == ["/ledger/vkey", "/ledger/checkpoint"]


def read_evidence(out: str) -> dict[str, Any]:
    assert out.count("\n") == 1 and out.startswith("FAIL: ")
    path = Path(out.rstrip("\n").rsplit("evidence written to ", 1)[1])
    evidence = json.loads(path.read_text())
    assert evidence["type"] == EVIDENCE_TYPE
    return evidence


def test_a_fork_is_detected_and_evidence_written(
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
    assert out.startswith("FAIL: fork: consistency: consistency proof from size 10 to size 11")
    evidence = read_evidence(out)
    assert evidence["old_checkpoint"] == old_checkpoint
    assert evidence["new_checkpoint"] == forked.checkpoint()
    assert evidence["consistency_proof"]["old"] == 10 and evidence["consistency_proof"]["proof"]
    assert evidence["vkey"] == forked.vkey and evidence["url"] == served.url
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
    assert read_evidence(out)["consistency_proof"] is None


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


def test_entries_that_do_not_match_the_checkpoint_fail(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served.entry_override[6] = served.log.entries[6].replace(b"shipping", b"shippinX")
    status, out, _ = run_audit(served, tmp_path / "s.json", capsys, "--vkey", served.log.vkey)
    assert (status, out.split(": ")[:3]) == (1, ["FAIL", "entry 6", "signature"])
    assert not (tmp_path / "s.json").exists()


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
    served.served_vkey = other
    status, out, _ = run_audit(served, state, capsys)
    assert status == 1 and out.startswith("FAIL: log vkey: expected the pinned ")


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
    assert status == 2 and err.startswith(f"error: GET {url}/ledger/vkey: ")


def test_a_malformed_state_file_is_exit_2(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = first_audit(served, tmp_path, capsys)
    saved = json.loads(state.read_text())
    saved["frontier"] = saved["frontier"][1:] + saved["frontier"][:1]
    state.write_text(json.dumps(saved))
    status, _, err = run_audit(served, state, capsys)
    assert status == 2 and "is malformed" in err


def test_audit_as_a_subprocess(served: LedgerServer, tmp_path: Path) -> None:
    state = tmp_path / "audit.json"
    command = [sys.executable, "-m", "ledger", "audit", served.url, "--state", str(state)]
    first = subprocess.run(
        [*command, "--vkey", served.log.vkey],
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


def test_witness_cosignatures_are_required_when_asked(
    served: LedgerServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    witness = CosignatureSigner(
        "witness.example", Ed25519PrivateKey.from_private_bytes(bytes(32)), lambda: 1_700_000_000
    )
    state = tmp_path / "s.json"
    args = ["--vkey", served.log.vkey, "--witness", witness.verifier.vkey]
    status, out, _ = run_audit(served, state, capsys, *args)
    assert status == 1 and out.startswith("FAIL: checkpoint cosignatures: expected at least 1")
    assert not state.exists()
    served.cosigners.append(witness)
    status, out, _ = run_audit(served, state, capsys, *args)
    assert status == 0 and out.startswith("OK: ")
