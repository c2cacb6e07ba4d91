"""Auditors over GraphQL: the audit summary, entries by index range, proofs between checkpoints."""

from __future__ import annotations

import base64

from flask.testing import FlaskCliRunner

from ledger.checkpoint import open_checkpoint
from ledger.keys import Verifier
from ledger.proof_verification import verify_consistency

from .conftest import Gql

SUMMARY = """{ auditSummary { size checkpointCount vkey latestCheckpoint { size note }
  lastVerification { ok deep size failure } lastFullVerification { ok deep size finishedAt } } }"""


def test_audit_summary_reports_the_last_self_audits(
    gql: Gql, tokens: dict[str, str | None], runner: FlaskCliRunner
) -> None:
    before = gql(SUMMARY, token=tokens["auditor"])["data"]["auditSummary"]
    assert before["lastVerification"] is None and before["lastFullVerification"] is None
    assert runner.invoke(args=["ledger", "verify", "--deep"]).exit_code == 0
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0
    after = gql(SUMMARY, token=tokens["auditor"])["data"]["auditSummary"]
    assert after["size"] == after["latestCheckpoint"]["size"] > 10
    assert after["lastVerification"] == {
        "ok": True,
        "deep": False,
        "size": after["size"],
        "failure": None,
    }
    full = after["lastFullVerification"]
    assert full["ok"] and full["deep"] and full["size"] == after["size"]
    Verifier.from_vkey(after["vkey"])
    for role in ("anonymous", "producer"):
        errors = gql(SUMMARY, token=tokens[role])["errors"]
        assert errors[0]["extensions"]["code"] in {"UNAUTHENTICATED", "FORBIDDEN"}


def test_entries_by_index_range_and_consistency_between_checkpoints(
    gql: Gql, tokens: dict[str, str | None]
) -> None:
    page = gql(
        "{ ledgerEntries(fromIndex: 2, toIndex: 5) { totalCount edges { node { index } } } }",
        token=tokens["auditor"],
    )["data"]["ledgerEntries"]
    assert [e["node"]["index"] for e in page["edges"]] == [2, 3, 4]
    assert page["totalCount"] == 3
    vkey = Verifier.from_vkey(gql("{ ledgerInfo { vkey } }")["data"]["ledgerInfo"]["vkey"])
    old = open_checkpoint(
        gql("{ checkpoint(size: 2) { note } }")["data"]["checkpoint"]["note"], vkey
    )
    new = open_checkpoint(
        gql("{ latestCheckpoint { note } }")["data"]["latestCheckpoint"]["note"], vkey
    )
    proof = gql(f"{{ consistencyProof(old: 2, new: {new.size}) {{ proof }} }}")["data"][
        "consistencyProof"
    ]["proof"]
    verify_consistency(
        2, new.size, old.root_hash, new.root_hash, [base64.b64decode(h) for h in proof]
    )
