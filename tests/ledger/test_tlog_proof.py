"""c2sp.org/tlog-proof@v1 (ledger.tlog_proof) and `python -m ledger verify-proof`."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from ledger_support import SampleLog, make_signer, standard_log

from ledger import __main__ as ledger_main
from ledger.cosignature import CosignatureSigner, cosign
from ledger.errors import FormatError, ProofError
from ledger.keys import b64encode
from ledger.merkle import leaf_hash
from ledger.tlog_proof import (
    HEADER,
    TlogProof,
    bundle_to_proofs,
    parse_proofs,
    proofs_to_bundle,
    verify_proof,
)

tlog = importlib.import_module("tlog_scales.tlog")  # an independent RFC 9162 verifier


@pytest.fixture(scope="module")
def log() -> SampleLog:
    return standard_log()


def test_the_documents_follow_the_spec(log: SampleLog) -> None:
    bundle = log.bundle([7])
    text = bundle_to_proofs(bundle)
    documents = text.split(HEADER + "\n")[1:]
    assert len(documents) == len(bundle["entries"])
    row = bundle["entries"][-1]
    assert documents[-1] == (
        f"extra {row['entry']}\nindex 7\n"
        + "".join(f"{h}\n" for h in row["proof"])
        + "\n"
        + log.checkpoint()
    )
    proofs = parse_proofs(text)
    assert [p.index for p in proofs] == [r["index"] for r in bundle["entries"]]
    assert "".join(p.encode() for p in proofs) == text
    assert proofs_to_bundle(proofs, log.vkey) == bundle
    for proof in proofs:
        checkpoint = verify_proof(proof, log.vkey)
        assert proof.extra is not None
        tlog.InclusionProof(proof.index, checkpoint.size, list(proof.proof)).check(
            leaf_hash(proof.extra), checkpoint.root_hash
        )


def test_a_proof_without_extra_and_with_no_proof_lines_parses() -> None:
    log = SampleLog()  # one entry: an empty inclusion proof
    text = TlogProof(None, 0, (), log.checkpoint()).encode()
    assert text == f"{HEADER}\nindex 0\n\n{log.checkpoint()}"
    (proof,) = parse_proofs(text)
    assert (proof.extra, proof.index, proof.proof) == (None, 0, ())
    with pytest.raises(FormatError, match="no extra line"):
        verify_proof(proof, log.vkey)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t.replace(HEADER, "c2sp.org/tlog-proof@v2", 1),
        lambda t: t.replace("index 7", "index 07"),
        lambda t: t.replace("index 7", "index -7"),
        lambda t: t.rstrip("\n"),
        lambda t: t[: t.index("\n\n") + 2],
        lambda t: t.replace("\u2014 ", "- "),
        lambda t: "",
    ],
)
def test_malformed_documents_are_refused(log: SampleLog, mangle: object) -> None:
    text = TlogProof(log.entries[7], 7, (), log.checkpoint()).encode()
    with pytest.raises(FormatError):
        parse_proofs(mangle(text))  # type: ignore[operator]


def test_a_changed_entry_is_not_included(log: SampleLog) -> None:
    proofs = parse_proofs(bundle_to_proofs(log.bundle([7])))
    last = proofs[-1]
    assert last.extra is not None
    changed = TlogProof(
        last.extra.replace(b"shipping", b"shippinX"), 7, last.proof, last.checkpoint
    )
    with pytest.raises(ProofError, match="entry 7: inclusion"):
        verify_proof(changed, log.vkey)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = ledger_main.main(["verify-proof", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_verify_proof_cli(
    tmp_path: Path, log: SampleLog, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "item.tlog-proof"
    bundle = log.bundle([7])
    path.write_text(bundle_to_proofs(bundle))
    status, out, _ = run(capsys, str(path), "--vkey", log.vkey)
    assert (status, out) == (
        0,
        f"OK: {len(bundle['entries'])} proven entries, checkpoint size {log.size}, "
        f"root {b64encode(log.root())}\n",
    )
    # One proof alone, not the genesis: included, but the signer's chain is not there.
    single = tmp_path / "one.tlog-proof"
    single.write_text(parse_proofs(path.read_text())[-1].encode())
    status, out, _ = run(capsys, str(single), "--vkey", log.vkey)
    assert status == 0 and "1 proven entries (no genesis: signers not checked)" in out
    other = make_signer(log.origin, 79).verifier.vkey
    status, out, _ = run(capsys, str(path), "--vkey", other)
    assert status == 1 and out.startswith("FAIL: note has no verifiable signatures")
    path.write_text(path.read_text().replace("index 7", "index 6"))
    status, out, _ = run(capsys, str(path), "--vkey", log.vkey)
    assert status == 1 and out.startswith("FAIL: entry 6: inclusion")
    path.write_text("c2sp.org/tlog-proof@v1\n")
    status, out, err = run(capsys, str(path), "--vkey", log.vkey)
    assert (status, out) == (2, "") and "expected 'index <decimal>'" in err


def test_verify_proof_needs_the_key(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        ledger_main.main(["verify-proof", str(tmp_path / "x")])
    assert caught.value.code == 2


def test_verify_proof_checks_witnesses(
    tmp_path: Path, log: SampleLog, capsys: pytest.CaptureFixture[str]
) -> None:
    witness = CosignatureSigner(
        "witness.example", Ed25519PrivateKey.from_private_bytes(bytes(32)), lambda: 1_700_000_000
    )
    bundle = log.bundle([7])
    path = tmp_path / "item.tlog-proof"
    path.write_text(bundle_to_proofs(bundle))
    args = [str(path), "--vkey", log.vkey, "--witness", witness.verifier.vkey]
    status, out, _ = run(capsys, *args)
    assert status == 1 and out.startswith("FAIL: checkpoint cosignatures")
    bundle["checkpoint"] = cosign(bundle["checkpoint"], witness)
    path.write_text(bundle_to_proofs(bundle))
    status, out, _ = run(capsys, *args)
    assert status == 0 and out.startswith("OK: ")
