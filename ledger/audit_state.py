"""What `python -m ledger audit` remembers between runs, and the evidence it leaves of a fork.

The state file pins the log key and holds the last accepted signed checkpoint (its size and
root are what the next run's tiles must extend), where the entries were last verified (with
``--entries``; the verifier's `LogState`, which may lag behind the checkpoint), and the
witnesses seen cosigning. It is replaced atomically, and only after a run verified everything.
Version 1 files (checkpoint and entries always at the same size) are still read.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.checkpoint import open_checkpoint
from ledger.errors import FormatError, LedgerError
from ledger.keys import Verifier, b64decode, b64encode
from ledger.merkle import CompactRange
from ledger.strict_json import loads_strict
from ledger.verify import LogState, LogVerifier

STATE_TYPE = "ocop-ledger-audit-state/v2"
STATE_TYPE_V1 = "ocop-ledger-audit-state/v1"
EVIDENCE_TYPE = "ocop-ledger-audit-evidence/v1"
DEFAULT_STATE_FILE = "ocop-ledger-audit.json"


class AuditStateError(LedgerError):
    """The state file is unreadable or malformed, or contradicts the given vkey."""


@dataclass(frozen=True)
class SeenWitness:
    """A cosignature seen on an accepted checkpoint: who, on which tree, and whether checked."""

    name: str
    key: str
    """The witness's vkey when given with ``--witness`` (verified), else its key ID in hex."""
    verified: bool
    size: int
    root: str
    """The cosigned checkpoint's root, base64."""
    timestamp: int | None
    """The cosignature's time (verified cosignatures only)."""

    def describe(self) -> str:
        checked = f"verified, time {self.timestamp}" if self.verified else "not checked"
        return f"witness {self.name} ({self.key}): cosigned size {self.size} ({checked})"


@dataclass(frozen=True)
class AuditState:
    """The pinned key, the last accepted checkpoint, verified entries and witnesses seen."""

    vkey: str
    checkpoint: str
    entries: LogState | None
    """Where the entries were last verified, or None if they never were."""
    witnesses: tuple[SeenWitness, ...] = ()


def load_state(path: Path) -> AuditState | None:
    """The saved state, or None if `path` does not exist; AuditStateError if it is unusable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AuditStateError(f"cannot read state file {path}: {exc}") from exc
    try:
        return _decode_state(loads_strict(data, f"state file {path}"))
    except (LedgerError, KeyError, TypeError) as exc:
        raise AuditStateError(f"state file {path} is malformed: {exc}") from exc


def save_state(path: Path, state: AuditState) -> None:
    """Replace the state file atomically (temporary file, fsync, rename)."""
    entries = state.entries
    write_atomically(
        path,
        {
            "type": STATE_TYPE,
            "vkey": state.vkey,
            "checkpoint": state.checkpoint,
            "entries": None
            if entries is None
            else {
                "size": entries.size,
                "frontier": [b64encode(h) for h in entries.frontier],
                "last_leaf": b64encode(entries.last_leaf),
                "key_entries": [
                    {"index": index, "entry": b64encode(data)}
                    for index, data in entries.key_entries
                ],
            },
            "witnesses": [
                {
                    "name": w.name,
                    "key": w.key,
                    "verified": w.verified,
                    "size": w.size,
                    "root": w.root,
                    "timestamp": w.timestamp,
                }
                for w in state.witnesses
            ],
        },
    )


def _b64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise FormatError(f"{what}: expected a base64 string, found {value!r}")
    return b64decode(value, what)


def _decode_log(obj: Any) -> LogState:
    size = obj["size"]
    if type(size) is not int:
        raise FormatError(f"entries size {size!r} is not an integer")
    key_entries = []
    for row in obj["key_entries"]:
        if type(row["index"]) is not int:
            raise FormatError(f"key entry index {row['index']!r} is not an integer")
        key_entries.append((row["index"], _b64(row["entry"], "key entry")))
    return LogState(
        size,
        tuple(_b64(h, "frontier") for h in obj["frontier"]),
        _b64(obj["last_leaf"], "last_leaf"),
        tuple(key_entries),
    )


def _decode_witness(obj: Any) -> SeenWitness:
    name, key, verified, size = obj["name"], obj["key"], obj["verified"], obj["size"]
    root, timestamp = obj["root"], obj["timestamp"]
    if not (isinstance(name, str) and isinstance(key, str) and isinstance(root, str)):
        raise FormatError("witness name, key and root must be strings")
    if type(verified) is not bool or type(size) is not int:
        raise FormatError("witness verified and size have the wrong types")
    if timestamp is not None and type(timestamp) is not int:
        raise FormatError("witness timestamp must be an integer or null")
    return SeenWitness(name, key, verified, size, root, timestamp)


def _decode_state(obj: Any) -> AuditState:
    if not isinstance(obj, dict) or obj.get("type") not in (STATE_TYPE, STATE_TYPE_V1):
        raise FormatError(f"expected a JSON object of type {STATE_TYPE!r}")
    vkey, note = obj["vkey"], obj["checkpoint"]
    if not isinstance(vkey, str) or not isinstance(note, str):
        raise FormatError("vkey and checkpoint must be strings")
    checkpoint = open_checkpoint(note, Verifier.from_vkey(vkey))
    if obj["type"] == STATE_TYPE_V1:
        entries: LogState | None = _decode_log(obj)
        witnesses: tuple[SeenWitness, ...] = ()
    else:
        entries = None if obj["entries"] is None else _decode_log(obj["entries"])
        witnesses = tuple(_decode_witness(w) for w in obj["witnesses"])
    if entries is not None:
        if entries.size > checkpoint.size:
            raise FormatError(f"entries size {entries.size} beyond the checkpoint's")
        frontier_root = CompactRange.from_frontier(entries.size, entries.frontier).root()
        if entries.size == checkpoint.size and frontier_root != checkpoint.root_hash:
            raise FormatError("the frontier does not hash to the checkpoint's root")
        LogVerifier.resume(checkpoint.origin, entries)  # the saved trust chain must replay
    return AuditState(vkey, note, entries, witnesses)


def write_evidence(state_path: Path, evidence: dict[str, Any]) -> Path:
    """Write `evidence` as `<state name>.evidence-<UTC time>[-n].json` beside the state file."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = state_path.with_name(f"{state_path.name}.evidence-{stamp}.json")
    number = 1
    while path.exists():
        number += 1
        path = state_path.with_name(f"{state_path.name}.evidence-{stamp}-{number}.json")
    write_atomically(path, evidence)
    return path


def write_atomically(path: Path, document: dict[str, Any]) -> None:
    data = json.dumps(document, indent=1, ensure_ascii=False).encode("utf-8") + b"\n"
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fp:
            fp.write(data)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
