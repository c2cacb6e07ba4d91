"""ledger.bundle: an item's proof bundle, built from the hash store and checked offline."""

from __future__ import annotations

import base64
import copy
import json
import re
from typing import Any

import pytest
from ledger_support import (
    ADMIN,
    OUTSIDER,
    PRODUCER,
    PRODUCER_2,
    make_signer,
    standard_log,
)

from ledger.bundle import build_bundle, load_bundle, verify_bundle
from ledger.checkpoint import Checkpoint
from ledger.errors import (
    ChainError,
    CheckpointError,
    FormatError,
    ProofError,
    SignatureError,
)
from ledger.keys import b64encode
from ledger.registry import KEY_REGISTERED
from ledger.signing import sign_checkpoint
from ledger.verify import verify_log


def rows(bundle: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {row["index"]: row for row in bundle["entries"]}


def test_a_bundle_carries_the_items_entries_and_every_key_entry() -> None:
    log = standard_log()
    bundle = log.bundle([5, 7])
    assert sorted(rows(bundle)) == sorted({5, 7, *log.key_indices()})
    assert bundle["checkpoint"] == log.checkpoint() and bundle["vkey"] == log.vkey
    verified = verify_bundle(bundle, vkey=log.vkey)
    assert verified.checkpoint.size == log.size
    assert [index for index, _ in verified.entries] == sorted(rows(bundle))
    assert verified.registry.role_of(PRODUCER.key_name) == "producer"


def test_a_bundle_verifies_from_its_json_bytes() -> None:
    log = standard_log()
    data = json.dumps(log.bundle([6])).encode()
    assert verify_bundle(data).entries[-1][1].type == "event.recorded"
    assert load_bundle(data) == log.bundle([6])


def test_a_bundle_may_be_checked_against_an_older_checkpoint() -> None:
    log = standard_log()
    bundle = log.bundle([5], size=6)
    assert verify_bundle(bundle).checkpoint.size == 6


def test_a_pinned_vkey_must_match() -> None:
    log = standard_log()
    other = make_signer(log.origin, 61).verifier.vkey
    with pytest.raises(CheckpointError, match=r"^bundle vkey: expected "):
        verify_bundle(log.bundle([5]), vkey=other)


def test_a_flipped_byte_in_an_entry_fails_its_inclusion() -> None:
    log = standard_log()
    bundle = log.bundle([5])
    data = log.entries[5].replace(b"shipping", b"shippinh")
    rows(bundle)[5]["entry"] = b64encode(data)
    with pytest.raises(ProofError, match=r"^entry 5: inclusion: inclusion proof for index 5"):
        verify_bundle(bundle)


def test_a_proof_for_another_index_fails() -> None:
    log = standard_log()
    bundle = log.bundle([5, 6])
    rows(bundle)[6]["proof"] = rows(bundle)[5]["proof"]
    with pytest.raises(ProofError, match=r"^entry 6: inclusion: "):
        verify_bundle(bundle)
    moved = log.bundle([5])
    rows(moved)[5]["index"] = 8  # the entry and proof of 5, claimed to be 8
    with pytest.raises(ProofError, match=r"^entry 8: inclusion: "):
        verify_bundle(moved)


def test_a_bundle_without_the_genesis_is_refused() -> None:
    log = standard_log()
    bundle = log.bundle([5])
    bundle["entries"] = [row for row in bundle["entries"] if row["index"] != 0]
    with pytest.raises(
        ChainError, match=r"^bundle genesis: expected entry 0, found entry 1 first$"
    ):
        verify_bundle(bundle)
    bundle["entries"] = []
    with pytest.raises(ChainError, match="found no entries"):
        verify_bundle(bundle)


def test_a_duplicate_index_is_refused() -> None:
    log = standard_log()
    bundle = log.bundle([5])
    bundle["entries"].append(copy.deepcopy(rows(bundle)[5]))
    with pytest.raises(FormatError, match=r"^entry 5: bundled twice$"):
        verify_bundle(bundle)


def test_entries_may_come_in_any_order() -> None:
    log = standard_log()
    bundle = log.bundle([5, 7])
    bundle["entries"].reverse()
    assert [i for i, _ in verify_bundle(bundle).entries] == sorted(rows(bundle))


def test_a_foreign_checkpoint_key_is_refused() -> None:
    log = standard_log()
    impostor = make_signer(log.origin, 62)
    bundle = log.bundle([5])
    bundle["checkpoint"] = sign_checkpoint(Checkpoint(log.origin, log.size, log.root()), impostor)
    with pytest.raises(SignatureError, match="no verifiable signatures"):
        verify_bundle(bundle)
    bundle["vkey"] = impostor.verifier.vkey  # self-consistent, but not the pinned log key
    assert verify_bundle(bundle).vkey == impostor.verifier.vkey
    with pytest.raises(CheckpointError, match="bundle vkey"):
        verify_bundle(bundle, vkey=log.vkey)


def test_a_checkpoint_for_another_size_fails_the_proofs() -> None:
    log = standard_log()
    bundle = log.bundle([5])
    bundle["checkpoint"] = log.checkpoint(log.size - 1)
    with pytest.raises(ProofError, match=r"^entry 0: inclusion: "):
        verify_bundle(bundle)
    bundle["checkpoint"] = log.checkpoint(5)  # entry 5 is now beyond the checkpoint
    with pytest.raises(ProofError, match=r"^entry 0: inclusion: "):
        verify_bundle(bundle)


def test_an_entry_by_an_unregistered_key_is_refused() -> None:
    log = standard_log()
    index = log.record(OUTSIDER)
    with pytest.raises(SignatureError) as caught:
        verify_bundle(log.bundle([index]))
    assert str(caught.value) == (
        f"entry {index}: trust chain: actor {OUTSIDER.key_name} is not registered by an "
        "earlier entry"
    )


def test_a_bundle_hiding_the_signers_registration_is_refused() -> None:
    log = standard_log()
    bundle = log.bundle([5])
    registration = log.key_indices()[3]  # PRODUCER_2, the signer of entry 5
    bundle["entries"] = [row for row in bundle["entries"] if row["index"] != registration]
    with pytest.raises(
        SignatureError,
        match=rf"^entry 5: trust chain: actor {re.escape(PRODUCER_2.key_name)} is not",
    ):
        verify_bundle(bundle)


def test_a_revoked_key_is_valid_before_its_revocation_only() -> None:
    log = standard_log()
    before = log.record(PRODUCER)
    revocation = log.revoke(PRODUCER)
    after = log.record(PRODUCER)
    assert verify_bundle(log.bundle([before])).registry.role_of(PRODUCER.key_name) is None
    with pytest.raises(SignatureError) as caught:
        verify_bundle(log.bundle([before, after]))
    assert str(caught.value) == (
        f"entry {after}: trust chain: actor {PRODUCER.key_name} was revoked by entry {revocation}"
    )


def test_a_bundle_hiding_a_revocation_is_caught_only_by_the_full_log() -> None:
    """The documented limit of offline checks: a bundle that leaves out the revocation of its
    signer still verifies, since nothing in the bundle points at the missing entry. Only the
    full log (verify-log, or an online audit) shows the entry was made by a revoked key."""
    log = standard_log()
    revocation = log.revoke(PRODUCER)
    after = log.record(PRODUCER)
    hiding = log.bundle([after])
    hiding["entries"] = [row for row in hiding["entries"] if row["index"] != revocation]
    assert verify_bundle(hiding).registry.role_of(PRODUCER.key_name) == "producer"
    with pytest.raises(SignatureError, match=rf"^entry {after}: trust chain: .* revoked"):
        verify_log(log.pairs(), log.checkpoint(), log.vkey)


def test_prev_is_checked_between_consecutive_bundled_entries() -> None:
    log = standard_log()
    wrong_prev = bytes([7]) * 32
    index = log.append_data(log.make_entry(PRODUCER, "event.recorded", {}, prev=wrong_prev))
    assert verify_bundle(log.bundle([index])).entries[-1][0] == index  # a gap before it
    with pytest.raises(ChainError) as caught:
        verify_bundle(log.bundle([index - 1, index]))
    assert str(caught.value) == (
        f"entry {index}: prev: expected {b64encode(log.store.get(0, index - 1))}, "
        f"found {b64encode(wrong_prev)}"
    )


def test_an_entry_of_another_log_is_refused() -> None:
    log = standard_log()
    index = log.append_data(log.make_entry(PRODUCER, "event.recorded", {}, log="x.example/log"))
    with pytest.raises(ChainError, match=rf"^entry {index}: log: expected "):
        verify_bundle(log.bundle([index]))


def test_a_non_canonical_entry_is_refused() -> None:
    log = standard_log()
    canonical = log.make_entry(PRODUCER, "event.recorded", {"b": 1, "a": 2})
    index = log.append_data(json.dumps(json.loads(canonical)).encode())
    with pytest.raises(FormatError, match=rf"^entry {index}: format: JSON is not in RFC 8785"):
        verify_bundle(log.bundle([index]))


def test_a_bad_signature_is_refused() -> None:
    log = standard_log()
    index = log.append_data(log.make_entry(OUTSIDER, "event.recorded", {}, actor=PRODUCER.key_name))
    with pytest.raises(SignatureError, match=rf"^entry {index}: signature: expected a valid"):
        verify_bundle(log.bundle([index]))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b.pop("vkey"), "bundle: expected fields"),
        (lambda b: b.update(extra=1), "bundle: expected fields"),
        (lambda b: b.update(checkpoint=5), "bundle checkpoint: expected a string"),
        (lambda b: b.update(entries={}), "bundle entries: expected a list"),
        (lambda b: b["entries"][0].pop("proof"), r"bundle entries\[0\]: expected fields"),
        (lambda b: b["entries"][0].update(index=-1), "index: expected a non-negative integer"),
        (lambda b: b["entries"][0].update(index=True), "index: expected a non-negative integer"),
        (lambda b: b["entries"][0].update(entry=1), "entry: expected a base64 string"),
        (lambda b: b["entries"][0].update(proof="AA=="), "proof: expected a list of base64"),
        (lambda b: b["entries"][0].update(entry="AAB="), "not canonical base64"),
    ],
)
def test_malformed_bundles_are_format_errors(mutate: Any, message: str) -> None:
    bundle = standard_log().bundle([5])
    mutate(bundle)
    with pytest.raises(FormatError, match=message):
        verify_bundle(bundle)


