"""cosignature/v1 (ledger.cosignature) against the derived C2SP tlog-cosignature vector."""

from __future__ import annotations

import base64
import json
import pickle
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.cosignature import (
    COSIGNATURE_TYPE,
    CosignatureSigner,
    CosignatureVerifier,
    cosign,
    cosignature_message,
    verify_cosignature,
)
from ledger.errors import FormatError, SignatureError
from ledger.keys import Verifier, key_id
from ledger.note import parse_note
from ledger.signing import Signer, sign_checkpoint, sign_note

VECTORS = Path(__file__).parent.parent / "fixtures" / "ledger-vectors"
NOTES = {
    v["id"]: v for v in json.loads((VECTORS / "c2sp_notes.json").read_text("utf-8"))["vectors"]
}
RFC8032_TEST_1 = json.loads((VECTORS / "rfc8032_ed25519.json").read_text("utf-8"))["vectors"][0]

VECTOR = NOTES["derived-cosignature-v1"]
WITNESS = CosignatureVerifier.from_vkey(VECTOR["witness_vkey"])
LOG = Verifier.from_vkey(VECTOR["log_vkey"])
LOG_SIGNER = Signer.from_private_key_string(NOTES["derived-checkpoint-8-leaf"]["skey"])
TIMESTAMP = VECTOR["timestamp"]


def _witness_signer(clock: int = TIMESTAMP) -> CosignatureSigner:
    seed = bytes.fromhex(RFC8032_TEST_1["secret_key"])
    return CosignatureSigner(
        "witness.example/w1", Ed25519PrivateKey.from_private_bytes(seed), lambda: clock
    )


def test_derived_cosignature_v1_verifies() -> None:
    cosignature = verify_cosignature(VECTOR["cosigned_checkpoint"], WITNESS)
    assert cosignature.timestamp == 1700000000
    assert cosignature.cosigner == "witness.example/w1+eb762cc2"
    assert cosignature.checkpoint.size == 8
    assert cosignature.checkpoint.root_hash.hex().startswith("5dc9da79")


def test_log_signature_still_verifies_beside_the_cosignature() -> None:
    checkpoint = open_checkpoint(VECTOR["cosigned_checkpoint"], LOG)
    assert checkpoint == verify_cosignature(VECTOR["cosigned_checkpoint"], WITNESS).checkpoint


def test_signed_message_matches_the_vector() -> None:
    text = parse_note(VECTOR["cosigned_checkpoint"]).text
    assert cosignature_message(text, TIMESTAMP) == VECTOR["signed_message"].encode("utf-8")


def test_signature_line_layout_is_keyid_timestamp_signature() -> None:
    line = parse_note(VECTOR["cosigned_checkpoint"]).signatures[1]
    assert line.key_id == WITNESS.key_id == bytes.fromhex("eb762cc2")
    assert int.from_bytes(line.signature[:8], "big") == TIMESTAMP
    assert len(base64.b64decode(VECTOR["cosigned_checkpoint"].split()[-1])) == 76


def test_witness_key_is_rfc8032_test_1_with_a_type_4_key_id() -> None:
    public_key = bytes.fromhex(RFC8032_TEST_1["public_key"])
    assert WITNESS.public_key == public_key
    assert WITNESS.key_id == key_id("witness.example/w1", public_key, COSIGNATURE_TYPE)
    assert WITNESS.vkey == VECTOR["witness_vkey"]


def test_cosign_reproduces_the_vector_byte_for_byte() -> None:
    signer = _witness_signer()
    assert signer.vkey == VECTOR["witness_vkey"]
    log_note = NOTES["derived-checkpoint-8-leaf"]["signed_note"]
    assert cosign(log_note, signer) == VECTOR["cosigned_checkpoint"]


def test_tampered_timestamp_fails() -> None:
    note = VECTOR["cosigned_checkpoint"]
    line = parse_note(note).signatures[1]
    later = (TIMESTAMP + 1).to_bytes(8, "big") + line.signature[8:]
    forged = note.replace(
        note.splitlines()[-1],
        "— witness.example/w1 " + base64.b64encode(line.key_id + later).decode(),
    )
    with pytest.raises(SignatureError, match="invalid signature"):
        verify_cosignature(forged, WITNESS)


