"""ledger.merkle against tlog-scales, an independent RFC 9162 / C2SP tlog-tiles implementation.

tlog-scales (PyPI, Apache-2.0) writes a real tlog-tiles log from the leaf data, computes roots
and RFC 6962 PATH/SUBPROOF proofs from those tiles, and verifies proofs with a literal
transcription of RFC 9162 §2.1.3.2 and §2.1.4.2. It is a test-only dependency.
"""

from __future__ import annotations

import importlib
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import ProofError
from ledger.merkle import CompactRange, leaf_hash
from ledger.proof_verification import verify_consistency, verify_inclusion
from ledger.tree_store import MemoryHashStore, consistency_proof, inclusion_proof, root_at

# A dev dependency: a missing install must fail, never skip the differential test silently.
tlog_backend = importlib.import_module("tlog_scales.backend")
tlog_reader = importlib.import_module("tlog_scales.reader")
tlog = importlib.import_module("tlog_scales.tlog")
tlog_writer = importlib.import_module("tlog_scales.writer")

SIZE = 3000  # several full level-0 tiles, a level-1 tile, and a partial tile at the end
ENTRIES = [f"ledger entry {i}".encode() for i in range(SIZE)]
# A tiles reader serves only the sizes the log was committed at (it needs their partial tiles),
# and each commit costs a few ms of fsync, so commit at tile edges and at random sizes.
COMMITTED_SIZES = sorted(
    {1, 2, 3, 4, 5, 7, 8, 9, 255, 256, 257, 511, 512, 513, 1024, 2047, 2048, 2049, SIZE}
    | set(random.Random(6962).sample(range(1, SIZE), 100))
)
VECTORS_PATH = Path(__file__).parent.parent / "fixtures" / "ledger-vectors" / "rfc6962_merkle.json"
PROBES: list[dict[str, Any]] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))["probes"]


@pytest.fixture(scope="module")
def store() -> MemoryHashStore:
    hash_store = MemoryHashStore()
    compact = CompactRange()
    for entry in ENTRIES:
        hash_store.put_many(compact.append(leaf_hash(entry)))
    return hash_store


@pytest.fixture(scope="module")
def tiles_reader(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A tlog-tiles log of ENTRIES written by tlog-scales, committed at COMMITTED_SIZES."""
    root = tmp_path_factory.mktemp("tlog") / "log"
    writer = tlog_writer.TilesWriter.create(root, "example.org/test-log")
    start = 0
    for end in COMMITTED_SIZES:
        for entry in ENTRIES[start:end]:
            writer.add_leaf(entry)
        writer.commit(signers=[])
        start = end
    return tlog_reader.TilesReader(tlog_backend.LocalBackend(root))


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_roots_and_proofs_match_tlog_scales(
    store: MemoryHashStore, tiles_reader: Any, data: st.DataObject
) -> None:
    new_size = data.draw(st.sampled_from(COMMITTED_SIZES[1:]), label="size")
    index = data.draw(st.integers(min_value=0, max_value=new_size - 1), label="index")
    old_size = data.draw(
        st.sampled_from([n for n in COMMITTED_SIZES if n < new_size]), label="old size"
    )
    tiles_reader.set_size(new_size)
    new_root = tiles_reader.calculate_root_hash()
    assert root_at(store, new_size) == new_root

    theirs = tiles_reader.get_inclusion_proof(index, new_size)
    ours = inclusion_proof(store, index, new_size)
    assert ours == theirs.node_hashes
    tlog.InclusionProof(index, new_size, ours).check(leaf_hash(ENTRIES[index]), new_root)
    verify_inclusion(leaf_hash(ENTRIES[index]), index, new_size, theirs.node_hashes, new_root)

    theirs = tiles_reader.get_consistency_proof(old_size, new_size)
    ours = consistency_proof(store, old_size, new_size)
    assert ours == theirs.node_hashes
    old_root = root_at(store, old_size)
    tlog.ConsistencyProof(old_size, new_size, ours).check(old_root, new_root)
    verify_consistency(old_size, new_size, old_root, new_root, ours)


@pytest.mark.parametrize("probe", PROBES, ids=[f"{i}-{p['desc']}" for i, p in enumerate(PROBES)])
def test_both_verifiers_agree_on_every_probe(probe: dict[str, Any]) -> None:
    proof = [bytes.fromhex(h) for h in probe["proof"]]
    if probe["kind"] == "inclusion":
        leaf, root = bytes.fromhex(probe["leaf_hash"]), bytes.fromhex(probe["root"])
        index, size = probe["leaf_index"], probe["tree_size"]
        theirs = _accepts(lambda: tlog.InclusionProof(index, size, proof).check(leaf, root))
        ours = _accepts(lambda: verify_inclusion(leaf, index, size, proof, root))
    else:
        old_root, new_root = bytes.fromhex(probe["root1"]), bytes.fromhex(probe["root2"])
        old_size, new_size = probe["size1"], probe["size2"]
        theirs = _accepts(
            lambda: tlog.ConsistencyProof(old_size, new_size, proof).check(old_root, new_root)
        )
        ours = _accepts(lambda: verify_consistency(old_size, new_size, old_root, new_root, proof))
    assert ours == theirs == (not probe["want_error"])


def _accepts(check: Any) -> bool:
    try:
        check()
    except (ProofError, tlog.InclusionProofInvalid, tlog.ConsistencyProofInvalid):
        return False
    return True
