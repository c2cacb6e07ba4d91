"""C2SP checkpoints (c2sp.org/tlog-checkpoint, "Note text" and "Signatures").

A checkpoint is the note text `origin\\nsize\\nbase64(root)\\n` (our logs write no extension
lines, DESIGN §5) signed as a C2SP signed note by the log key, whose name equals the origin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.errors import CheckpointError, FormatError
from ledger.keys import Verifier, b64decode, b64encode
from ledger.merkle import HASH_SIZE
from ledger.note import check_note_text, open_note

MAX_TREE_SIZE = 2**63 - 1
"""Go's tlog parses sizes as int64; larger sizes cannot be a real log."""

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: origin line, tree size and RFC 6962 root hash (c2sp.org/tlog-checkpoint)."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Field rules of c2sp.org/tlog-checkpoint, "Note text"; FormatError if one is broken."""
        if not self.origin or "\n" in self.origin:
            raise FormatError(f"checkpoint origin {self.origin!r} is empty or has a newline")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise FormatError(f"checkpoint size {self.size} is out of range")
        if len(self.root_hash) != HASH_SIZE:
            raise FormatError(
                f"checkpoint root hash is {len(self.root_hash)} bytes, expected {HASH_SIZE}"
            )
        for line in self.extensions:
            if not line or "\n" in line:
                raise FormatError(f"checkpoint extension line {line!r} is empty or multi-line")
        check_note_text(self.to_text())

    def to_text(self) -> str:
        """The note text: origin, decimal size, base64 root, then any extension lines.

        c2sp.org/tlog-checkpoint, "Note text".
        """
        lines = [self.origin, str(self.size), b64encode(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse checkpoint note text strictly (c2sp.org/tlog-checkpoint, "Note text").

        At least three non-empty lines; size in decimal without leading zeros; root the
        canonical base64 of 32 bytes; extension lines kept as they are. Raises FormatError.
        """
        check_note_text(text)
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise FormatError(f"checkpoint has {len(lines)} lines, expected at least 3")
        origin, size_line, root_line, *extensions = lines
        if not _DECIMAL.fullmatch(size_line) or int(size_line) > MAX_TREE_SIZE:
            raise FormatError(f"checkpoint size {size_line!r} is not a decimal tree size")
        root_hash = b64decode(root_line, "checkpoint root hash")
        return cls(origin, int(size_line), root_hash, tuple(extensions))


def open_checkpoint(
    note: str | bytes, log_verifier: Verifier, *, origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint under the log key and parse it (c2sp.org/tlog-checkpoint).

    The origin must equal `origin`, or by default the log key's name (DESIGN §5). Other logs,
    such as sum.golang.org, use a key name that differs from the origin: pass `origin` for
    those. Other signatures (e.g. witness cosignatures) are ignored. Raises SignatureError
    when the log key did not sign it validly, CheckpointError for a malformed checkpoint or
    a wrong origin.
    """
    try:
        opened = open_note(note, [log_verifier])
    except FormatError as exc:
        raise CheckpointError(f"checkpoint is not a well-formed signed note: {exc}") from exc
    try:
        checkpoint = Checkpoint.parse(opened.text)
    except FormatError as exc:
        raise CheckpointError(f"malformed checkpoint text: {exc}") from exc
    expected_origin = log_verifier.name if origin is None else origin
    if checkpoint.origin != expected_origin:
        raise CheckpointError(
            f"checkpoint origin {checkpoint.origin!r} does not match expected {expected_origin!r}"
        )
    return checkpoint
