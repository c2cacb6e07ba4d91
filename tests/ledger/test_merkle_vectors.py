"""ledger.merkle against the RFC 6962 / RFC 9162 vectors in tests/fixtures/ledger-vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.errors import ProofError
from ledger.merkle import EMPTY_ROOT, CompactRange, leaf_hash, root_from_leaf_hashes
from ledger.proof_verification import verify_consistency, verify_inclusion
from ledger.tree_store import (
    MemoryHashStore,
    compact_range_from_store,
    consistency_proof,
    inclusion_proof,
    root_at,
)

VECTORS_PATH = Path(__file__).parent.parent / "fixtures" / "ledger-vectors" / "rfc6962_merkle.json"
VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
LEAF_HASHES = [bytes.fromhex(h) for h in VECTORS["leaf_hashes"]]


def _hashes(hex_list: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hex_list]


def _case_id(case: dict[str, Any]) -> str:
    if "leaf_index" in case:
        return f"index{case['leaf_index']}-size{case['tree_size']}"
    return f"size{case['size1']}-to-{case['size2']}"


@pytest.fixture(scope="module")
def store() -> MemoryHashStore:
    hash_store = MemoryHashStore()
    compact = CompactRange()
    for h in LEAF_HASHES:
        hash_store.put_many(compact.append(h))
    return hash_store


def test_vector_file_has_the_expected_sections() -> None:
    # Guards against a truncated or replaced fixture silently shrinking the parametrised tests.
    assert len(VECTORS["leaf_inputs_hex"]) == 8
    assert len(VECTORS["roots_by_tree_size"]) == 9
    assert len(VECTORS["inclusion_proofs_all"]) == 36  # every (index, size) for size 1..8
    assert len(VECTORS["consistency_proofs_all"]) == 28  # every 0 < size1 < size2 <= 8
    assert len(VECTORS["probes"]) == 110


def test_empty_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == VECTORS["roots_by_tree_size"]["0"]


def test_leaf_hashes_of_the_leaf_inputs() -> None:
    computed = [leaf_hash(bytes.fromhex(data)) for data in VECTORS["leaf_inputs_hex"]]
    assert computed == LEAF_HASHES


@pytest.mark.parametrize("size", range(9))
def test_roots_by_tree_size(size: int, store: MemoryHashStore) -> None:
    expected = bytes.fromhex(VECTORS["roots_by_tree_size"][str(size)])
    assert root_from_leaf_hashes(LEAF_HASHES[:size]) == expected
    assert root_at(store, size) == expected
    compact = CompactRange()
    for h in LEAF_HASHES[:size]:
        compact.append(h)
    assert compact.root() == expected
    assert compact_range_from_store(store, size).root() == expected


def test_complete_subtree_hashes_are_what_compact_range_emits(store: MemoryHashStore) -> None:
    levels = [_hashes(level) for level in VECTORS["complete_subtree_hashes_by_level"]]
    for level, hashes in enumerate(levels):
        assert store.get_many([(level, i) for i in range(len(hashes))]) == hashes
    with pytest.raises(LookupError):
        store.get(len(levels), 0)


@pytest.mark.parametrize(
    "case", VECTORS["inclusion_proofs_transcribed"] + VECTORS["inclusion_proofs_all"], ids=_case_id
)
def test_inclusion_proofs(case: dict[str, Any], store: MemoryHashStore) -> None:
    index, size = case["leaf_index"], case["tree_size"]
    expected = _hashes(case["proof"])
    assert inclusion_proof(store, index, size) == expected
    root = bytes.fromhex(case.get("root") or VECTORS["roots_by_tree_size"][str(size)])
    verify_inclusion(LEAF_HASHES[index], index, size, expected, root)


@pytest.mark.parametrize(
    "case",
    VECTORS["consistency_proofs_transcribed"] + VECTORS["consistency_proofs_all"],
    ids=_case_id,
)
def test_consistency_proofs(case: dict[str, Any], store: MemoryHashStore) -> None:
    old_size, new_size = case["size1"], case["size2"]
    expected = _hashes(case["proof"])
    assert consistency_proof(store, old_size, new_size) == expected
    old_root = bytes.fromhex(VECTORS["roots_by_tree_size"][str(old_size)])
    new_root = bytes.fromhex(VECTORS["roots_by_tree_size"][str(new_size)])
    verify_consistency(old_size, new_size, old_root, new_root, expected)


@pytest.mark.parametrize(
    "probe",
    VECTORS["probes"],
    ids=[f"{i}-{p['kind']}-{p['desc']}" for i, p in enumerate(VECTORS["probes"])],
)
def test_probe(probe: dict[str, Any]) -> None:
    proof = _hashes(probe["proof"])
    if probe["kind"] == "inclusion":

        def check() -> None:
            verify_inclusion(
                bytes.fromhex(probe["leaf_hash"]),
                probe["leaf_index"],
                probe["tree_size"],
                proof,
                bytes.fromhex(probe["root"]),
            )

    else:
        assert probe["kind"] == "consistency"

        def check() -> None:
            verify_consistency(
                probe["size1"],
                probe["size2"],
                bytes.fromhex(probe["root1"]),
                bytes.fromhex(probe["root2"]),
                proof,
            )

    if probe["want_error"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()
