"""C2SP checkpoints (ledger.checkpoint) against Go, sum.golang.org and derived vectors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.checkpoint import MAX_TREE_SIZE, Checkpoint, open_checkpoint
from ledger.errors import CheckpointError, FormatError, SignatureError
from ledger.keys import Verifier, b64encode
from ledger.note import parse_note
from ledger.signing import Signer, sign_checkpoint, sign_note

VECTORS = Path(__file__).parent.parent / "fixtures" / "ledger-vectors"
NOTES = {
    v["id"]: v for v in json.loads((VECTORS / "c2sp_notes.json").read_text("utf-8"))["vectors"]
}
MERKLE_ROOTS = json.loads((VECTORS / "rfc6962_merkle.json").read_text("utf-8"))[
    "roots_by_tree_size"
]

FAULT_TEST = NOTES["derived-checkpoint-8-leaf"]
LOG_SIGNER = Signer.from_private_key_string(FAULT_TEST["skey"])
LOG_VERIFIER = Verifier.from_vkey(FAULT_TEST["vkey"])
ROOT = bytes(range(32))


def test_go_sumdb_tree_format() -> None:
    vector = NOTES["go-sumdb-tree-format"]
    record_hash = hashlib.sha256(b"\x00" + vector["record"].encode()).digest()  # tlog.RecordHash
    assert b64encode(record_hash) == vector["record_hash_b64"]
    checkpoint = Checkpoint("go.sum database tree", 123456789012, record_hash)
    assert checkpoint.to_text() == vector["note_text"]
    assert Checkpoint.parse(vector["note_text"]) == checkpoint


def test_real_sum_golang_org_checkpoint_verifies_under_its_published_vkey() -> None:
    vector = NOTES["sum.golang.org-real-checkpoint"]
    verifier = Verifier.from_vkey(vector["vkey"])
    checkpoint = open_checkpoint(vector["signed_note"], verifier, origin="go.sum database tree")
    assert checkpoint.origin == "go.sum database tree"
    assert checkpoint.size == 65664258
    assert checkpoint.to_text() == parse_note(vector["signed_note"]).text


def test_real_sum_golang_org_checkpoint_fails_our_origin_rule() -> None:
    # DESIGN §5: our log key's name equals its origin; sum.golang.org's does not
    vector = NOTES["sum.golang.org-real-checkpoint"]
    with pytest.raises(CheckpointError, match="origin"):
        open_checkpoint(vector["signed_note"], Verifier.from_vkey(vector["vkey"]))


def test_real_sum_golang_org_checkpoint_rejects_tampering() -> None:
    vector = NOTES["sum.golang.org-real-checkpoint"]
    tampered = vector["signed_note"].replace("65664258", "65664259")
    with pytest.raises(SignatureError):
        open_checkpoint(tampered, Verifier.from_vkey(vector["vkey"]), origin="go.sum database tree")


@pytest.mark.parametrize(
    ("vector_id", "size"), [("derived-checkpoint-8-leaf", 8), ("derived-checkpoint-7-leaf", 7)]
)
def test_derived_checkpoints_verify_and_match_the_rfc6962_roots(vector_id: str, size: int) -> None:
    vector = NOTES[vector_id]
    checkpoint = open_checkpoint(vector["signed_note"], Verifier.from_vkey(vector["vkey"]))
    assert checkpoint == Checkpoint("example.com/fault_test", size, checkpoint.root_hash)
    assert checkpoint.root_hash.hex() == MERKLE_ROOTS[str(size)]
    # Ed25519 is deterministic: signing the same checkpoint gives the same bytes
    assert sign_checkpoint(checkpoint, LOG_SIGNER) == vector["signed_note"]


def test_derived_8_leaf_root_prefix() -> None:
    checkpoint = open_checkpoint(FAULT_TEST["signed_note"], LOG_VERIFIER)
    assert checkpoint.root_hash.hex().startswith("5dc9da79")


def test_c2sp_example_parses_but_has_no_known_signature() -> None:
    vector = NOTES["c2sp-checkpoint-example-format-only"]
    checkpoint = Checkpoint.parse(parse_note(vector["signed_note"]).text)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    with pytest.raises(SignatureError, match="no verifiable signatures"):
        open_checkpoint(vector["signed_note"], LOG_VERIFIER)
    sofa = Signer.generate("example.com/behind-the-sofa").verifier
    with pytest.raises(SignatureError, match="no verifiable signatures"):
        open_checkpoint(vector["signed_note"], sofa)


def test_sign_and_open_round_trip() -> None:
    signer = Signer.generate("truyxuat.ocop.example.vn/log")
    checkpoint = Checkpoint("truyxuat.ocop.example.vn/log", 0, hashlib.sha256(b"").digest())
    note = sign_checkpoint(checkpoint, signer)
    assert note.startswith(
        "truyxuat.ocop.example.vn/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— "
    )
    assert open_checkpoint(note, signer.verifier) == checkpoint
    assert open_checkpoint(note.encode("utf-8"), signer.verifier) == checkpoint


def test_sign_refuses_a_key_whose_name_is_not_the_origin() -> None:
    with pytest.raises(CheckpointError, match="must equal the origin"):
        sign_checkpoint(Checkpoint("example.com/other", 1, ROOT), LOG_SIGNER)


def test_sign_refuses_extension_lines() -> None:
    checkpoint = Checkpoint("example.com/fault_test", 1, ROOT, ("ext",))
    with pytest.raises(CheckpointError, match="extension"):
        sign_checkpoint(checkpoint, LOG_SIGNER)


def test_open_with_the_wrong_key_fails() -> None:
    other = Signer.generate("example.com/fault_test")  # same name, different key
    with pytest.raises(SignatureError):
        open_checkpoint(FAULT_TEST["signed_note"], other.verifier)


def test_open_rejects_a_signed_note_that_is_not_a_checkpoint() -> None:
    note = sign_note("example.com/fault_test\nnot a size\nroot\n", LOG_SIGNER)
    with pytest.raises(CheckpointError, match="malformed checkpoint"):
        open_checkpoint(note, LOG_VERIFIER)


def test_open_rejects_a_malformed_note_as_a_checkpoint_error() -> None:
    with pytest.raises(CheckpointError, match="signed note"):
        open_checkpoint(FAULT_TEST["signed_note"].replace("— ", "-- "), LOG_VERIFIER)


def test_open_with_an_explicit_origin_must_match_it() -> None:
    with pytest.raises(CheckpointError, match="does not match"):
        open_checkpoint(FAULT_TEST["signed_note"], LOG_VERIFIER, origin="example.com/other")


def test_extension_lines_are_parsed_and_kept() -> None:
    text = f"example.com/log\n5\n{b64encode(ROOT)}\nfirst ext\nsecond\n"
    checkpoint = Checkpoint.parse(text)
    assert checkpoint.extensions == ("first ext", "second")
    assert checkpoint.to_text() == text


ROOT_B64 = b64encode(ROOT)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param(f"example.com/log\n5\n{ROOT_B64}", id="no-final-newline"),
        pytest.param("example.com/log\n5\n", id="two-lines"),
        pytest.param(f"\n5\n{ROOT_B64}\n", id="empty-origin"),
        pytest.param(f"example.com/log\n\n{ROOT_B64}\n", id="empty-size"),
        pytest.param(f"example.com/log\n05\n{ROOT_B64}\n", id="leading-zero"),
        pytest.param(f"example.com/log\n-1\n{ROOT_B64}\n", id="negative"),
        pytest.param(f"example.com/log\n+1\n{ROOT_B64}\n", id="plus-sign"),
        pytest.param(f"example.com/log\n 1\n{ROOT_B64}\n", id="space"),
        pytest.param(f"example.com/log\n1.0\n{ROOT_B64}\n", id="decimal-point"),
        pytest.param(f"example.com/log\n١\n{ROOT_B64}\n", id="arabic-indic-digit"),
        pytest.param(f"example.com/log\n{2**63}\n{ROOT_B64}\n", id="size-over-int64"),
        pytest.param("example.com/log\n1\n\n", id="empty-root"),
        pytest.param(f"example.com/log\n1\n{b64encode(bytes(31))}\n", id="root-31-bytes"),
        pytest.param(f"example.com/log\n1\n{b64encode(bytes(33))}\n", id="root-33-bytes"),
        pytest.param(f"example.com/log\n1\n{ROOT_B64.rstrip('=')}\n", id="root-unpadded"),
        pytest.param(f"example.com/log\n1\n{ROOT_B64[:-2]}9=\n", id="root-non-canonical"),
        pytest.param(f"example.com/log\n1\n{ROOT_B64}\n\n", id="empty-extension-line"),
        pytest.param(f"example.com/log\n1\n{ROOT_B64}\r\n", id="carriage-return"),
    ],
)
def test_malformed_checkpoint_text_is_rejected(text: str) -> None:
    with pytest.raises(FormatError):
        Checkpoint.parse(text)


def test_largest_int64_size_is_accepted() -> None:
    checkpoint = Checkpoint.parse(f"example.com/log\n{MAX_TREE_SIZE}\n{ROOT_B64}\n")
    assert checkpoint.size == 2**63 - 1


@pytest.mark.parametrize(
    ("origin", "size", "root"),
    [("", 1, ROOT), ("a\nb", 1, ROOT), ("o", -1, ROOT), ("o", 2**63, ROOT), ("o", 1, bytes(31))],
)
def test_checkpoint_constructor_enforces_its_invariants(
    origin: str, size: int, root: bytes
) -> None:
    with pytest.raises(FormatError):
        Checkpoint(origin, size, root)


_ORIGIN = st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40)


@given(_ORIGIN, st.integers(0, MAX_TREE_SIZE), st.binary(min_size=32, max_size=32))
def test_checkpoint_text_round_trips(origin: str, size: int, root: bytes) -> None:
    checkpoint = Checkpoint(origin, size, root)
    assert Checkpoint.parse(checkpoint.to_text()) == checkpoint
