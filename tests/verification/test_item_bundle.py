"""GET /ledger/bundle/...: the item's proof bundle verifies offline; tampering is caught."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from support.scenario import Scenario
from verify_support import GTIN, item_path

from ledger.bundle import verify_bundle
from ledger.entry import parse_entry
from ledger.tlog_proof import parse_proofs, proofs_to_bundle
from traceapp.db.sessions import get_database
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.models import LedgerEntry


def _verify_cli(path: Path, vkey: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ledger", "verify-bundle", str(path), "--vkey", vkey],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_bundle_verifies_with_the_offline_cli(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str], tmp_path: Path
) -> None:
    response = client.get(f"/ledger/bundle{item_path(serials[0])}")
    assert response.status_code == 200 and response.mimetype == "application/json"
    bundle = response.json
    assert bundle is not None and set(bundle) == {"checkpoint", "vkey", "entries"}
    assert bundle["vkey"] == get_ledger(app).log.vkey
    path = tmp_path / "bundle.json"
    path.write_bytes(response.data)
    result = _verify_cli(path, get_ledger(app).log.vkey)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK")
    verified = verify_bundle(bundle, vkey=get_ledger(app).log.vkey)
    types = [entry.type for _, entry in verified.entries]
    for needed in (
        "producer.registered",
        "product.registered",
        "certification.granted",
        "batch.created",
        "items.issued",
        "event.recorded",
    ):
        assert needed in types
    # Every key entry below the checkpoint size is bundled, so is the item's issue entry.
    with get_database(app).read_sessions() as session:
        keys = set(
            session.execute(
                select(LedgerEntry.seq).where(
                    LedgerEntry.type.in_(("key.registered", "key.revoked"))
                )
            ).scalars()
        )
    indices = {row["index"] for row in bundle["entries"]}
    assert keys <= indices and 0 in indices
    issued = [
        parse_entry(base64.b64decode(r["entry"]))
        for r in bundle["entries"]
        if parse_entry(base64.b64decode(r["entry"])).type == "items.issued"
    ]
    assert any(scenario.items[0] in {i["id"] for i in e.statement["items"]} for e in issued)


def test_tampered_bundle_fails(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str], tmp_path: Path
) -> None:
    bundle = client.get(f"/ledger/bundle{item_path(serials[1])}").json
    assert bundle is not None
    row = next(
        r
        for r in bundle["entries"]
        if parse_entry(base64.b64decode(r["entry"])).type == "product.registered"
    )
    row["entry"] = base64.b64encode(
        base64.b64decode(row["entry"]).replace("Cổ thụ".encode(), "Cổ thu".encode())
    ).decode()
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(bundle))
    result = _verify_cli(path, get_ledger(app).log.vkey)
    assert result.returncode == 1 and result.stdout.startswith("FAIL")


def test_bundle_errors(client: FlaskClient, scenario: Scenario, serials: list[str]) -> None:
    assert client.get(f"/ledger/bundle/01/{GTIN}/10/L2026-11A").status_code == 400
    assert client.get(f"/ledger/bundle/01/{GTIN}/10/L2026-11A/21/UNKNOWN1").status_code == 404
    bad = client.get("/ledger/bundle/01/12345/10/X/21/Y")
    assert bad.status_code == 400 and bad.json is not None
    assert bad.json["error"]["field"] == "gtin"


def test_the_item_proofs_as_tlog_proof_verify_offline(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str], tmp_path: Path
) -> None:
    response = client.get(f"/ledger/bundle{item_path(serials[0])}?format=tlog-proof")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"].endswith('.tlog-proof"')
    bundle = client.get(f"/ledger/bundle{item_path(serials[0])}").json
    assert bundle is not None
    proofs = parse_proofs(response.text)
    assert proofs_to_bundle(proofs, bundle["vkey"]) == bundle  # the same entries and proofs
    path = tmp_path / "item.tlog-proof"
    path.write_bytes(response.data)
    vkey = get_ledger(app).log.vkey
    result = subprocess.run(
        [sys.executable, "-m", "ledger", "verify-proof", str(path), "--vkey", vkey],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"OK: {len(bundle['entries'])} proven entries")
    bad = client.get(f"/ledger/bundle{item_path(serials[0])}?format=xml")
    assert bad.status_code == 400 and bad.json is not None
    assert bad.json["error"]["field"] == "format"
