"""Three app hosts, one primary, one standby, concurrent writers and readers (issue 19).

Three ``traceapp serve`` processes (gunicorn, separate instance directories) listen on
separate loopback addresses (127.0.0.2-4: network namespaces would need the primary to listen
beyond 127.0.0.1). They write to the test database on the primary and read from the standby.
For ``TRACEAPP_TEST_HOSTS_SECONDS`` (default 30; CI sets less, see .ci/run) writers register
locations through GraphQL on every host, while readers fetch checkpoints and item pages from
every host, each request from its own client address (the per-client page limit). Then, on the
primary: no gap, no fork (``ledger verify --deep``); every checkpoint served is signed by the
log and consistent with the one before (consistency proofs); every acknowledged write is in
the log; every item page served by the standby proves its entries against a checkpoint of the
log.
"""

from __future__ import annotations

import base64
import http.client
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from sqlalchemy import select
from support.scenario import Scenario
from support.standby import Standby, wait_replayed

from ledger.checkpoint import open_checkpoint
from ledger.keys import Verifier
from ledger.proof_verification import verify_consistency, verify_inclusion
from traceapp.api.ids import encode_global_id
from traceapp.auth.services import create_token
from traceapp.batches.models import Item
from traceapp.db.sessions import READ_FROM_HEADER, get_database
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store import reads
from traceapp.ledger_store.models import LedgerEntry

pytestmark = [
    pytest.mark.parametrize("database_template", ["postgresql"], indirect=True),
    pytest.mark.slow,
]

SECONDS = float(os.environ.get("TRACEAPP_TEST_HOSTS_SECONDS", "30"))
HOSTS = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
WRITERS, READERS = 4, 3
GTIN, LOT = "08938505974019", "L2026-11A"
REGISTER = """mutation($input: RegisterLocationInput!) { registerLocation(input: $input) {
  ledgerIndex leafHash userErrors { code field message } } }"""


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Host:
    address: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        source: str | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(
            self.address, self.port, timeout=60, source_address=(source, 0) if source else None
        )
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()


@pytest.fixture
def hosts(
    app_config: dict[str, Any], database_url: str, standby: Standby, tmp_path: Path
) -> Iterator[list[Host]]:
    wait_replayed(standby)
    database = database_url.rsplit("/", 1)[1]
    traceapp = Path(sys.executable).parent / "traceapp"
    started: list[Host] = []
    try:
        for number, address in enumerate(HOSTS):
            instance = tmp_path / f"host{number}"
            instance.mkdir()
            key = instance / "log.key"
            shutil.copyfile(app_config["LOG_KEY_FILE"], key)
            key.chmod(0o600)
            env = {
                **os.environ,
                "TRACEAPP_DATABASE_URL": database_url,
                "TRACEAPP_DATABASE_REPLICA_URLS": standby.url(database),
                "TRACEAPP_INSTANCE_PATH": str(instance),
                "TRACEAPP_LOG_KEY_FILE": str(key),
                "TRACEAPP_LOG_ORIGIN": app_config["LOG_ORIGIN"],
                "TRACEAPP_PUBLIC_URL": app_config["PUBLIC_URL"],
            }
            port = _free_port(address)
            log = instance / "serve.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [str(traceapp), "serve", "--bind", f"{address}:{port}", "--workers", "1"],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=instance,
                )
            started.append(Host(address, port, process, log))
        for host in started:
            _wait_ready(host)
        yield started
    finally:
        for host in started:
            host.process.terminate()
        for host in started:
            try:
                host.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                host.process.kill()
                host.process.wait()


def _wait_ready(host: Host) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if host.process.poll() is not None:
            pytest.fail(f"{host.address} exited: {host.log.read_text(errors='replace')[-2000:]}")
        try:
            status, _, _ = host.request("GET", "/readyz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{host.address} not ready: {host.log.read_text(errors='replace')[-2000:]}")


@dataclass
class Observed:
    acknowledged: list[tuple[int, str, str]] = field(default_factory=list)  # index, leaf, code
    write_failures: list[str] = field(default_factory=list)
    checkpoints: list[tuple[str, str]] = field(default_factory=list)  # note, served from
    pages: list[tuple[dict[str, Any], str]] = field(default_factory=list)  # proofs, from
    read_failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _writer(
    number: int, hosts: list[Host], token: str, producer: str, until: float, seen: Observed
) -> None:
    for n in itertools.count():
        if time.monotonic() >= until:
            return
        host = hosts[(number + n) % len(hosts)]
        code = f"H{number}-{n}"
        variables = {
            "input": {"producer": producer, "kind": "FARM", "name": f"Đồi {code}", "code": code}
        }
        body = json.dumps({"query": REGISTER, "variables": variables}).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        try:
            status, _, raw = host.request("POST", "/graphql", body=body, headers=headers)
        except OSError as exc:
            with seen.lock:
                seen.write_failures.append(f"{host.address}: {exc}")
            continue
        payload = json.loads(raw)["data"]["registerLocation"] if status == 200 else None
        with seen.lock:
            if payload and not payload["userErrors"] and payload["ledgerIndex"] is not None:
                seen.acknowledged.append((payload["ledgerIndex"], payload["leafHash"], code))
            else:
                seen.write_failures.append(f"{host.address}: {status} {raw[:300]!r}")


