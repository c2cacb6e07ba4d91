"""`python -m ledger`: offline and remote checks of an OCOP ledger (DESIGN §5, §7, §9).

    python -m ledger verify-bundle FILE [--vkey VKEY]
    python -m ledger verify-log FILE [--jobs N | --reference]
    python -m ledger audit URL [--state FILE] [--vkey VKEY] [--jobs N]

Exit status 0 when everything verifies (one `OK: ...` line on stdout), 1 when something does
not (one `FAIL: ...` line on stdout naming the first failure: entry, check, expected, found),
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


def _verify_bundle(args: argparse.Namespace) -> int:
    try:
        bundle = load_bundle(Path(args.file).read_bytes())
    except (OSError, FormatError) as exc:
        return _unusable(f"{args.file}: {exc}")
    try:
        verified = verify_bundle(bundle, vkey=args.vkey)
    except LedgerError as exc:
        return _fail(exc)
    checkpoint = verified.checkpoint
    return _ok(f"{len(verified.entries)} bundled entries", checkpoint.size, checkpoint.root_hash)


def _verify_log(args: argparse.Namespace) -> int:
    try:
        with Path(args.file).open("rb") as fp:
            try:
                reader = read_export(fp)
            except FormatError as exc:
                return _unusable(f"{args.file}: {exc}")
            if args.reference:  # ledger.verify alone, one entry after another
                header = reader.header
                result = verify_log(
                    reader.entries(), header.checkpoint, header.vkey, progress=_Progress()
                )
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
        result = audit(args.url, state, vkey=args.vkey, jobs=args.jobs, progress=_Progress())
    except (AuditStateError, FetchError) as exc:
        return _unusable(exc)
    except LedgerError as exc:
        return _fail(exc)
    checkpoint = result.checkpoint
    entries = f"{checkpoint.size} entries ({result.new_entries} new)"
    return _ok(entries, checkpoint.size, checkpoint.root_hash)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, found {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ledger", description="Verify an OCOP trace ledger without trusting it."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    bundle = commands.add_parser("verify-bundle", help="check an item's proof bundle offline")
    bundle.add_argument("file", metavar="FILE", help="proof bundle (JSON)")
    bundle.add_argument("--vkey", help="the log's vkey to pin (else the bundled one is used)")
    bundle.set_defaults(run=_verify_bundle)

    log = commands.add_parser("verify-log", help="re-derive everything from a ledger export")
    log.add_argument("file", metavar="FILE", help="export (JSON Lines, DESIGN §5)")
    how = log.add_mutually_exclusive_group()
    how.add_argument("--jobs", type=_positive, help="worker processes (default: every core)")
    how.add_argument(
        "--reference",
        action="store_true",
        help="run only the reference verifier (ledger.verify), in one process: slower, same verdict",
    )
    log.set_defaults(run=_verify_log)

    remote = commands.add_parser("audit", help="audit a served log since the last run")
    remote.add_argument("url", metavar="URL", help="base URL of the ledger's HTTP API")
    remote.add_argument("--state", default=DEFAULT_STATE_FILE, help="state file (%(default)s)")
    remote.add_argument("--vkey", help="the log's vkey, pinned in the state file on first run")
    remote.add_argument("--jobs", type=_positive, help="worker processes (default: every core)")
    remote.set_defaults(run=_audit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status (argparse exits 2 itself on bad usage)."""
    args = build_parser().parse_args(argv)
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
