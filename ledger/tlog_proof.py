"""c2sp.org/tlog-proof@v1: an entry's inclusion proof and checkpoint as one text document.

Our proofs carry the entry's exact bytes as the `extra` data, so a proof alone gives the leaf
hash (SHA-256(0x00 || extra), RFC 6962 §2.1): the extra line is not trusted, it is hashed and
must be proven included. An item's proofs (the entries of its proof bundle, DESIGN §5) are
those documents one after another, every one against the same checkpoint; each is a whole
tlog-proof on its own. `proofs_to_bundle` turns them back into the JSON bundle, so
`ledger.bundle.verify_bundle` decides their verdict as it does a bundle's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.errors import FormatError, ProofError
from ledger.keys import Verifier, b64decode, b64encode
from ledger.merkle import leaf_hash
from ledger.proof_verification import verify_inclusion

HEADER = "c2sp.org/tlog-proof@v1"
FILE_EXTENSION = ".tlog-proof"
_SIGNATURE_PREFIX = "\u2014 "  # every signature line of a signed note


@dataclass(frozen=True)
class TlogProof:
    """One parsed proof: the extra data (None if absent), index, proof and signed checkpoint."""

    extra: bytes | None
    index: int
    proof: tuple[bytes, ...]
    checkpoint: str

    def encode(self) -> str:
        lines = [HEADER]
        if self.extra is not None:
            lines.append(f"extra {b64encode(self.extra)}")
        lines.append(f"index {self.index}")
        lines.extend(b64encode(h) for h in self.proof)
        return "\n".join(lines) + "\n\n" + self.checkpoint


def bundle_to_proofs(bundle: dict[str, Any]) -> str:
    """An item's proof bundle (DESIGN §5) as tlog-proof documents, one per entry, in order."""
    return "".join(
        TlogProof(
            b64decode(row["entry"], "bundle entry"),
            row["index"],
            tuple(b64decode(h, "bundle proof") for h in row["proof"]),
            bundle["checkpoint"],
        ).encode()
        for row in bundle["entries"]
    )


def parse_proofs(text: str) -> list[TlogProof]:
    """Every tlog-proof document in `text`, in order; FormatError for anything malformed."""
    lines = text.split("\n")
    if lines[-1] != "":
        raise FormatError("tlog-proof: does not end in a newline")
    lines.pop()
    proofs: list[TlogProof] = []
    at = 0
    while at < len(lines):
        proof, at = _parse_one(lines, at)
        proofs.append(proof)
    if not proofs:
        raise FormatError("tlog-proof: empty")
    return proofs


def _parse_one(lines: list[str], at: int) -> tuple[TlogProof, int]:
    what = f"tlog-proof {HEADER!r} at line {at + 1}"
    if lines[at] != HEADER:
        raise FormatError(f"{what}: expected the header line, found {lines[at]!r}")
    at += 1
    extra = None
    if at < len(lines) and lines[at].startswith("extra "):
        extra = b64decode(lines[at].removeprefix("extra "), f"{what} extra")
        at += 1
    index_text = lines[at].removeprefix("index ") if at < len(lines) else ""
    if not (
        at < len(lines)
        and lines[at].startswith("index ")
        and index_text.isascii()
        and index_text.isdigit()
        and (index_text == "0" or not index_text.startswith("0"))
    ):
        raise FormatError(f"{what}: expected 'index <decimal>'")
    at += 1
    proof = []
    while at < len(lines) and lines[at]:
        proof.append(b64decode(lines[at], f"{what} proof"))
        at += 1
    at += 1  # the empty line before the checkpoint
    start = at
    while at < len(lines) and lines[at]:  # checkpoint text
        at += 1
    at += 1  # the empty line before the signatures
    signatures = at
    while at < len(lines) and lines[at].startswith(_SIGNATURE_PREFIX):
        at += 1
    if at > len(lines) or at == signatures or signatures <= start + 1:
        raise FormatError(f"{what}: no signed checkpoint after the proof")
    checkpoint = "\n".join(lines[start:at]) + "\n"
    return TlogProof(extra, int(index_text), tuple(proof), checkpoint), at


def verify_proof(proof: TlogProof, log_vkey: str) -> Checkpoint:
    """Verify one proof whose extra is the entry: the checkpoint signed by the log key, and the
    entry's leaf hash included at the index (RFC 9162 §2.1.3.2). Returns the checkpoint."""
    if proof.extra is None:
        raise FormatError(f"tlog-proof of index {proof.index}: no extra line (the entry)")
    checkpoint = open_checkpoint(proof.checkpoint, Verifier.from_vkey(log_vkey))
    try:
        verify_inclusion(
            leaf_hash(proof.extra),
            proof.index,
            checkpoint.size,
            list(proof.proof),
            checkpoint.root_hash,
        )
    except ProofError as exc:
        raise ProofError(f"entry {proof.index}: inclusion: {exc}") from exc
    return checkpoint


def proofs_to_bundle(proofs: list[TlogProof], vkey: str) -> dict[str, Any]:
    """The JSON proof bundle (DESIGN §5) the proofs stand for: they must share one checkpoint
    and each carry its entry as extra data (FormatError otherwise)."""
    checkpoint = proofs[0].checkpoint
    rows = []
    for proof in proofs:
        if proof.checkpoint != checkpoint:
            raise FormatError(f"tlog-proof of index {proof.index}: another checkpoint")
        if proof.extra is None:
            raise FormatError(f"tlog-proof of index {proof.index}: no extra line (the entry)")
        rows.append(
            {
                "index": proof.index,
                "entry": b64encode(proof.extra),
                "proof": [b64encode(h) for h in proof.proof],
            }
        )
    return {"checkpoint": checkpoint, "vkey": vkey, "entries": rows}
