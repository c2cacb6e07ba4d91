"""C2SP signed notes (ledger.note) against the C2SP/Go vectors and the format rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import FormatError, SignatureError
from ledger.keys import Verifier, b64encode
from ledger.note import MAX_SIGNATURES, NoteSignature, open_note, parse_note
from ledger.signing import Signer, add_signatures, sign_note

VECTORS = Path(__file__).parent.parent / "fixtures" / "ledger-vectors"
NOTES = {
    v["id"]: v for v in json.loads((VECTORS / "c2sp_notes.json").read_text("utf-8"))["vectors"]
}

# Every vector in c2sp_notes.json, and the test file that checks it.
VECTOR_HOMES = {
    "c2sp-signed-note-example": "test_note.py",
    "go-note-sign": "test_note.py",
    "go-note-two-sigs-one-known": "test_note.py",
    "go-note-two-sigs-both-known": "test_note.py",
    "go-note-no-known-key": "test_note.py",
    "go-note-corrupt-sig": "test_note.py",
    "go-note-bad-vkeys": "test_keys.py",
    "go-sumdb-tree-format": "test_checkpoint.py",
    "sum.golang.org-real-checkpoint": "test_checkpoint.py",
    "derived-checkpoint-8-leaf": "test_checkpoint.py",
    "derived-checkpoint-7-leaf": "test_checkpoint.py",
    "derived-cosignature-v1": "test_cosignature.py",
    "c2sp-checkpoint-example-format-only": "test_checkpoint.py",
}

PETER = Verifier.from_vkey(NOTES["go-note-sign"]["vkey"])
ENOCH = Verifier.from_vkey(NOTES["go-note-two-sigs-both-known"]["vkeys_trusted"][1])
QUOTE = NOTES["go-note-sign"]["text"]


def test_every_vector_in_the_file_is_checked_somewhere() -> None:
    assert set(NOTES) == set(VECTOR_HOMES)
    for vector_id, home in VECTOR_HOMES.items():
        assert vector_id in (Path(__file__).parent / home).read_text("utf-8")


def test_c2sp_spec_example_verifies() -> None:
    vector = NOTES["c2sp-signed-note-example"]
    opened = open_note(vector["signed_note"], [Verifier.from_vkey(vector["vkey"])])
    assert opened.text == "This is an example message.\n"
    assert opened.verified_key_names == ("example.com/foo+530d903a",)
    assert opened.unverified == ()


def test_go_sign_output_is_byte_identical() -> None:
    vector = NOTES["go-note-sign"]
    signer = Signer.from_private_key_string(vector["skey"])
    assert sign_note(vector["text"], signer) == vector["signed_note"]
    opened = open_note(vector["signed_note"].encode("utf-8"), [PETER])
    assert opened.text == vector["text"]
    assert opened.verified_key_names == ("PeterNeumann+c74f20a3",)


def test_go_two_signatures_one_known() -> None:
    vector = NOTES["go-note-two-sigs-one-known"]
    verifiers = [Verifier.from_vkey(v) for v in vector["vkeys_trusted"]]
    opened = open_note(vector["signed_note"], verifiers)
    assert [s.name for s in opened.verified] == ["PeterNeumann"]
    assert [s.name for s in opened.unverified] == ["EnochRoot"]


def test_go_two_signatures_both_known() -> None:
    vector = NOTES["go-note-two-sigs-both-known"]
    verifiers = [Verifier.from_vkey(v) for v in vector["vkeys_trusted"]]
    opened = open_note(vector["signed_note"], verifiers)
    assert opened.verified_key_names == ("PeterNeumann+c74f20a3", "EnochRoot+af0cfe78")
    assert opened.unverified == ()


def test_go_no_known_key_is_rejected() -> None:
    vector = NOTES["go-note-no-known-key"]
    assert vector["vkeys_trusted"] == []
    with pytest.raises(SignatureError, match="note has no verifiable signatures"):
        open_note(vector["signed_note"], [])


def test_go_corrupt_signature_from_a_known_key_rejects_the_note() -> None:
    vector = NOTES["go-note-corrupt-sig"]
    verifiers = [Verifier.from_vkey(v) for v in vector["vkeys_trusted"]]
    with pytest.raises(SignatureError, match=r"invalid signature for key PeterNeumann\+c74f20a3"):
        open_note(vector["signed_note"], verifiers)


def test_bad_known_signature_rejects_even_when_another_known_key_verifies() -> None:
    good = NOTES["go-note-two-sigs-both-known"]["signed_note"]
    enoch_line = good.splitlines(keepends=True)[-1]
    corrupt_enoch = enoch_line.replace("rwz+eBzm", "rwz+eBzn")
    with pytest.raises(SignatureError, match="EnochRoot"):
        open_note(good.replace(enoch_line, corrupt_enoch), [PETER, ENOCH])


def test_signature_sharing_only_the_name_with_a_known_key_is_ignored() -> None:
    impostor = Signer.generate("PeterNeumann")  # same name, different key ID
    note = sign_note(QUOTE, impostor)
    with pytest.raises(SignatureError, match="no verifiable signatures"):
        open_note(note, [PETER])
    opened = open_note(add_signatures(note, Signer.from_private_key_string(_peter_skey())), [PETER])
    assert opened.verified_key_names == ("PeterNeumann+c74f20a3",)
    assert opened.unverified[0].key_name == impostor.key_name


def test_signature_sharing_only_the_key_id_with_a_known_key_is_ignored() -> None:
    # the C2SP checkpoint example is signed by example.com/behind-the-sofa with key ID 033de0ae,
    # the key ID of sum.golang.org
    note = NOTES["c2sp-checkpoint-example-format-only"]["signed_note"]
    sumdb = Verifier.from_vkey(NOTES["sum.golang.org-real-checkpoint"]["vkey"])
    assert parse_note(note).signatures[0].key_id == sumdb.key_id
    with pytest.raises(SignatureError, match="no verifiable signatures"):
        open_note(note, [sumdb])


def _peter_skey() -> str:
    return str(NOTES["go-note-sign"]["skey"])


def test_repeated_signature_is_reported_once() -> None:
    note = NOTES["go-note-sign"]["signed_note"]
    sig_line = note.splitlines(keepends=True)[-1]
    unknown = "— Someone AAAAAAAA\n"
    doubled = note + sig_line + unknown + unknown
    opened = open_note(doubled, [PETER])
    assert opened.verified_key_names == ("PeterNeumann+c74f20a3",)
    assert len(opened.unverified) == 1


def test_text_may_contain_blank_lines_and_the_last_blank_line_separates() -> None:
    signer = Signer.generate("example.com/blank")
    for text in ("a\n\nb\n", "a\n\n", "\n", "\n\n\nx\n"):
        note = sign_note(text, signer)
        assert open_note(note, [signer.verifier]).text == text


def test_several_signers_sign_in_order_and_add_signatures_appends() -> None:
    first, second, third = (Signer.generate(f"example.com/s{i}") for i in range(3))
    note = sign_note("hello\n", first, second)
    assert [s.name for s in parse_note(note).signatures] == ["example.com/s0", "example.com/s1"]
    extended = add_signatures(note, third)
    assert extended.startswith(note)
    opened = open_note(extended, [first.verifier, second.verifier, third.verifier])
    assert len(opened.verified) == 3


def test_parse_note_re_encodes_identically() -> None:
    for vector in NOTES.values():
        if "signed_note" in vector:
            assert parse_note(vector["signed_note"]).encode() == vector["signed_note"]


def test_at_most_100_signatures() -> None:
    signer = Signer.generate("example.com/many")
    note = sign_note("x\n", signer)
    filler = NoteSignature("example.com/other", b"\x00\x00\x00\x01", bytes(64)).line()
    limit_note = note + filler * (MAX_SIGNATURES - 1)
    assert len(open_note(limit_note, [signer.verifier]).unverified) == 1
    with pytest.raises(FormatError, match="at most 100"):
        open_note(limit_note + filler, [signer.verifier])


def test_two_different_keys_with_the_same_name_and_id_are_refused() -> None:
    class Colliding:
        name = PETER.name
        key_id = PETER.key_id
        vkey = "PeterNeumann+c74f20a3+AQ=="

        def verify(self, message: bytes, signature: bytes) -> None:
            raise AssertionError("never reached")

    with pytest.raises(FormatError, match="share name and key ID"):
        open_note(NOTES["go-note-sign"]["signed_note"], [PETER, Colliding()])


GOOD = NOTES["go-note-sign"]["signed_note"]
GOOD_LINE = GOOD.splitlines(keepends=True)[-1]


@pytest.mark.parametrize(
    ("note", "problem"),
    [
        pytest.param(QUOTE, "no blank line", id="no-signatures"),
        pytest.param(QUOTE + "\n", "no signature lines", id="blank-line-only"),
        pytest.param(GOOD[:-1], "does not end in a newline", id="no-final-newline"),
        pytest.param("\n" + GOOD_LINE, "no blank line", id="empty-text"),
        pytest.param(GOOD.replace("If you", "If\tyou"), "control character", id="tab"),
        pytest.param(GOOD.replace("\n", "\r\n", 1), "control character", id="carriage-return"),
        pytest.param(GOOD.replace("If", "If\x00"), "control character", id="nul"),
        pytest.param(GOOD.replace("— ", "- "), "em dash", id="hyphen-not-em-dash"),
        pytest.param(GOOD.replace("— ", "—"), "em dash", id="no-space-after-dash"),
        pytest.param(GOOD.replace("— ", "—  "), "key name", id="empty-name"),
        pytest.param(GOOD.replace("PeterNeumann x08", "PeterNeumann"), "no signature", id="no-sig"),
        pytest.param(GOOD.replace("PeterNeumann ", "Peter+Neumann "), "'\\+'", id="plus-in-name"),
        pytest.param(GOOD.replace("x08go", "x08g!"), "base64", id="bad-base64"),
        pytest.param(GOOD.replace("AM=\n", "AM\n"), "base64", id="unpadded"),
        pytest.param(GOOD.replace("x08go", " x08go"), "base64", id="double-space"),
        pytest.param(GOOD.replace(GOOD_LINE, "— PeterNeumann AAAAAA==\n"), "too short", id="short"),
        pytest.param(GOOD + "\n", "no signature lines", id="trailing-blank-line"),
        pytest.param(GOOD + "trailer\n", "em dash", id="non-signature-line-after"),
        pytest.param(GOOD.replace("If", "\ud800"), "surrogate", id="lone-surrogate"),
    ],
)
def test_malformed_notes_are_rejected(note: str, problem: str) -> None:
    with pytest.raises(FormatError, match=problem):
        open_note(note, [PETER])


def test_note_bytes_must_be_utf8() -> None:
    with pytest.raises(FormatError, match="UTF-8"):
        open_note(GOOD.encode("utf-8").replace(b"If", b"\xff"), [PETER])


@pytest.mark.parametrize("text", ["", "no newline", "tab\there\n", "cr\r\n", "\ud800\n"])
def test_sign_note_refuses_malformed_text(text: str) -> None:
    with pytest.raises(FormatError):
        sign_note(text, Signer.generate("example.com/x"))


def test_sign_note_needs_a_signer() -> None:
    with pytest.raises(FormatError, match="at least one signer"):
        sign_note("text\n")


def test_signature_line_format() -> None:
    raw = b"\x01" * 64
    signature = NoteSignature("example.com/foo", bytes.fromhex("530d903a"), raw)
    assert signature.line() == f"— example.com/foo {b64encode(signature.key_id + raw)}\n"
    assert signature.key_name == "example.com/foo+530d903a"


_TEXT_CHARS = st.characters(
    exclude_categories=["Cs"], exclude_characters=[chr(c) for c in range(0x20) if c != 0x0A]
)
_SIGNER = Signer.generate("example.com/hypothesis")


@given(st.text(_TEXT_CHARS, max_size=200))
def test_any_valid_text_round_trips(body: str) -> None:
    text = body + "\n"
    note = sign_note(text, _SIGNER)
    opened = open_note(note.encode("utf-8"), [_SIGNER.verifier])
    assert opened.text == text
    assert parse_note(note).encode() == note


@given(st.text(_TEXT_CHARS, max_size=60), st.booleans())
def test_tampered_text_never_verifies(body: str, prepend: bool) -> None:
    text = body + "\n"
    note = sign_note(text, _SIGNER)
    tampered = "x" + note if prepend else note.replace(text, text + "y\n", 1)
    with pytest.raises(SignatureError):
        open_note(tampered, [_SIGNER.verifier])
