"""A remote auditor for a ledger served over the HTTP API of DESIGN §7.

Each run fetches the latest checkpoint and opens it with the log key PINNED in the state file
(taken from `--vkey` on the first run, never from the server), checks that it is consistent with
the checkpoint accepted last time (RFC 9162 §2.1.4.2 via `/ledger/proof/consistency`), and
verifies only the entries added since (ledger.fast.verify, resumed from the saved frontier
and trust chain). A rollback (smaller size), a different root at the same size or a failing
consistency proof is a fork: both signed checkpoints and the proof are written to an evidence
file next to the state file. The state is replaced, atomically, only after everything has verified.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.errors import FormatError, LedgerError, ProofError, VerificationError
from ledger.fast.verify import verify_log
from ledger.keys import Verifier, b64decode, b64encode
from ledger.merkle import CompactRange, leaf_hash
from ledger.proof_verification import verify_consistency
from ledger.strict_json import loads_strict
from ledger.verify import LogState, LogVerifier, ProgressCallback

STATE_TYPE = "ocop-ledger-audit-state/v1"
EVIDENCE_TYPE = "ocop-ledger-audit-evidence/v1"
DEFAULT_STATE_FILE = "ocop-ledger-audit.json"
MAX_RESPONSE_BYTES = 1 << 20
"""Far above any answer of the API (an entry is at most 64 KiB, a proof about 2 KiB)."""


class FetchError(LedgerError):
    """The log could not be fetched: network failure, timeout or an HTTP error status."""


class AuditStateError(LedgerError):
    """The state file is unreadable or malformed, or contradicts the given vkey."""


class ForkError(VerificationError):
    """The log contradicts a checkpoint it signed before; `evidence` is the file proving it."""

    def __init__(self, message: str, evidence: Path) -> None:
        super().__init__(f"{message}; evidence written to {evidence}")
        self.evidence = evidence


@dataclass(frozen=True)
class AuditState:
    """What the auditor remembers between runs: the pinned key and the last accepted log."""

    vkey: str
    checkpoint: str
    """The last accepted signed checkpoint note."""
    log: LogState


@dataclass(frozen=True)
class AuditResult:
    """A successful audit: the checkpoint now accepted and how many entries were new."""

    checkpoint: Checkpoint
    previous_size: int
    trusted: str | None = None
    """Set when the first run trusted the served key instead of a pinned one: which key."""

    @property
    def new_entries(self) -> int:
        """Entries verified in this run."""
        return self.checkpoint.size - self.previous_size


class LogClient:
    """GETs of the ledger's HTTP API (DESIGN §7) with urllib, each checked for its shape."""

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def get(self, path: str) -> bytes:
        """The body of `GET {base_url}{path}`; raise FetchError unless it answers 200."""
        url = self.base_url + path
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                body: bytes = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise FetchError(f"GET {url}: HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise FetchError(f"GET {url}: {exc}") from exc
        if len(body) > MAX_RESPONSE_BYTES:
            raise FetchError(f"GET {url}: answer larger than {MAX_RESPONSE_BYTES} bytes")
        return body

    def checkpoint(self) -> str:
        """`/ledger/checkpoint`: the latest signed checkpoint note."""
        return self._text("/ledger/checkpoint")

    def vkey(self) -> str:
        """`/ledger/vkey`: the key the server says it signs with (never trusted as such)."""
        return self._text("/ledger/vkey").strip()

    def entry(self, index: int) -> bytes:
        """`/ledger/entries/{index}`: `{"index", "entry", "leaf"}`, the leaf matching the entry."""
        what = f"entry {index}: /ledger/entries/{index}"
        answer = self._json(f"/ledger/entries/{index}", what, {"index", "entry", "leaf"})
        if answer["index"] != index or type(answer["index"]) is not int:
            raise FormatError(f"{what}: index: expected {index}, found {answer['index']!r}")
        data = _b64(answer["entry"], f"{what} entry")
        served_leaf = _b64(answer["leaf"], f"{what} leaf")
        if served_leaf != leaf_hash(data):
            raise ProofError(
                f"{what}: leaf: expected {b64encode(leaf_hash(data))}, "
                f"found {b64encode(served_leaf)}"
            )
        return data

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        """`/ledger/proof/consistency?old=M&new=N`: `{"old", "new", "proof": [base64]}`."""
        path = f"/ledger/proof/consistency?old={old}&new={new}"
        answer = self._json(path, path, {"old", "new", "proof"})
        if (answer["old"], answer["new"]) != (old, new):
            raise FormatError(f"{path}: answers for old={answer['old']!r}, new={answer['new']!r}")
        proof = answer["proof"]
        if not isinstance(proof, list):
            raise FormatError(f"{path}: proof: expected a list, found {proof!r}")
        return [_b64(h, f"{path} proof") for h in proof]

    def _text(self, path: str) -> str:
        try:
            return self.get(path).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(f"{path}: not UTF-8 text") from exc

    def _json(self, path: str, what: str, fields: set[str]) -> dict[str, Any]:
        answer = loads_strict(self.get(path), what)
        if not isinstance(answer, dict) or answer.keys() != fields:
            found = sorted(answer) if isinstance(answer, dict) else type(answer).__name__
            raise FormatError(f"{what}: expected fields {sorted(fields)}, found {found}")
        return answer


def _b64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise FormatError(f"{what}: expected a base64 string, found {value!r}")
    return b64decode(value, what)


def audit(
    url: str,
    state_path: Path,
    *,
    vkey: str | None = None,
    trust_served_key: bool = False,
    check_checkpoint: Callable[[str], object] | None = None,
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
    timeout: float = 30.0,
) -> AuditResult:
    """Audit the log at `url` once, continuing from `state_path` (created on the first run).

    Spec: DESIGN §5 and §7; c2sp.org/tlog-checkpoint; RFC 9162 §2.1.4.2. Raises
    AuditStateError (no pinned key, unreadable state), FetchError (network), ForkError (with
    the evidence file) and the verifier's errors for anything the log serves that does not
    verify. The state file is updated only when everything verified.

    The first run pins `vkey`, or with `trust_served_key` the key the server serves (trust on
    first use: the result's `trusted` says so). `check_checkpoint`, when given, is called with
    the new signed checkpoint before anything is accepted (e.g. witness cosignatures,
    `ledger.trust.TrustPolicy.check_cosignatures`) and raises to refuse it.
    """
    state = load_state(state_path)
    client = LogClient(url, timeout=timeout)
    trusted = None
    if state is None and vkey is None and trust_served_key:
        vkey = client.vkey()
        trusted = f"the key served by {client.base_url}/ledger/vkey: {vkey}"
    pinned = _pinned_vkey(state, vkey, state_path)
    served_vkey = client.vkey() if trusted is None else pinned
    if served_vkey != pinned:
        raise VerificationError(f"log vkey: expected the pinned {pinned}, found {served_vkey}")
    note = client.checkpoint()
    new = open_checkpoint(note, Verifier.from_vkey(pinned))
    if check_checkpoint is not None:
        check_checkpoint(note)
    previous_size = 0
    if state is not None:
        old = open_checkpoint(state.checkpoint, Verifier.from_vkey(pinned))
        _check_consistent(client, state_path, url, pinned, (state.checkpoint, old), (note, new))
        previous_size = old.size
    entries = entries_from(client, previous_size, new.size)
    resume = None if state is None else state.log
    verified = verify_log(entries, note, pinned, jobs=jobs, progress=progress, resume=resume)
    save_state(state_path, AuditState(pinned, note, verified.state))
    return AuditResult(new, previous_size, trusted)


def _pinned_vkey(state: AuditState | None, vkey: str | None, state_path: Path) -> str:
    if state is None:
        if vkey is None:
            raise AuditStateError(
                f"no state file {state_path}: the first audit needs the log's vkey (--vkey), "
                "or --trust-embedded-key to trust the key the server serves"
            )
        try:
            Verifier.from_vkey(vkey)  # refuse a malformed key before pinning it
        except FormatError as exc:
            raise AuditStateError(f"--vkey: {exc}") from exc
        return vkey
    if vkey is not None and vkey != state.vkey:
        raise AuditStateError(f"--vkey {vkey} differs from {state.vkey} pinned in {state_path}")
    return state.vkey


def _check_consistent(
    client: LogClient,
    state_path: Path,
    url: str,
    pinned: str,
    old: tuple[str, Checkpoint],
    new: tuple[str, Checkpoint],
) -> None:
    """Raise ForkError, writing the evidence, unless `new` extends `old` (RFC 9162 §2.1.4.2)."""
    (old_note, old_cp), (new_note, new_cp) = old, new
    proof: list[bytes] | None = None
    if new_cp.size < old_cp.size:
        problem = (
            f"rollback: checkpoint size: expected at least {old_cp.size} (audited before), "
            f"found {new_cp.size}"
        )
    elif new_cp.size == old_cp.size and new_cp.root_hash != old_cp.root_hash:
        problem = (
            f"fork: checkpoint root at size {new_cp.size}: expected "
            f"{b64encode(old_cp.root_hash)} (audited before), found {b64encode(new_cp.root_hash)}"
        )
    elif old_cp.size in (0, new_cp.size):
        return
    else:
        proof = client.consistency_proof(old_cp.size, new_cp.size)
        try:
            verify_consistency(old_cp.size, new_cp.size, old_cp.root_hash, new_cp.root_hash, proof)
        except (ProofError, FormatError) as exc:
            problem = f"fork: consistency: {exc}"
        else:
            return
    evidence = {
        "type": EVIDENCE_TYPE,
        "url": url,
        "vkey": pinned,
        "problem": problem,
        "observed": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "old_checkpoint": old_note,
        "new_checkpoint": new_note,
        "consistency_proof": None
        if proof is None
        else {"old": old_cp.size, "new": new_cp.size, "proof": [b64encode(h) for h in proof]},
    }
    raise ForkError(problem, write_evidence(state_path, evidence))


def write_evidence(state_path: Path, evidence: dict[str, Any]) -> Path:
    """Write `evidence` as `<state name>.evidence-<UTC time>[-n].json` beside the state file."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = state_path.with_name(f"{state_path.name}.evidence-{stamp}.json")
    number = 1
    while path.exists():
        number += 1
        path = state_path.with_name(f"{state_path.name}.evidence-{stamp}-{number}.json")
    _write_atomically(path, evidence)
    return path


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
    _write_atomically(
        path,
        {
            "type": STATE_TYPE,
            "vkey": state.vkey,
            "checkpoint": state.checkpoint,
            "size": state.log.size,
            "frontier": [b64encode(h) for h in state.log.frontier],
            "last_leaf": b64encode(state.log.last_leaf),
            "key_entries": [
                {"index": index, "entry": b64encode(data)} for index, data in state.log.key_entries
            ],
        },
    )


def _decode_state(obj: Any) -> AuditState:
    if not isinstance(obj, dict) or obj.get("type") != STATE_TYPE:
        raise FormatError(f"expected a JSON object of type {STATE_TYPE!r}")
    vkey, note, size = obj["vkey"], obj["checkpoint"], obj["size"]
    if not isinstance(vkey, str) or not isinstance(note, str) or type(size) is not int:
        raise FormatError("vkey, checkpoint and size have the wrong types")
    key_entries = []
    for row in obj["key_entries"]:
        if type(row["index"]) is not int:
            raise FormatError(f"key entry index {row['index']!r} is not an integer")
        key_entries.append((row["index"], _b64(row["entry"], "key entry")))
    log = LogState(
        size,
        tuple(_b64(h, "frontier") for h in obj["frontier"]),
        _b64(obj["last_leaf"], "last_leaf"),
        tuple(key_entries),
    )
    checkpoint = open_checkpoint(note, Verifier.from_vkey(vkey))
    if checkpoint.size != size:
        raise FormatError(f"size {size} is not the checkpoint's {checkpoint.size}")
    if CompactRange.from_frontier(size, log.frontier).root() != checkpoint.root_hash:
        raise FormatError("the frontier does not hash to the checkpoint's root")
    LogVerifier.resume(checkpoint.origin, log)  # the saved trust chain must replay
    return AuditState(vkey, note, log)


def _write_atomically(path: Path, document: dict[str, Any]) -> None:
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


def entries_from(client: LogClient, start: int, stop: int) -> Iterator[tuple[int, bytes]]:
    """`(index, entry)` for `start <= index < stop`, fetched one by one."""
    for index in range(start, stop):
        yield index, client.entry(index)
