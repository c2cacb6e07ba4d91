"""C2SP signed-note keys (ledger.keys) against RFC 8032 §7.1 and the C2SP/Go note vectors."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from ledger.errors import FormatError, SignatureError
from ledger.keys import Verifier, b64decode, b64encode, key_id, split_key_name, validate_key_name
from ledger.signing import Signer

VECTORS = Path(__file__).parent.parent / "fixtures" / "ledger-vectors"
RFC8032 = json.loads((VECTORS / "rfc8032_ed25519.json").read_text("utf-8"))["vectors"]
NOTES = {
    v["id"]: v for v in json.loads((VECTORS / "c2sp_notes.json").read_text("utf-8"))["vectors"]
}


def _rfc8032_ids(vector: dict[str, Any]) -> str:
    return str(vector["name"])


@pytest.mark.parametrize("vector", RFC8032, ids=_rfc8032_ids)
def test_rfc8032_sign_gives_the_published_key_and_signature(vector: dict[str, Any]) -> None:
    signer = Signer.from_seed("rfc8032.example/test", bytes.fromhex(vector["secret_key"]))
    assert signer.public_key.hex() == vector["public_key"]
    assert signer.sign(bytes.fromhex(vector["message"])).hex() == vector["signature"]


@pytest.mark.parametrize("vector", RFC8032, ids=_rfc8032_ids)
def test_rfc8032_verify_accepts_the_published_signature(vector: dict[str, Any]) -> None:
    verifier = Verifier("rfc8032.example/test", bytes.fromhex(vector["public_key"]))
    verifier.verify(bytes.fromhex(vector["message"]), bytes.fromhex(vector["signature"]))


@pytest.mark.parametrize("vector", RFC8032, ids=_rfc8032_ids)
def test_rfc8032_verify_rejects_every_mutation(vector: dict[str, Any]) -> None:
    verifier = Verifier("rfc8032.example/test", bytes.fromhex(vector["public_key"]))
    message = bytes.fromhex(vector["message"])
    signature = bytes.fromhex(vector["signature"])
    for position in (0, 31, 32, 63):
        flipped = bytearray(signature)
        flipped[position] ^= 0x01
        with pytest.raises(SignatureError, match="invalid signature"):
            verifier.verify(message, bytes(flipped))
    with pytest.raises(SignatureError):
        verifier.verify(message + b"\x00", signature)
    with pytest.raises(SignatureError, match="expected 64 bytes"):
        verifier.verify(message, signature[:-1])
    other = Verifier("rfc8032.example/test", bytes.fromhex(RFC8032[0]["public_key"]))
    if other != verifier:
        with pytest.raises(SignatureError):
            other.verify(message, signature)


def test_key_id_is_truncated_sha256_of_name_newline_type_and_key() -> None:
    public_key = bytes.fromhex(RFC8032[0]["public_key"])
    expected = hashlib.sha256(b"example.com/a\n\x01" + public_key).digest()[:4]
    assert key_id("example.com/a", public_key) == expected
    assert key_id("example.com/a", public_key, 0x04) != expected


@pytest.mark.parametrize(
    "vkey",
    [
        NOTES["c2sp-signed-note-example"]["vkey"],
        NOTES["go-note-sign"]["vkey"],
        *NOTES["go-note-two-sigs-both-known"]["vkeys_trusted"],
        NOTES["sum.golang.org-real-checkpoint"]["vkey"],
        NOTES["derived-checkpoint-8-leaf"]["vkey"],
    ],
)
def test_published_vkeys_parse_and_re_encode_identically(vkey: str) -> None:
    verifier = Verifier.from_vkey(vkey)
    assert verifier.vkey == vkey
    assert vkey.startswith(verifier.key_name + "+")
    assert verifier.key_id == key_id(verifier.name, verifier.public_key)


@pytest.mark.parametrize("vkey", NOTES["go-note-bad-vkeys"]["invalid_vkeys"])
def test_go_bad_vkeys_are_rejected(vkey: str) -> None:
    with pytest.raises(FormatError):
        Verifier.from_vkey(vkey)


@pytest.mark.parametrize("vector_id", ["go-note-sign", "derived-checkpoint-8-leaf"])
def test_private_key_strings_from_go_round_trip(vector_id: str) -> None:
    vector = NOTES[vector_id]
    signer = Signer.from_private_key_string(vector["skey"])
    assert signer.vkey == vector["vkey"]
    assert signer.to_private_key_string() == vector["skey"]
    assert signer.verifier == Verifier.from_vkey(vector["vkey"])


def test_generated_signer_round_trips_through_its_private_key_string() -> None:
    signer = Signer.generate("truyxuat.ocop.example.vn/admin")
    restored = Signer.from_private_key_string(signer.to_private_key_string())
    assert restored.vkey == signer.vkey
    message = b"Tr\xc3\xa0 Shan tuy\xe1\xba\xbft"
    signer.verifier.verify(message, restored.sign(message))


def test_signer_repr_never_shows_the_private_key() -> None:
    signer = Signer.generate("example.com/secret")
    # PRIVATE+KEY+<name>+<hash>+<base64>: the base64 itself may hold a "+".
    private = signer.to_private_key_string().split("+", 4)[4]
    assert len(private) > 40
    assert private not in repr(signer)
    assert repr(signer) == f"Signer({signer.key_name!r})"


@pytest.mark.parametrize(
    ("skey", "problem"),
    [
        ("PRIVATE+KEY+PeterNeumann+c74f20a3", "is not PRIVATE"),
        ("KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "PRIVATE"),
        ("PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "ID"),
        ("PRIVATE+KEY+PeterNeumann+C74F20A3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "hex"),
        ("PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "0x01"),
        ("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKD", "base64"),
        (
            "PRIVATE+KEY+Peter Neumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
            "space",
        ),
    ],
)
def test_malformed_private_key_strings_are_rejected_without_echoing_them(
    skey: str, problem: str
) -> None:
    with pytest.raises(FormatError, match=problem) as info:
        Signer.from_private_key_string(skey)
    assert "AYEKFALVFGyNhPJEMzD1QIDr" not in str(info.value)


GOOD_VKEY = NOTES["go-note-sign"]["vkey"]  # PeterNeumann+c74f20a3+ARpc...


@pytest.mark.parametrize(
    "vkey",
    [
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a3+",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNewmann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        "PeterNeumann+c74f20a3+BBpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW",
        # the same key with the key ID of the 0x04 (cosignature) type is not an Ed25519 vkey
        NOTES["derived-cosignature-v1"]["witness_vkey"],
    ],
)
def test_malformed_vkeys_are_rejected(vkey: str) -> None:
    with pytest.raises(FormatError):
        Verifier.from_vkey(vkey)


@pytest.mark.parametrize(
    "name", ["", "a+b", "a b", "a\tb", "a\nb", "a\u00a0b", "a\u2003b", "a\x00b", "a\x7fb"]
)
def test_key_names_follow_the_signed_note_rules(name: str) -> None:
    with pytest.raises(FormatError):
        validate_key_name(name)
    with pytest.raises(FormatError):
        Signer.generate(name)


@pytest.mark.parametrize("name", ["example.com/foo", "Trà-Shan/tuyết", "a", "oid/1.3.6.1.4"])
def test_valid_key_names_are_accepted(name: str) -> None:
    signer = Signer.generate(name)
    assert split_key_name(signer.key_name) == (name, signer.key_id)
    assert Verifier.from_vkey(signer.vkey) == signer.verifier


@pytest.mark.parametrize(
    "key_name",
    ["alice", "alice+", "alice+0000000", "alice+000000000", "alice+ABCDEF01", "+00000000"],
)
def test_split_key_name_rejects_bad_actor_strings(key_name: str) -> None:
    with pytest.raises(FormatError):
        split_key_name(key_name)


def test_verifier_pickles_for_worker_processes() -> None:
    signer = Signer.generate("example.com/worker")
    verifier = pickle.loads(pickle.dumps(signer.verifier))
    assert verifier == signer.verifier
    verifier.verify(b"batch", signer.sign(b"batch"))
    with pytest.raises(SignatureError):
        verifier.verify(b"batch!", signer.sign(b"batch"))


def test_verifier_rejects_wrong_public_key_size() -> None:
    with pytest.raises(FormatError, match="32 bytes"):
        Verifier("example.com/short", bytes(31))


@pytest.mark.parametrize("text", ["AA", "AB==", " AA==", "AA==\n", "AA=", "A===", "-_8=", "?"])
def test_b64decode_accepts_only_canonical_standard_base64(text: str) -> None:
    with pytest.raises(FormatError):
        b64decode(text, "test")


@pytest.mark.parametrize("data", [b"", b"\x00", b"\xff\xfe", bytes(range(64))])
def test_b64_round_trip(data: bytes) -> None:
    assert b64decode(b64encode(data), "test") == data
