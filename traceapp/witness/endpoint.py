"""Our witness: ``add-checkpoint`` of c2sp.org/tlog-witness for the logs it is configured with.

The request body is ``old <size>``, up to 63 base64 consistency proof lines, a blank line and a
signed checkpoint. The answer is a cosignature line (c2sp.org/tlog-cosignature, timestamped
Ed25519, type 0x04), or a refusal with the spec's status: 400 malformed, 404 unknown origin,
403 no valid signature by the log key, 409 (with the size it has) when ``old`` is not the size
it cosigned last, 422 when the proof does not verify or the checkpoint forks the log.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.checkpoint import MAX_TREE_SIZE, Checkpoint
from ledger.cosignature import CosignatureSigner
from ledger.errors import FormatError, LedgerError, ProofError, SignatureError
from ledger.keys import Verifier, b64decode
from ledger.merkle import EMPTY_ROOT
from ledger.note import NoteSignature, ParsedNote, open_note, parse_note
from ledger.proof_verification import verify_consistency
from traceapp.witness.models import WitnessedLog, insert_missing

MAX_PROOF_LINES = 63
MAX_BODY = 64 * 1024
_OLD = re.compile(r"old (0|[1-9][0-9]{0,18})")


class Refusal(Exception):
    """A request the witness does not cosign: the HTTP status and why (and the size it has)."""

    def __init__(self, status: int, message: str, size: int | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.size = status, message, size


def parse_request(body: bytes) -> tuple[int, list[bytes], str]:
    """(old size, consistency proof, checkpoint note) of an add-checkpoint body; 400 if bad."""
    if len(body) > MAX_BODY:
        raise Refusal(400, f"request body is larger than {MAX_BODY} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(400, "request body is not UTF-8") from None
    head, blank, note = text.partition("\n\n")
    if not blank:
        raise Refusal(400, "request body has no blank line before the checkpoint")
    lines = head.split("\n")
    old = _OLD.fullmatch(lines[0])
    if old is None or int(old.group(1)) > MAX_TREE_SIZE:
        raise Refusal(400, "the first line is not `old <size>`")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise Refusal(400, f"more than {MAX_PROOF_LINES} consistency proof lines")
    try:
        proof = [b64decode(line, "consistency proof line") for line in lines[1:]]
    except FormatError as exc:
        raise Refusal(400, str(exc)) from None
    if any(len(h) != len(EMPTY_ROOT) for h in proof):
        raise Refusal(400, "a consistency proof line is not a 32-byte hash")
    return int(old.group(1)), proof, note


def _checkpoint(note: str, logs: Mapping[str, Verifier]) -> tuple[Checkpoint, ParsedNote]:
    """The checkpoint, verified under its origin's log key, and the note with the log's verified
    signatures only."""
    try:
        parsed = parse_note(note)
        checkpoint = Checkpoint.parse(parsed.text)
    except FormatError as exc:
        raise Refusal(400, f"not a checkpoint: {exc}") from None
    verifier = logs.get(checkpoint.origin)
    if verifier is None:
        raise Refusal(404, f"this witness does not witness {checkpoint.origin!r}")
    try:
        opened = open_note(note, [verifier])
    except (SignatureError, FormatError) as exc:
        raise Refusal(403, f"no valid signature by the log key: {exc}") from None
    return checkpoint, ParsedNote(opened.text, opened.verified)


def _locked_log(session: Session, origin: str) -> WitnessedLog:
    """The log's row, locked for this transaction (made at size 0 on first sight)."""
    insert_missing(
        session,
        WitnessedLog,
        origin=origin,
        size=0,
        root_hash=EMPTY_ROOT,
        updated_at=datetime.now(UTC),
    )
    row = session.execute(
        select(WitnessedLog).where(WitnessedLog.origin == origin).with_for_update()
    ).scalar_one()
    return row


def add_checkpoint(
    session: Session, body: bytes, signer: CosignatureSigner, logs: Mapping[str, Verifier]
) -> str:
    """Check and cosign a submitted checkpoint; the response body (one cosignature line).

    Runs in a write transaction: the log's row is locked from the old-size check to the update.
    Raises Refusal; nothing is stored then.
    """
    old, proof, note = parse_request(body)
    checkpoint, verified = _checkpoint(note, logs)
    if old > checkpoint.size:
        raise Refusal(400, f"old size {old} is larger than the checkpoint size {checkpoint.size}")
    row = _locked_log(session, checkpoint.origin)
    if old != row.size:
        raise Refusal(409, f"this witness has size {row.size}", size=row.size)
    if checkpoint.size == 0 and checkpoint.root_hash != EMPTY_ROOT:
        raise Refusal(422, "a checkpoint of size 0 must have the empty tree's root")
    try:
        verify_consistency(old, checkpoint.size, bytes(row.root_hash), checkpoint.root_hash, proof)
    except (ProofError, LedgerError) as exc:
        raise Refusal(422, f"not consistent with what this witness saw: {exc}") from None
    signature = NoteSignature(signer.name, signer.key_id, signer.sign(verified.text.encode()))
    row.size, row.root_hash = checkpoint.size, checkpoint.root_hash
    row.checkpoint = ParsedNote(verified.text, (*verified.signatures, signature)).encode()
    row.updated_at = datetime.now(UTC)
    session.flush()  # stored before the answer (tlog-witness: persist, then respond)
    return signature.line()


def latest_cosigned(session: Session, origin_hash: str, logs: Mapping[str, Verifier]) -> str:
    """For monitors (tlog-witness "Monitor Retrieval Mechanism"): the latest checkpoint this
    witness cosigned for the log whose origin's SHA-256 is ``origin_hash`` (lower-case hex),
    with the log's signatures and ours. Refusal 404 if none."""
    for origin in logs:
        if hashlib.sha256(origin.encode()).hexdigest() == origin_hash:
            row = session.get(WitnessedLog, origin)
            if row is not None and row.checkpoint is not None:
                return row.checkpoint
    raise Refusal(404, "this witness has cosigned no checkpoint of that log")