def test_load_bundle_refuses_what_is_not_a_bundle() -> None:
    with pytest.raises(FormatError, match="bundle: not JSON"):
        load_bundle(b"{")
    with pytest.raises(FormatError, match="duplicate object name"):
        load_bundle(b'{"vkey": "", "vkey": ""}')
    with pytest.raises(FormatError, match="bundle: expected fields"):
        load_bundle(b"[]")


def test_build_bundle_checks_the_checkpoint_and_stored_leaves() -> None:
    log = standard_log()
    pairs = [(0, log.entries[0]), (5, log.entries[5])]
    with pytest.raises(CheckpointError, match="checkpoint size: expected 9, found"):
        build_bundle(log.checkpoint(), log.vkey, pairs, log.store, 9)
    wrong_root = log.checkpoint(root=log.root(3))
    with pytest.raises(CheckpointError, match="expected the stored root"):
        build_bundle(wrong_root, log.vkey, pairs, log.store, log.size)
    with pytest.raises(ProofError, match=r"^entry 5: leaf: expected the stored "):
        build_bundle(log.checkpoint(), log.vkey, [(5, b"other")], log.store, log.size)
    with pytest.raises(FormatError, match="duplicate"):
        build_bundle(log.checkpoint(), log.vkey, pairs + pairs[1:], log.store, log.size)


def test_a_bundle_is_the_documented_json() -> None:
    log = standard_log()
    bundle = log.bundle([5])
    assert set(bundle) == {"checkpoint", "vkey", "entries"}
    row = rows(bundle)[5]
    assert set(row) == {"index", "entry", "proof"}
    assert base64.b64decode(row["entry"]) == log.entries[5]
    assert all(len(base64.b64decode(h)) == 32 for h in row["proof"])
    genesis = rows(bundle)[0]
    assert json.loads(base64.b64decode(genesis["entry"]))["type"] == KEY_REGISTERED
    assert json.loads(base64.b64decode(genesis["entry"]))["actor"] == ADMIN.key_name
