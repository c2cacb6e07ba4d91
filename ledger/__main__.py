"""`python -m ledger`: offline and remote checks of an OCOP ledger (DESIGN §5, §7, §9).

    python -m ledger verify-bundle FILE (--vkey VKEY | --trust-embedded-key) [WITNESSES]
    python -m ledger verify-proof FILE --vkey VKEY [WITNESSES]
    python -m ledger verify-log FILE (--vkey VKEY | --trust-embedded-key) [--jobs N | --reference]
        [WITNESSES]
    python -m ledger audit URL|DIR [--state FILE] (--vkey VKEY | --trust-embedded-key)
        [--entries [--jobs N]] [--timeout S] [WITNESSES]

WITNESSES is `--witness VKEY [VKEY ...] [--quorum K]`: at least K (default: all) of those
witnesses must have validly cosigned the checkpoint (ledger.trust). The log's key is pinned with
`--vkey`: input carrying another key is refused. Without `--vkey` a command refuses to run
unless `--trust-embedded-key` is given, and then says which key it trusted on a first stdout line
(`trusting the key embedded in the file: ...`). `audit` pins the key in its state file on the
first run; later runs may leave `--vkey` out.

Exit status 0 when everything verifies (an `OK: ...` line on stdout), 1 when something does
not (a `FAIL: ...` line on stdout naming the first failure: entry, check, expected, found),
2 for unreadable input, an unreachable server or bad usage (a message on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ledger.audit import DEFAULT_STATE_FILE, AuditStateError, FetchError, audit
from ledger.bundle import load_bundle, verify_bundle
from ledger.errors import FormatError, LedgerError
from ledger.export import read_export
from ledger.fast.verify import verify_export
from ledger.keys import b64encode
from ledger.tlog_proof import parse_proofs, proofs_to_bundle, verify_proof
from ledger.trust import TrustError, TrustPolicy
from ledger.verify import verify_log

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2
PROGRESS_STEP = 100_000
"""verify-log and audit report progress on stderr every this many entries."""


def _one_line(text: object) -> str:
    return " ".join(str(text).split("\n"))


def _fail(exc: LedgerError) -> int:
    print(f"FAIL: {_one_line(exc)}")
    return EXIT_FAILED


def _unusable(message: object) -> int:
    print(f"error: {_one_line(message)}", file=sys.stderr)
    return EXIT_UNUSABLE


def _ok(entries: str, size: int, root: bytes) -> int:
    print(f"OK: {entries}, checkpoint size {size}, root {b64encode(root)}")
    return EXIT_OK


class _Progress:
    """Prints `verified N of M entries (P%)` on stderr each time N passes a multiple of
    `step`, and at the end when there were at least `step` entries."""

    def __init__(self, step: int | None = None) -> None:
        self.step = step or PROGRESS_STEP
        self._next = self.step

    def __call__(self, done: int, total: int) -> None:
        finished_large = done == total >= self.step
        if done < self._next and not finished_large:
            return
        self._next = (done // self.step + 1) * self.step
        percent = 100 * done // total if total else 100
        print(f"verified {done} of {total} entries ({percent}%)", file=sys.stderr, flush=True)


def _policy(args: argparse.Namespace) -> TrustPolicy:
    return TrustPolicy.build(
        args.vkey, getattr(args, "trust_embedded_key", False), args.witness or (), args.quorum
    )


def _trusting(policy: TrustPolicy, embedded: str, where: str = "embedded in the file") -> None:
    if policy.vkey is None:
        print(f"trusting the key {where}: {embedded}", flush=True)


def _verify_bundle(args: argparse.Namespace) -> int:
    try:
        policy = _policy(args)
        bundle = load_bundle(Path(args.file).read_bytes())
    except TrustError as exc:
        return _unusable(exc)
    except (OSError, FormatError) as exc:
        return _unusable(f"{args.file}: {exc}")
    _trusting(policy, bundle["vkey"])
    try:
        verified = verify_bundle(bundle, vkey=policy.log_key(bundle["vkey"]))
        policy.check_cosignatures(bundle["checkpoint"])
    except LedgerError as exc:
        return _fail(exc)
    checkpoint = verified.checkpoint
    return _ok(f"{len(verified.entries)} bundled entries", checkpoint.size, checkpoint.root_hash)


def _verify_proof(args: argparse.Namespace) -> int:
    """c2sp.org/tlog-proof documents: each proof, then (with the genesis among them) the whole
    item as its proof bundle would be checked."""
    try:
        policy = _policy(args)
        proofs = parse_proofs(Path(args.file).read_text("utf-8"))
    except TrustError as exc:
        return _unusable(exc)
    except (OSError, UnicodeDecodeError, FormatError) as exc:
        return _unusable(f"{args.file}: {exc}")
    vkey = args.vkey
    try:
        checkpoints = {verify_proof(proof, vkey) for proof in proofs}
        for note in dict.fromkeys(proof.checkpoint for proof in proofs):
            policy.check_cosignatures(note)
        if any(proof.index == 0 for proof in proofs):
            verified = verify_bundle(proofs_to_bundle(proofs, vkey), vkey=vkey)
            checkpoint, what = verified.checkpoint, f"{len(verified.entries)} proven entries"
        else:
            checkpoint = max(checkpoints, key=lambda c: c.size)
            what = f"{len(proofs)} proven entries (no genesis: signers not checked)"
    except LedgerError as exc:
        return _fail(exc)
    return _ok(what, checkpoint.size, checkpoint.root_hash)


def _verify_log(args: argparse.Namespace) -> int:
    try:
        policy = _policy(args)
    except TrustError as exc:
        return _unusable(exc)
    try:
        with Path(args.file).open("rb") as fp:
            try:
                reader = read_export(fp)
            except FormatError as exc:
                return _unusable(f"{args.file}: {exc}")
            header = reader.header
            _trusting(policy, header.vkey)
            vkey = policy.log_key(header.vkey)
            policy.check_cosignatures(header.checkpoint)
            if args.reference:  # ledger.verify alone, one entry after another
                result = verify_log(reader.entries(), header.checkpoint, vkey, progress=_Progress())
            else:
                result = verify_export(reader, jobs=args.jobs, progress=_Progress())
    except LedgerError as exc:
        return _fail(exc)
    except OSError as exc:
        return _unusable(f"{args.file}: {exc}")
    return _ok(f"{result.size} entries", result.size, result.root)


def _audit(args: argparse.Namespace) -> int:
    state = Path(args.state)
    try:
        # Only the witnesses matter here: audit() itself pins the key, from --vkey, from the
        # state file, or (first run, --trust-embedded-key) from the log.
        policy = TrustPolicy.build(args.vkey, args.vkey is None, args.witness or (), args.quorum)
    except TrustError as exc:
        return _unusable(exc)
    try:
        result = audit(
            args.url,
            state,
            vkey=args.vkey,
            trust_served_key=args.trust_embedded_key,
            policy=policy,
            entries=args.entries,
            jobs=args.jobs,
            progress=_Progress(),
            timeout=args.timeout,
        )
    except (AuditStateError, FetchError) as exc:
        return _unusable(exc)
    except LedgerError as exc:
        return _fail(exc)
    if result.trusted is not None:
        print(f"trusting {result.trusted}")
    for witness in result.witnesses:
        print(witness.describe())
    checkpoint = result.checkpoint
    if args.entries:
        checked = "every entry verified"
    else:
        checked = "tiles verified, entries not read (--entries)"
    entries = f"{checkpoint.size} entries ({result.new_entries} new), {checked}"
    return _ok(entries, checkpoint.size, checkpoint.root_hash)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, found {text!r}")
    return value


def _trust_options(parser: argparse.ArgumentParser, *, embedded: str | None) -> None:
    """--vkey (and --trust-embedded-key where the input carries a key), --witness, --quorum."""
    if embedded is None:
        parser.add_argument("--vkey", required=True, help="the log's vkey (pinned)")
    else:
        key = parser.add_mutually_exclusive_group()
        key.add_argument("--vkey", help="the log's vkey, pinned: input with another key fails")
        key.add_argument(
            "--trust-embedded-key",
            action="store_true",
            help=f"without --vkey, trust {embedded} (and say so)",
        )
    parser.add_argument(
        "--witness",
        nargs="+",
        action="extend",
        metavar="VKEY",
        help="witness cosigning vkeys (c2sp.org/tlog-cosignature) to check on the checkpoint",
    )
    parser.add_argument(
        "--quorum",
        type=_positive,
        metavar="K",
        help="valid cosignatures needed from the --witness keys (default: all of them)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ledger", description="Verify an OCOP trace ledger without trusting it."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    bundle = commands.add_parser("verify-bundle", help="check an item's proof bundle offline")
    bundle.add_argument("file", metavar="FILE", help="proof bundle (JSON)")
    _trust_options(bundle, embedded="the vkey in the bundle")
    bundle.set_defaults(run=_verify_bundle)

    proof = commands.add_parser(
        "verify-proof", help="check c2sp.org/tlog-proof documents (an item's proofs) offline"
    )
    proof.add_argument("file", metavar="FILE", help="tlog-proof text (.tlog-proof)")
    _trust_options(proof, embedded=None)
    proof.set_defaults(run=_verify_proof)

    log = commands.add_parser("verify-log", help="re-derive everything from a ledger export")
    log.add_argument("file", metavar="FILE", help="export (JSON Lines, DESIGN §5)")
    how = log.add_mutually_exclusive_group()
    how.add_argument("--jobs", type=_positive, help="worker processes (default: every core)")
    how.add_argument(
        "--reference",
        action="store_true",
        help="run only the reference verifier (ledger.verify), in one process: slower, same verdict",
    )
    _trust_options(log, embedded="the vkey in the export's header")
    log.set_defaults(run=_verify_log)

    remote = commands.add_parser(
        "audit", help="audit a log through its tlog-tiles since the last run"
    )
    remote.add_argument(
        "url",
        metavar="URL",
        help="the log's tiles: its URL prefix (https://host/ledger, or a static mirror's URL) "
        "or a mirror's directory",
    )
    remote.add_argument(
        "--entries",
        action="store_true",
        help="also read the entry bundles added since, check each leaf hash against its "
        "level-0 tile and verify the entries",
    )
    remote.add_argument(
        "--timeout", type=float, default=30.0, help="seconds per request (%(default)s)"
    )
    remote.add_argument("--state", default=DEFAULT_STATE_FILE, help="state file (%(default)s)")
    remote.add_argument("--jobs", type=_positive, help="worker processes (default: every core)")
    _trust_options(
        remote, embedded="the key the server serves on the first run (later: the pinned one)"
    )
    remote.set_defaults(run=_audit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status (argparse exits 2 itself on bad usage)."""
    args = build_parser().parse_args(argv)
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
