"""Our witness endpoint, ``POST /witness/add-checkpoint`` (c2sp.org/tlog-witness), on both engines."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.cosignature import CosignatureVerifier, verify_cosignature
from ledger.keys import b64encode
from ledger.merkle import EMPTY_ROOT, leaf_hash, root_from_leaf_hashes
from ledger.signing import Signer, sign_checkpoint
from traceapp import create_app
from traceapp.db.sessions import get_database
from traceapp.witness.models import WitnessedLog

ORIGIN = "nhatky.example.vn/log"


def _proof(m: int, leaves: list[bytes], complete: bool = True) -> list[bytes]:
    """RFC 6962 §2.1.2 SUBPROOF(m, D[n], b), written out for the tests."""
    n = len(leaves)
    if m == n:
        return [] if complete else [root_from_leaf_hashes(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*_proof(m, leaves[:k], complete), root_from_leaf_hashes(leaves[k:])]
    return [*_proof(m - k, leaves[k:], False), root_from_leaf_hashes(leaves[:k])]


class TinyLog:
    """A log of our own making, signed by its key: what a witnessed log submits."""

    def __init__(self, signer: Signer, size: int, salt: bytes = b"") -> None:
        self.signer = signer
        self.leaves = [leaf_hash(salt + b"entry %d" % i) for i in range(size)]

    def grow(self, count: int) -> None:
        start = len(self.leaves)
        self.leaves += [leaf_hash(b"entry %d" % i) for i in range(start, start + count)]

    def note(self, size: int | None = None) -> str:
        size = len(self.leaves) if size is None else size
        root = root_from_leaf_hashes(self.leaves[:size]) if size else EMPTY_ROOT
        return sign_checkpoint(Checkpoint(ORIGIN, size, root), self.signer)

    def body(self, old: int, size: int | None = None, proof: list[bytes] | None = None) -> bytes:
        size = len(self.leaves) if size is None else size
        if proof is None:
            proof = _proof(old, self.leaves[:size]) if 0 < old < size else []
        lines = [f"old {old}\n", *(b64encode(h) + "\n" for h in proof), "\n", self.note(size)]
        return "".join(lines).encode()


@pytest.fixture
def log_signer() -> Signer:
    return Signer.generate(ORIGIN)


@pytest.fixture
def witness_app(app_config: dict[str, Any], tmp_path: Path, log_signer: Signer) -> Flask:
    key = tmp_path / "witness.key"
    runner = create_app(app_config).test_cli_runner()
    result = runner.invoke(
        args=["witness", "init-key", "witness.ocop.example.vn/w1", "--key-file", str(key)]
    )
    assert result.exit_code == 0, result.output
    assert key.stat().st_mode & 0o077 == 0
    vkey = result.output.split("witness vkey:")[1].strip()
    config = dict(app_config, WITNESS_KEY_FILE=str(key), WITNESS_LOGS=f"{ORIGIN} {log_signer.vkey}")
    app = create_app(config)
    app.config["WITNESS_VKEY"] = vkey
    return app


def _post(client: FlaskClient, body: bytes) -> Any:
    return client.post("/witness/add-checkpoint", data=body, content_type="text/plain")


def _verifier(app: Flask) -> CosignatureVerifier:
    return CosignatureVerifier.from_vkey(app.config["WITNESS_VKEY"])


def test_disabled_without_a_witness_key(client: FlaskClient, log_signer: Signer) -> None:
    assert _post(client, TinyLog(log_signer, 3).body(0)).status_code == 404
    origin_hash = hashlib.sha256(ORIGIN.encode()).hexdigest()
    assert client.get(f"/witness/{origin_hash}/checkpoint").status_code == 404


def test_cosigns_consistent_checkpoints_and_remembers_them(
    witness_app: Flask, log_signer: Signer
) -> None:
    client, log = witness_app.test_client(), TinyLog(log_signer, 5)
    first = _post(client, log.body(0))
    assert first.status_code == 200, first.text
    assert first.text.startswith("\u2014 witness.ocop.example.vn/w1 ") and first.text.endswith("\n")
    cosigned = verify_cosignature(log.note() + first.text, _verifier(witness_app))
    assert cosigned.checkpoint.size == 5 and cosigned.timestamp > 0

    # Not the size it has: 409 with the size, as text/x.tlog.size.
    log.grow(6)
    stale = _post(client, log.body(0))
    assert stale.status_code == 409
    assert stale.content_type == "text/x.tlog.size" and stale.text == "5\n"

    # With a consistency proof from the size it has: cosigned, and remembered.
    grown = _post(client, log.body(5))
    assert grown.status_code == 200, grown.text
    verify_cosignature(log.note() + grown.text, _verifier(witness_app))
    with get_database(witness_app).read_sessions() as s:
        row = s.execute(select(WitnessedLog)).scalar_one()
    assert (row.origin, row.size) == (ORIGIN, 11)
    assert row.root_hash == root_from_leaf_hashes(log.leaves)
    # The same checkpoint again (old = size, same root): cosigned again.
    assert _post(client, log.body(11)).status_code == 200

    # Monitors read the latest cosigned checkpoint, the log's signature and ours on it.
    origin_hash = hashlib.sha256(ORIGIN.encode()).hexdigest()
    served = client.get(f"/witness/{origin_hash}/checkpoint")
    assert served.status_code == 200
    assert open_checkpoint(served.text, log_signer.verifier).size == 11
    assert verify_cosignature(served.text, _verifier(witness_app)).checkpoint.size == 11
    assert client.get(f"/witness/{'0' * 64}/checkpoint").status_code == 404


def test_refuses_a_forked_log(witness_app: Flask, log_signer: Signer) -> None:
    client, log = witness_app.test_client(), TinyLog(log_signer, 8)
    assert _post(client, log.body(0)).status_code == 200
    fork = TinyLog(log_signer, 8, salt=b"fork ")  # same size, another root, signed by the log key
    assert _post(client, fork.body(8)).status_code == 422
    fork.grow(4)
    bad = _post(client, fork.body(8, proof=_proof(8, fork.leaves)))
    assert bad.status_code == 422  # its proof cannot lead from the root the witness saw
    wrong = _post(client, log.body(8, size=8, proof=[hashlib.sha256(b"x").digest()]))
    assert wrong.status_code == 422  # equal sizes take no proof
    with get_database(witness_app).read_sessions() as s:
        assert s.execute(select(WitnessedLog.size)).scalar_one() == 8


def test_status_codes_of_bad_requests(witness_app: Flask, log_signer: Signer) -> None:
    client, log = witness_app.test_client(), TinyLog(log_signer, 4)
    stranger = TinyLog(Signer.generate(ORIGIN), 4)  # a key the witness does not trust
    other = Signer.generate("another.example/log")
    other_note = sign_checkpoint(Checkpoint("another.example/log", 1, b"\x01" * 32), other)
    empty_root_wrong = sign_checkpoint(Checkpoint(ORIGIN, 0, b"\x02" * 32), log_signer)
    cases = {
        b"": 400,
        b"old 0\n": 400,
        b"old 01\n\n" + log.note().encode(): 400,
        b"new 0\n\n" + log.note().encode(): 400,
        b"old 0\nnot base64!\n\n" + log.note().encode(): 400,
        b"old 0\n\nnot a checkpoint\n": 400,
        log.body(0)[:-3]: 400,
        ("old 0\n" + "AAAA\n" * 64 + "\n" + log.note()).encode(): 400,
        b"old 9\n\n" + log.note().encode(): 400,  # old larger than the checkpoint
        b"old 0\n\n" + other_note.encode(): 404,  # a log it does not witness
        stranger.body(0): 403,  # not signed by the log's key
        log.body(0).replace(log.note().encode()[-10:], b"AAAAAAAAA\n"): 403,  # bad signature
        b"old 0\n\n" + empty_root_wrong.encode(): 422,
        log.body(0, proof=[hashlib.sha256(b"x").digest()]): 422,  # old 0 takes no proof
    }
    for body, status in cases.items():
        response = _post(client, body)
        assert response.status_code == status, (body, response.text)
    with get_database(witness_app).read_sessions() as s:
        assert s.execute(select(WitnessedLog.size)).scalars().all() in ([], [0])


def test_concurrent_submissions_for_one_log_are_serialised(
    witness_app: Flask, log_signer: Signer
) -> None:
    """Many submissions from old size 0 at once: one is cosigned, every other one gets 409."""
    logs = [TinyLog(log_signer, size) for size in range(1, 9)]
    results: list[int] = []
    barrier = threading.Barrier(len(logs))

    def submit(log: TinyLog) -> None:
        client = witness_app.test_client()
        barrier.wait()
        results.append(_post(client, log.body(0)).status_code)

    threads = [threading.Thread(target=submit, args=(log,)) for log in logs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] + [409] * (len(logs) - 1)
    with get_database(witness_app).read_sessions() as s:
        size = s.execute(select(WitnessedLog.size)).scalar_one()
    assert size in range(1, 9)
