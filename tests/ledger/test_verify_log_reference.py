"""`python -m ledger verify-log --reference`: the reference verifier alone, the same verdict.

Each fault case of tests/ledger/test_verify_log.py is written as an export and checked by the
command twice, with the default (fast) path and with `--reference`: the exit status and the
result line (which names the entry, the check, what was expected and what was found) must be
the same. The library calls behind them (ledger.verify.verify_log and
ledger.fast.verify.verify_log) must raise the same error on the entries themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from ledger_support import (
    OUTSIDER,
    PRODUCER,
    SampleLog,
    export_of,
    make_signer,
    standard_log,
)

from ledger import __main__ as ledger_main
from ledger import verify as reference
from ledger.checkpoint import Checkpoint
from ledger.errors import LedgerError
from ledger.fast import verify as fast
from ledger.signing import sign_checkpoint

Pairs = list[tuple[int, bytes]]
Case = tuple[Pairs, str, str]
"""The entries as the export lists them, the checkpoint note, the vkey."""


def replaced(pairs: Pairs, index: int, old: bytes, new: bytes) -> Pairs:
    pairs = list(pairs)
    assert pairs[index][1].count(old) == 1
    pairs[index] = (index, pairs[index][1].replace(old, new))
    return pairs


def whole(log: SampleLog) -> Case:
    return log.pairs(), log.checkpoint(), log.vkey


def intact() -> Case:
    return whole(standard_log())


def flipped_signed_byte() -> Case:
    log = standard_log()
    return replaced(log.pairs(), 5, b"shipping", b"shippinh"), log.checkpoint(), log.vkey


def flipped_unsigned_byte() -> Case:
    log = standard_log()
    return replaced(log.pairs(), 5, b".128Z", b".129Z"), log.checkpoint(), log.vkey


def flipped_byte_in_the_last_entry() -> Case:
    log = standard_log()
    return replaced(log.pairs(), log.size - 1, b".132Z", b".133Z"), log.checkpoint(), log.vkey


def dropped_entry() -> Case:
    log = standard_log()
    return log.pairs()[:4] + log.pairs()[5:], log.checkpoint(), log.vkey


def dropped_and_renumbered() -> Case:
    log = standard_log()
    entries = log.entries[:4] + log.entries[5:]
    return list(enumerate(entries)), log.checkpoint(), log.vkey


def swapped_entries() -> Case:
    log = standard_log()
    entries = list(log.entries)
    entries[4], entries[5] = entries[5], entries[4]
    return list(enumerate(entries)), log.checkpoint(), log.vkey


def truncated() -> Case:
    log = standard_log()
    return log.pairs()[:-1], log.checkpoint(), log.vkey


def checkpoint_of_fewer_entries() -> Case:
    log = standard_log()
    return log.pairs(), log.checkpoint(log.size - 2), log.vkey


def checkpoint_with_another_root() -> Case:
    log = standard_log()
    return log.pairs(), log.checkpoint(root=log.root(3)), log.vkey


def checkpoint_signed_by_a_foreign_key() -> Case:
    log = standard_log()
    impostor = make_signer(log.origin, 77)
    return (
        log.pairs(),
        sign_checkpoint(Checkpoint(log.origin, log.size, log.root()), impostor),
        log.vkey,
    )


def checkpoint_of_another_origin() -> Case:
    other = SampleLog("other.example/log", make_signer("other.example/log", 78))
    log = standard_log()
    return log.pairs(), other.checkpoint(), log.vkey


def unregistered_key() -> Case:
    log = standard_log()
    log.record(OUTSIDER)
    return whole(log)


def revoked_key() -> Case:
    log = standard_log()
    log.record(PRODUCER)
    log.revoke(PRODUCER)
    log.record(PRODUCER)
    return whole(log)


def actor_claiming_another_key() -> Case:
    log = standard_log()
    log.append_data(log.make_entry(OUTSIDER, "event.recorded", {"n": 1}, actor=PRODUCER.key_name))
    return whole(log)


def non_canonical_re_encoding() -> Case:
    log = standard_log()
    canonical = log.make_entry(PRODUCER, "event.recorded", {"b": 1, "a": 2})
    log.append_data(json.dumps(json.loads(canonical), indent=1).encode())
    log.record(PRODUCER)
    return whole(log)


def entry_of_another_log() -> Case:
    log = standard_log()
    log.append_data(log.make_entry(PRODUCER, "event.recorded", {}, log="x.example/log"))
    return whole(log)


def bad_signature_then_bad_entry() -> Case:
    log = standard_log()
    pairs = replaced(log.pairs(), 5, b"shipping", b"shippinX")
    return [*pairs[:6], (6, b"\xff not an entry")], log.checkpoint(), log.vkey


FAULT_CASES: list[Callable[[], Case]] = [
    intact,
    flipped_signed_byte,
    flipped_unsigned_byte,
    flipped_byte_in_the_last_entry,
    dropped_entry,
    dropped_and_renumbered,
    swapped_entries,
    truncated,
    checkpoint_of_fewer_entries,
    checkpoint_with_another_root,
    checkpoint_signed_by_a_foreign_key,
    checkpoint_of_another_origin,
    unregistered_key,
    revoked_key,
    actor_claiming_another_key,
    non_canonical_re_encoding,
    entry_of_another_log,
    bad_signature_then_bad_entry,
]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    # The key in the export is what the case is about (one case forges it): trust it, as the
    # verdict compared is the verifier's, not the pinning's.
    status = ledger_main.main(["verify-log", "--trust-embedded-key", *args])
    return status, capsys.readouterr().out


def outcome(run: Callable[[], reference.VerifiedLog]) -> tuple[str, str]:
    try:
        result = run()
    except LedgerError as exc:
        return type(exc).__name__, str(exc)
    return "ok", repr(result.state)


@pytest.mark.parametrize("case", FAULT_CASES, ids=lambda case: case.__name__)
def test_verify_log_reference_gives_the_default_verdict(
    case: Callable[[], Case], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pairs, checkpoint, vkey = case()
    path = tmp_path / "ledger.jsonl"
    path.write_bytes(export_of(pairs, checkpoint, vkey))
    default = run(capsys, str(path))
    assert run(capsys, "--reference", str(path)) == default
    assert default[0] == (0 if case is intact else 1)
    by_reference = outcome(lambda: reference.verify_log(pairs, checkpoint, vkey))
    for jobs in (1, 2):
        assert by_reference == outcome(
            lambda jobs=jobs: fast.verify_log(pairs, checkpoint, vkey, jobs=jobs)
        )


def test_reference_and_jobs_do_not_go_together(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        ledger_main.main(["verify-log", "--reference", "--jobs", "2", str(tmp_path / "x")])
    assert caught.value.code == 2


def observed(seen: list[reference.AcceptedEntries]) -> tuple[object, ...]:
    """Everything the observer was told, whatever the stretches it came in."""
    return (
        b"".join(accepted.leaves for accepted in seen),
        [kind for accepted in seen for kind in accepted.types],
        [actor for accepted in seen for actor in accepted.actors],
        sorted(
            (level, index + offset, digest)
            for accepted in seen
            for level, index, hashes in accepted.subtrees
            for offset, digest in enumerate(hashes)
        ),
        {size: root for accepted in seen for size, root in accepted.roots.items()},
    )


@pytest.mark.parametrize(
    "case", [intact, revoked_key, flipped_unsigned_byte], ids=lambda case: case.__name__
)
def test_the_reference_observer_is_told_what_the_fast_one_is(case: Callable[[], Case]) -> None:
    """The app's audit of stored copies (leaf hashes, subtrees, roots) may run on either."""
    pairs, checkpoint, vkey = case()
    sizes = {1, 2, 5, 8, 9, len(pairs)}
    by_reference: list[reference.AcceptedEntries] = []
    by_workers: list[reference.AcceptedEntries] = []
    chunks = [
        (start, [data for _, data in pairs[start : start + 3]]) for start in range(0, len(pairs), 3)
    ]
    verdicts = [
        outcome(
            lambda: reference.verify_log(
                pairs, checkpoint, vkey, observer=by_reference.append, roots_at=sizes
            )
        ),
        outcome(
            lambda: fast.verify_log_chunks(
                chunks, checkpoint, vkey, jobs=1, observer=by_workers.append, roots_at=sizes
            )
        ),
    ]
    assert verdicts[0] == verdicts[1]
    assert observed(by_reference) == observed(by_workers)
    assert by_reference and all(accepted.count == 1 for accepted in by_reference)
