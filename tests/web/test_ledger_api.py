"""The HTTP ledger API, checked with the ledger library as an auditor would."""

from __future__ import annotations

import base64

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from support.scenario import Scenario

from ledger.checkpoint import open_checkpoint
from ledger.keys import Verifier
from ledger.merkle import leaf_hash
from ledger.proof_verification import verify_consistency, verify_inclusion
from traceapp.db.sessions import get_database
from traceapp.ledger_store.models import LedgerCheckpoint


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def test_checkpoint_entries_and_inclusion_proofs(client: FlaskClient, scenario: Scenario) -> None:
    vkey = client.get("/ledger/vkey")
    assert vkey.status_code == 200 and vkey.content_type == "text/plain; charset=utf-8"
    verifier = Verifier.from_vkey(vkey.text.strip())
    note = client.get("/ledger/checkpoint")
    assert note.content_type == "text/plain; charset=utf-8"
    checkpoint = open_checkpoint(note.text, verifier)
    assert checkpoint.size > 10
    for index in range(checkpoint.size):
        body = client.get(f"/ledger/entries/{index}").json
        assert body is not None and body["index"] == index
        entry = _b64(body["entry"])
        assert leaf_hash(entry) == _b64(body["leaf"])
        proof = client.get(f"/ledger/proof/inclusion?index={index}&size={checkpoint.size}").json
        assert proof is not None
        verify_inclusion(
            leaf_hash(entry),
            index,
            checkpoint.size,
            [_b64(h) for h in proof["proof"]],
            checkpoint.root_hash,
        )


def test_every_stored_checkpoint_is_consistent_with_the_latest(
    app: Flask, client: FlaskClient, scenario: Scenario
) -> None:
    verifier = Verifier.from_vkey(client.get("/ledger/vkey").text.strip())
    with get_database(app).read_sessions() as s:
        sizes = list(
            s.execute(select(LedgerCheckpoint.size).order_by(LedgerCheckpoint.size)).scalars()
        )
    latest = open_checkpoint(client.get("/ledger/checkpoint").text, verifier)
    assert sizes[-1] == latest.size
    for size in sizes:
        stored = client.get(f"/ledger/checkpoint/{size}")
        assert stored.headers["Cache-Control"] == "public, max-age=86400"
        old = open_checkpoint(stored.text, verifier)
        assert client.get(f"/ledger/checkpoint/{size}").text == stored.text  # never re-signed
        proof = client.get(f"/ledger/proof/consistency?old={size}&new={latest.size}").json
        assert proof is not None
        verify_consistency(
            size, latest.size, old.root_hash, latest.root_hash, [_b64(h) for h in proof["proof"]]
        )


def test_proofs_read_log_n_rows_in_a_few_statements(
    app: Flask, client: FlaskClient, scenario: Scenario
) -> None:
    statements: list[str] = []
    engine = get_database(app).engine

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        size = int(client.get("/ledger/checkpoint").text.splitlines()[1])
        statements.clear()
        assert client.get(f"/ledger/proof/inclusion?index=3&size={size}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # The head (size check) and one read of the tile-level spans the proof folds its nodes
    # from: leaf hashes from ledger_entries, levels 8, 16, ... from ledger_hashes.
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 3, statements
    assert sum("leaf_hash" in s for s in selects) == 1, selects


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/ledger/entries/999999", 404, "index"),
        ("/ledger/checkpoint/999999", 404, "size"),
        ("/ledger/proof/inclusion?index=0&size=999999", 400, "size"),
        ("/ledger/proof/inclusion?index=5&size=5", 400, "index"),
        ("/ledger/proof/inclusion?index=-1&size=5", 400, "index"),
        ("/ledger/proof/inclusion?index=x&size=5", 400, "index"),
        ("/ledger/proof/inclusion?size=5", 400, "index"),
        ("/ledger/proof/consistency?old=9&new=3", 400, "old"),
        ("/ledger/proof/consistency?old=1&new=99999999", 400, "new"),
    ],
)
def test_bad_requests_get_clear_errors(
    client: FlaskClient, scenario: Scenario, path: str, status: int, field: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.json is not None and response.json["error"]["field"] == field


def test_public_ledger_api_is_rate_limited_per_client(app: Flask, client: FlaskClient) -> None:
    from traceapp.verification.ratelimit import DEFAULT_LIMITS, Limit

    app.config["RATE_LIMITS"] = {**DEFAULT_LIMITS, "ledger": Limit(3, 60.0)}
    assert [client.get("/ledger/vkey").status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get("/ledger/checkpoint")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.json is not None and limited.json["error"]["code"] == "RATE_LIMITED"
    other = client.get("/ledger/vkey", environ_overrides={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 200


def test_proof_spans_are_key_ranges_not_a_scan_of_the_log(app: Flask) -> None:
    from traceapp.ledger_store.store import _select_spans

    engine = get_database(app).engine
    params: dict[str, object] = {"log": "x", "s0": 0, "e0": 256, "l1": 8, "s1": 0, "e1": 256}
    sql = str(
        _select_spans((True, False))
        .statement.bindparams(**params)  # type: ignore[attr-defined]
        .compile(engine, compile_kwargs={"literal_binds": True})
    )
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = [str(row) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
            assert any("ledger_entries USING" in row and "seq>? AND seq<?" in row for row in plan)
            assert any("ledger_hashes USING" in row and "idx>? AND idx<?" in row for row in plan)
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")  # the plan a large log gets
            plan = [str(row) for row in conn.exec_driver_sql("EXPLAIN " + sql)]
            assert any("pk_ledger_entries" in row and "Index" in row for row in plan), plan
            assert any("pk_ledger_hashes" in row and "Index" in row for row in plan), plan