def _reader(number: int, hosts: list[Host], paths: list[str], until: float, seen: Observed) -> None:
    # Each request from its own client address: the page limit is per client (and per host).
    sources = itertools.cycle(f"127.0.{10 + number}.{last}" for last in range(1, 255))
    for n in itertools.count():
        if time.monotonic() >= until:
            return
        host = hosts[(number + n) % len(hosts)]
        try:
            status, headers, raw = host.request("GET", "/ledger/checkpoint", source=next(sources))
            if status != 200:
                raise OSError(f"checkpoint: {status} {raw[:200]!r}")
            with seen.lock:
                seen.checkpoints.append((raw.decode(), headers[READ_FROM_HEADER]))
            path = paths[n % len(paths)]
            status, headers, raw = host.request(
                "GET", path, headers={"Accept": "application/json"}, source=next(sources)
            )
            if status != 200:
                raise OSError(f"page: {status} {raw[:200]!r}")
            with seen.lock:
                seen.pages.append((json.loads(raw)["proofs"], headers[READ_FROM_HEADER]))
        except OSError as exc:
            with seen.lock:
                seen.read_failures.append(f"{host.address}: {exc}")


def _item_paths(app: Flask, scenario: Scenario) -> list[str]:
    with get_database(app).read_sessions() as session:
        serials = session.scalars(
            select(Item.serial).where(Item.public_id.in_(scenario.items))
        ).all()
    return [f"/01/{GTIN}/10/{quote(LOT, safe='')}/21/{quote(s, safe='')}" for s in serials]


def test_three_hosts_write_to_one_primary_and_read_from_the_standby(
    app: Flask, scenario: Scenario, hosts: list[Host]
) -> None:
    with get_database(app).write() as session:
        token = create_token(session, "producer", scenario.producer)[1]
    producer = encode_global_id("Producer", scenario.producer)
    paths = _item_paths(app, scenario)
    seen = Observed()
    until = time.monotonic() + SECONDS
    threads = [
        threading.Thread(target=_writer, args=(n, hosts, token, producer, until, seen))
        for n in range(WRITERS)
    ] + [
        threading.Thread(target=_reader, args=(n, hosts, paths, until, seen))
        for n in range(READERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 120)
    assert not any(thread.is_alive() for thread in threads)
    assert seen.write_failures == [] and seen.read_failures == []
    assert len(seen.acknowledged) >= WRITERS and len(seen.pages) >= READERS

    ledger = get_ledger(app)
    origin, verifier = ledger.origin, Verifier.from_vkey(ledger.log.vkey)
    with get_database(app).snapshot_sessions() as session:
        # No gap, no fork: one entry per index, up to the head's size.
        head = reads.latest_checkpoint(session, origin)
        seqs = session.scalars(
            select(LedgerEntry.seq).where(LedgerEntry.log == origin).order_by(LedgerEntry.seq)
        ).all()
        assert list(seqs) == list(range(head.size))
        leaves = dict(
            session.execute(
                select(LedgerEntry.seq, LedgerEntry.leaf_hash).where(LedgerEntry.log == origin)
            ).all()
        )
        # Every acknowledged write is there, once, with the leaf it was acknowledged with.
        assert len({index for index, _, _ in seen.acknowledged}) == len(seen.acknowledged)
        for index, leaf, code in seen.acknowledged:
            assert base64.b64encode(leaves[index]).decode() == leaf
            entry = reads.entry_at(session, origin, index)
            assert code.encode() in entry.entry

        # Every checkpoint served is the log's, one root per size, each consistent with the
        # one before it and with the head.
        roots: dict[int, bytes] = {}
        for note, _ in seen.checkpoints:
            checkpoint = open_checkpoint(note, verifier)
            assert roots.setdefault(checkpoint.size, checkpoint.root_hash) == checkpoint.root_hash
        roots.setdefault(head.size, head.root_hash)
        sizes = sorted(roots)
        for old, new in itertools.pairwise(sizes):
            proof = reads.consistency(session, origin, old, new)
            verify_consistency(old, new, roots[old], roots[new], proof)

        # Every item page from the standby proves its entries against a checkpoint of the log.
        from_standby = [proofs for proofs, served in seen.pages if served == "replica"]
        assert len(from_standby) >= len(seen.pages) // 2, "the standby served too few pages"
        proven: set[tuple[int, int]] = set()
        for proofs in from_standby:
            size = proofs["checkpointSize"]
            root = base64.b64decode(proofs["checkpointRoot"])
            assert proofs["allVerified"] and proofs["entries"]
            assert reads.checkpoint_at(session, origin, size).root_hash == root
            for entry in proofs["entries"]:
                assert base64.b64decode(entry["leafHash"]) == leaves[entry["seq"]]
                if (entry["seq"], size) not in proven:
                    path = reads.inclusion(session, origin, entry["seq"], size)
                    verify_inclusion(leaves[entry["seq"]], entry["seq"], size, path, root)
                    proven.add((entry["seq"], size))
    served = {
        "checkpoints from the standby": sum(s == "replica" for _, s in seen.checkpoints),
        "checkpoints": len(seen.checkpoints),
        "pages from the standby": len(from_standby),
        "pages": len(seen.pages),
        "writes acknowledged": len(seen.acknowledged),
        "checkpoint sizes seen": len(sizes),
    }
    print(f"{SECONDS:.0f} s, {len(HOSTS)} hosts: {served}")

    result = app.test_cli_runner().invoke(args=["ledger", "verify", "--deep"])
    assert result.exit_code == 0, result.output