def test_cosignature_over_another_checkpoint_fails() -> None:
    witness_line = VECTOR["cosigned_checkpoint"].splitlines(keepends=True)[-1]
    seven = NOTES["derived-checkpoint-7-leaf"]["signed_note"]
    with pytest.raises(SignatureError, match="invalid signature"):
        verify_cosignature(seven + witness_line, WITNESS)


def test_missing_cosignature_is_rejected() -> None:
    with pytest.raises(SignatureError, match="no verifiable signatures"):
        verify_cosignature(NOTES["derived-checkpoint-8-leaf"]["signed_note"], WITNESS)


def test_a_different_witness_key_is_ignored_and_so_rejected() -> None:
    other = CosignatureSigner("witness.example/w1", Ed25519PrivateKey.generate())
    with pytest.raises(SignatureError, match="no verifiable signatures"):
        verify_cosignature(VECTOR["cosigned_checkpoint"], other.verifier)


def test_round_trip_with_a_generated_log_and_witness() -> None:
    log = Signer.generate("truyxuat.ocop.example.vn/log")
    signed = sign_checkpoint(Checkpoint(log.name, 3, bytes(32)), log)
    witness = CosignatureSigner(
        "witness.example.vn/w", Ed25519PrivateKey.generate(), lambda: 1_767_225_600
    )
    cosigned = cosign(signed, witness)
    cosignature = verify_cosignature(cosigned, witness.verifier)
    assert (cosignature.timestamp, cosignature.checkpoint.size) == (1_767_225_600, 3)
    assert open_checkpoint(cosigned, log.verifier).size == 3


def test_default_clock_uses_the_current_time() -> None:
    witness = CosignatureSigner("witness.example.vn/w", Ed25519PrivateKey.generate())
    before = int(time.time())
    signed = sign_checkpoint(Checkpoint(LOG_SIGNER.name, 1, bytes(32)), LOG_SIGNER)
    stamp = verify_cosignature(cosign(signed, witness), witness.verifier).timestamp
    assert before <= stamp <= int(time.time())


def test_a_plain_ed25519_signature_is_not_a_cosignature() -> None:
    # same key and name, but type 0x01 key ID and no timestamp: never matches the 0x04 verifier
    signer = Signer(
        "witness.example/w1",
        Ed25519PrivateKey.from_private_bytes(bytes.fromhex(RFC8032_TEST_1["secret_key"])),
    )
    note = sign_note(parse_note(NOTES["derived-checkpoint-8-leaf"]["signed_note"]).text, signer)
    with pytest.raises(SignatureError, match="no verifiable signatures"):
        verify_cosignature(note, WITNESS)


def test_wrong_payload_length_is_rejected() -> None:
    text = parse_note(VECTOR["cosigned_checkpoint"]).text.encode()
    with pytest.raises(SignatureError, match="expected 72 bytes"):
        WITNESS.verify(text, bytes(71))


def test_timestamp_beyond_int64_is_rejected() -> None:
    text = parse_note(VECTOR["cosigned_checkpoint"]).text.encode()
    with pytest.raises(SignatureError, match="2\\^63"):
        WITNESS.verify(text, (2**63).to_bytes(8, "big") + bytes(64))
    with pytest.raises(FormatError):
        cosignature_message("x\n", -1)


def test_cosign_refuses_notes_that_are_not_checkpoints() -> None:
    note = sign_note("just some text\n", LOG_SIGNER)
    with pytest.raises(FormatError):
        cosign(note, _witness_signer())


@pytest.mark.parametrize(
    "vkey",
    [
        VECTOR["log_vkey"],  # type 0x01
        VECTOR["witness_vkey"].replace("eb762cc2", "eb762cc3"),
        "witness.example/w1+eb762cc2+BA==",
    ],
)
def test_malformed_witness_vkeys_are_rejected(vkey: str) -> None:
    with pytest.raises(FormatError):
        CosignatureVerifier.from_vkey(vkey)


def test_witness_repr_and_pickle() -> None:
    assert pickle.loads(pickle.dumps(WITNESS)).vkey == WITNESS.vkey
    assert "eb762cc2" in repr(WITNESS)
    assert RFC8032_TEST_1["secret_key"] not in repr(_witness_signer())
