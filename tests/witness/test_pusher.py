"""The pusher against test witnesses written from the spec (tests/support/tlog_witness.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from support.scenario import Scenario
from support.tlog_witness import TestWitness
from support.witnessing import ORIGIN, append, witnessed_app

from ledger.checkpoint import open_checkpoint
from ledger.cosignature import CosignatureVerifier, verify_cosignature
from ledger.note import parse_note
from ledger.tree_store import root_at
from traceapp.batches.models import Item
from traceapp.db.sessions import get_database
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store import reads
from traceapp.ledger_store.store import SqlHashStore
from traceapp.witness.pusher import Pusher
from traceapp.witness.runtime import get_witnessing


def _pusher(app: Flask, **kwargs: Any) -> Pusher:
    witnessing = get_witnessing(app)
    kwargs.setdefault("timeout", 2.0)
    return Pusher(get_database(app), get_ledger(app).origin, witnessing.witnesses, **kwargs)


def _scenario(app: Flask) -> Scenario:
    from support.scenario import build_scenario

    from traceapp.keys.services import admin_key_name

    database = get_database(app)
    with database.read_sessions() as s:
        admin = admin_key_name(s)
    return build_scenario(database, get_ledger(app), admin)


def test_a_cosigned_checkpoint_is_served_after_appends(
    app_config: dict[str, Any], test_witnesses: list[TestWitness], tmp_path: Path
) -> None:
    app = witnessed_app(app_config, test_witnesses, WITNESS_QUORUM="2")
    scenario = _scenario(app)
    client = app.test_client()
    plain = client.get("/ledger/checkpoint").text
    assert len(parse_note(plain).signatures) == 1  # not cosigned yet: as the log signed it
    pusher = _pusher(app)
    assert sorted(pusher.run_once()) == sorted(
        CosignatureVerifier.from_vkey(w.vkey).key_name for w in test_witnesses
    )
    note = client.get("/ledger/checkpoint").text
    log_verifier = get_ledger(app).log.verifier
    checkpoint = open_checkpoint(note, log_verifier)
    signatures = parse_note(note).signatures
    assert signatures[0].name == checkpoint.origin  # the log's line first
    for w in test_witnesses:
        cosignature = verify_cosignature(note, CosignatureVerifier.from_vkey(w.vkey))
        assert cosignature.checkpoint == checkpoint and cosignature.timestamp > 0

    # More appends: the served checkpoint stays the cosigned one until the witnesses cosign anew.
    append(get_database(app), get_ledger(app), scenario, 3)
    assert open_checkpoint(client.get("/ledger/checkpoint").text, log_verifier) == checkpoint
    # A static mirror publishes the checkpoint /ledger/checkpoint serves: the cosigned one.
    mirror = tmp_path / "mirror"
    published = app.test_cli_runner().invoke(args=["ledger", "publish", str(mirror)])
    assert published.exit_code == 0, published.output
    assert (mirror / "checkpoint").read_text("utf-8") == client.get("/ledger/checkpoint").text
    assert len(pusher.run_once()) == 2
    newer = open_checkpoint(client.get("/ledger/checkpoint").text, log_verifier)
    assert newer.size == checkpoint.size + 3
    assert [w.state[newer.origin][0] for w in test_witnesses] == [newer.size] * 2

    # The item's bundle carries the cosignatures, and the offline verifier still accepts it.
    with get_database(app).read_sessions() as s:
        item = s.execute(select(Item.serial).where(Item.public_id == scenario.items[0])).scalar()
    bundle = client.get(f"/ledger/bundle/01/8938505974019/10/L2026-11A/21/{item}")
    assert bundle.status_code == 200, bundle.text
    bundled = bundle.json
    assert bundled is not None
    for w in test_witnesses:
        verify_cosignature(bundled["checkpoint"], CosignatureVerifier.from_vkey(w.vkey))
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundled))
    vkey = client.get("/ledger/vkey").text.strip()
    done = subprocess.run(
        [sys.executable, "-m", "ledger", "verify-bundle", str(path), "--vkey", vkey],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    # The item page names both witnesses.
    page = client.get(f"/01/8938505974019/10/L2026-11A/21/{item}?lang=en").text
    assert "2 independent witnesses cosigned the checkpoint" in page
    assert "witness1.example/w" in page and "witness2.example/w" in page
    page_vi = client.get(f"/01/8938505974019/10/L2026-11A/21/{item}").text
    assert "2 nhân chứng độc lập đã đồng ký" in page_vi
    get_database(app).dispose()


def test_a_witness_that_saw_a_larger_tree_is_caught_up(
    app_config: dict[str, Any], test_witnesses: list[TestWitness]
) -> None:
    app = witnessed_app(app_config, test_witnesses[:1])
    scenario = _scenario(app)
    database, ledger = get_database(app), get_ledger(app)
    with database.read_sessions() as s:
        seen = reads.log_size(s, ledger.origin)
        root = root_at(SqlHashStore(s, ledger.origin), seen)
    append(database, ledger, scenario, 2)
    witness = test_witnesses[0]
    witness.state[ledger.origin] = (seen, root)  # it saw `seen` through another log server
    assert len(_pusher(app).run_once()) == 1
    assert witness.requests == [409, 200]
    assert witness.state[ledger.origin][0] == seen + 2
    database.dispose()


def test_a_witness_ahead_of_the_log_is_reported(
    app_config: dict[str, Any], test_witnesses: list[TestWitness]
) -> None:
    app = witnessed_app(app_config, test_witnesses[:1])
    _scenario(app)
    witness = test_witnesses[0]
    witness.state[get_ledger(app).origin] = (10**6, b"\x07" * 32)
    assert _pusher(app).run_once() == []
    client = app.test_client()
    ready = client.get("/readyz").json
    assert ready is not None and ready["status"] == "ok"  # a witness never fails readiness
    (state,) = ready["witnesses"]["witnesses"]
    assert not state["ok"] and "larger than this log's" in state["lastError"]
    get_database(app).dispose()


def test_appends_do_not_wait_for_a_hanging_witness(
    app_config: dict[str, Any], test_witnesses: list[TestWitness]
) -> None:
    app = witnessed_app(app_config, test_witnesses)
    scenario = _scenario(app)
    database, ledger = get_database(app), get_ledger(app)
    hanging, failing = test_witnesses
    hanging.mode, failing.mode = "hang", "error"
    pusher = _pusher(app, timeout=1.0)
    stop = threading.Event()
    watcher = threading.Thread(target=pusher.watch, args=(stop, 0.05))
    watcher.start()
    try:
        started = time.monotonic()
        append(database, ledger, scenario, 10)
        elapsed = time.monotonic() - started
        assert not hanging.requests  # still hanging while every append completed
        assert elapsed < 5.0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not failing.requests:
            time.sleep(0.05)
        assert 500 in failing.requests
        time.sleep(1.5)  # the hanging request times out and is recorded
    finally:
        stop.set()
        watcher.join(20)
    assert not watcher.is_alive()
    token = _auditor_token(app)
    summary = (
        app.test_client()
        .post(
            "/graphql",
            json={
                "query": "{ auditSummary { witnessQuorum witnesses { name ok failures lastError } } }"
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        .json
    )
    assert summary is not None, summary
    states = {w["name"].split("+")[0]: w for w in summary["data"]["auditSummary"]["witnesses"]}
    assert summary["data"]["auditSummary"]["witnessQuorum"] == 1
    assert "answered 500" in states["witness2.example/w"]["lastError"]
    assert "unreachable" in states["witness1.example/w"]["lastError"]
    assert not any(w["ok"] for w in states.values())

    # Back to health: the failing witness recovers, the hanging one is down; appends go on.
    hanging.release()
    hanging.down()
    failing.mode = "ok"
    append(database, ledger, scenario, 1)
    pusher._progress.clear()  # no backoff left from the failures: push now
    assert [n.split("+")[0] for n in pusher.run_once()] == ["witness2.example/w"]
    ready = app.test_client().get("/readyz").json
    assert ready is not None and ready["witnesses"]["healthy"] == 1
    down = {w["name"].split("+")[0]: w for w in ready["witnesses"]["witnesses"]}
    assert "refused" in down["witness1.example/w"]["lastError"]  # down: nothing listens
    database.dispose()


def test_two_pushers_one_lease(
    app_config: dict[str, Any], test_witnesses: list[TestWitness]
) -> None:
    app = witnessed_app(app_config, test_witnesses[:1])
    _scenario(app)
    first, second = _pusher(app, holder="host-a:1"), _pusher(app, holder="host-b:2")
    assert first.hold_lease()
    assert not second.hold_lease()
    assert second.run_once() == []
    assert test_witnesses[0].requests == []
    assert len(first.run_once()) == 1
    assert test_witnesses[0].requests == [200]
    first.release_lease()
    assert second.hold_lease()
    assert not first.hold_lease()
    # A holder that stops renewing (a crashed host) loses the lease when it expires.
    short = _pusher(app, holder="host-c:3", lease_seconds=0.3)
    second.release_lease()
    assert short.hold_lease()
    third = _pusher(app, holder="host-d:4")
    assert not third.hold_lease()
    time.sleep(0.4)
    assert third.hold_lease()
    get_database(app).dispose()


def _auditor_token(app: Flask) -> str:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tokens", "create", "--role", "auditor"])
    assert result.exit_code == 0, result.output
    return result.output.strip().split()[-1]


def test_our_own_witness_endpoint_cosigns_through_the_pusher(
    app_config: dict[str, Any], tmp_path: Path, log_key_file: Path
) -> None:
    """The pusher against our endpoint on a real HTTP server: the witness app keeps its view of
    our log in its own tables (here the same database), and a cosigned checkpoint is served."""
    from werkzeug.serving import make_server

    from traceapp import create_app
    from traceapp.witness.settings import create_witness_key

    signer = create_witness_key(tmp_path / "w.key", "witness.ocop.example.vn/w1")
    log_vkey = get_ledger(create_app(app_config)).log.vkey
    witness_app = create_app(
        dict(
            app_config,
            WITNESS_KEY_FILE=str(tmp_path / "w.key"),
            WITNESS_LOGS=f"{ORIGIN} {log_vkey}",
        )
    )
    server = make_server("127.0.0.1", 0, witness_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/witness"
        app = create_app(dict(app_config, WITNESSES=f"{signer.verifier.vkey} {url}"))
        scenario = _scenario(app)
        pusher = _pusher(app)
        assert pusher.run_once() == [signer.verifier.key_name]
        append(get_database(app), get_ledger(app), scenario, 2)
        assert pusher.run_once() == [signer.verifier.key_name]
        note = app.test_client().get("/ledger/checkpoint").text
        cosigned = verify_cosignature(note, signer.verifier)
        with get_database(app).read_sessions() as s:
            assert cosigned.checkpoint.size == reads.log_size(s, ORIGIN)
    finally:
        server.shutdown()
    get_database(app).dispose()
    get_database(witness_app).dispose()


def test_witness_settings_that_cannot_work_fail_readiness(app_config: dict[str, Any]) -> None:
    from traceapp import create_app

    app = create_app(dict(app_config, WITNESS_KEY_FILE="/nonexistent/witness.key"))
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503 and "witness key" in ready.json["reason"]  # type: ignore[index]
    bad = create_app(dict(app_config, WITNESSES="example.com/w+00000000+AAAA http://127.0.0.1:9"))
    ready = bad.test_client().get("/readyz")
    assert ready.status_code == 503 and "TRACEAPP_WITNESSES" in ready.json["reason"]  # type: ignore[index]
    get_database(app).dispose()
    get_database(bad).dispose()


def test_the_push_command(app_config: dict[str, Any], test_witnesses: list[TestWitness]) -> None:
    from traceapp import create_app

    runner = create_app(app_config).test_cli_runner()
    refused = runner.invoke(args=["witness", "push"])
    assert refused.exit_code == 1 and "no witnesses configured" in refused.output
    app = witnessed_app(app_config, test_witnesses)
    scenario = _scenario(app)
    done = app.test_cli_runner().invoke(args=["witness", "push"])
    assert done.exit_code == 0, done.output
    assert "cosigned by 2 of 2 witnesses" in done.output
    test_witnesses[0].mode = "error"
    append(get_database(app), get_ledger(app), scenario, 1)
    failed = app.test_cli_runner().invoke(args=["witness", "push"])
    assert failed.exit_code == 1 and "cosigned by 1 of 2 witnesses" in failed.output
    get_database(app).dispose()


def test_a_watching_pusher_coalesces_appends_into_one_push_a_second(
    app_config: dict[str, Any], test_witnesses: list[TestWitness]
) -> None:
    app = witnessed_app(app_config, test_witnesses, WITNESS_QUORUM="2")
    scenario = _scenario(app)
    database, ledger = get_database(app), get_ledger(app)
    pusher = _pusher(app, min_interval=1.0)
    stop = threading.Event()
    watcher = threading.Thread(target=pusher.watch, args=(stop, 0.05))
    watcher.start()
    try:
        started = time.monotonic()
        while time.monotonic() - started < 2.5:  # about 25 appends, each a new checkpoint
            append(database, ledger, scenario, 1)
            time.sleep(0.1)
        with database.read_sessions() as session:
            size = reads.log_size(session, ledger.origin)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(
            w.state.get(ORIGIN, (0,))[0] < size for w in test_witnesses
        ):
            time.sleep(0.05)
    finally:
        stop.set()
        watcher.join(20)
    for witness in test_witnesses:
        assert witness.state[ORIGIN][0] == size  # the newest checkpoint was cosigned
        # one push a second at most (plus the first), where every round could have pushed
        assert 2 <= len(witness.requests) <= 5, witness.requests
    served = app.test_client().get("/ledger/checkpoint").text
    cosigned = open_checkpoint(served, ledger.log.verifier)
    assert cosigned.size == size and len(parse_note(served).signatures) == 3
    database.dispose()
