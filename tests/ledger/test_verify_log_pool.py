"""ledger.fast.verify on a pool: batches, shared files, key hints, exports, chunks and observers."""

from __future__ import annotations

import base64
import io
import pickle
import re
from pathlib import Path
from typing import Any

import pytest
from ledger_support import (
    ADMIN,
    ADMIN_2,
    OUTSIDER,
    PRODUCER,
    PRODUCER_2,
    SampleLog,
    make_signer,
    replace_text,
    standard_log,
    verify,
)

from ledger.errors import ChainError, CheckpointError, FormatError, LedgerError, SignatureError
from ledger.export import read_export
from ledger.fast import readers
from ledger.fast import verify as verify_module
from ledger.fast.acceptor import BatchAcceptor
from ledger.fast.batch import EntryBatch, check_batch
from ledger.fast.key_hints import KeyHints
from ledger.fast.verify import verify_export, verify_log, verify_log_chunks
from ledger.keys import b64encode
from ledger.merkle import CompactRange, leaf_hash
from ledger.verify import AcceptedEntries, LogVerifier


@pytest.fixture(scope="module")
def big_log() -> SampleLog:
    """A log just long enough for the process pool to be used with the default settings."""
    log = standard_log(0)
    while log.size < verify_module.PARALLEL_THRESHOLD + 100:
        log.record(PRODUCER if log.size % 3 else PRODUCER_2)
    return log


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> int:
    """Batches of 100 entries and a pool from 200 entries on, so short logs use the pool."""
    monkeypatch.setattr(readers, "BATCH_SIZE", 100)
    monkeypatch.setattr(verify_module, "PARALLEL_THRESHOLD", 200)
    return 100


def pool_log(size: int) -> SampleLog:
    log = standard_log(0)
    while log.size < size:
        log.record(PRODUCER if log.size % 3 else PRODUCER_2)
    return log


def test_the_pool_gives_the_same_result_as_one_process(big_log: SampleLog) -> None:
    calls: list[tuple[int, int]] = []
    pooled = verify(big_log, jobs=2, progress=lambda done, total: calls.append((done, total)))
    alone = verify(big_log, jobs=1)
    assert pooled.state == alone.state and pooled.root == big_log.root()
    assert calls == [(2_000, big_log.size), (big_log.size, big_log.size)]


def test_the_pool_reports_the_lowest_failing_index(small_batches: int) -> None:
    log = pool_log(450)
    pairs = log.pairs()
    # a bad signature in the first batch, a format error in the second, a bad seq in the fifth
    pairs[50] = (50, replace_text(pairs[50][1], b"shipping", b"shippinX"))
    pairs[120] = (120, pairs[120][1] + b" ")
    pairs[410] = (410, replace_text(pairs[410][1], b'"seq":410', b'"seq":411'))
    for index, check in ((50, "signature"), (120, "format"), (410, "seq")):
        with pytest.raises(
            (SignatureError, FormatError, ChainError), match=rf"^entry {index}: {check}: "
        ):
            verify(log, pairs, jobs=2)
        pairs[index] = (index, log.entries[index])
    assert verify(log, pairs, jobs=2).root == log.root()


def test_the_last_batches_of_a_long_log_are_smaller(
    small_batches: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "BATCH_SIZE", 16)  # the last 64 of 256+ in batches of 2
    log = pool_log(300)
    sizes: list[int] = []
    checked = verify_module.check_batch

    def check(batch: EntryBatch) -> Any:
        sizes.append(len(batch.entries))
        return checked(batch)

    monkeypatch.setattr(verify_module, "check_batch", check)
    assert verify(log, jobs=1).root == log.root()
    assert log.size == 300 and sizes == [16] * 15 + [2] * 30
    monkeypatch.setattr(verify_module, "check_batch", checked)  # the pool pickles it
    pairs = log.pairs()
    pairs[290] = (290, replace_text(pairs[290][1], b'"seq":290', b'"seq":291'))
    with pytest.raises(ChainError, match=r"^entry 290: seq: "):
        verify(log, pairs, jobs=2)


def test_batches_for_forked_workers_go_through_a_shared_file(small_batches: int) -> None:
    entries = pool_log(30).entries
    shared = readers.SharedBatches(2)
    try:
        first = shared.batch(0, entries[:10], {}, "o", True)
        second = shared.batch(10, entries[10:20], {}, "o", True)
        sent = pickle.loads(pickle.dumps(first))  # as the pool sends it
        assert first.shared_entries is not None and second.shared_entries is not None
        assert sent.entries == () and sent.entry_list() == entries[:10]
        assert check_batch(sent).leaves == check_batch(first).leaves
        # Both regions are taken until a batch is released: the next goes through the pipe.
        third = shared.batch(20, entries[20:30], {}, "o", True)
        assert third.shared_entries is None and pickle.loads(pickle.dumps(third)) == third
        shared.release(first)
        again = shared.batch(20, entries[20:30], {}, "o", True)
        assert again.shared_entries is not None
        assert pickle.loads(pickle.dumps(again)).entry_list() == entries[20:30]
        assert pickle.loads(pickle.dumps(second)).entry_list() == entries[10:20]
        shared.release(second)
        huge = [b"x" * 65_537] * small_batches  # each longer than an entry may be
        assert shared.batch(0, huge, {}, "o", True).shared_entries is None
        assert shared.batch(0, huge[1:], {}, "o", True).shared_entries is not None
    finally:
        shared.close()


def test_the_pool_checks_keys_registered_in_any_batch(small_batches: int) -> None:
    log = pool_log(small_batches - 1)
    late = make_signer("truyxuat.ocop.example.vn/late", 40)
    later = make_signer("truyxuat.ocop.example.vn/later", 41)
    log.register(late)  # the last entry of the first batch
    first_use = log.record(late)  # the first entry of the second batch
    log.register(later)
    log.record(later)  # registered and used within one batch
    while log.size < 450:
        log.record(late if log.size % 2 else later)
    result = verify(log, jobs=2)
    assert {late.key_name, later.key_name} <= result.registry.active_keys()
    pairs = log.pairs()
    pairs[first_use] = (first_use, replace_text(pairs[first_use][1], b"shipping", b"shippinX"))
    with pytest.raises(SignatureError, match=rf"^entry {first_use}: signature"):
        verify(log, pairs, jobs=2)


def test_the_pool_rejects_a_revoked_key_the_workers_still_knew(small_batches: int) -> None:
    log = pool_log(350)
    revocation = log.revoke(PRODUCER)
    after = log.record(PRODUCER)
    with pytest.raises(
        SignatureError, match=rf"^entry {after}: trust chain: .* revoked by entry {revocation}$"
    ):
        verify(log, jobs=2)


def test_a_wrong_key_hint_does_not_decide_a_signature() -> None:
    log = standard_log()
    hints = {PRODUCER.key_name: OUTSIDER.public_key, PRODUCER_2.key_name: PRODUCER_2.public_key}
    checked = check_batch(EntryBatch(0, log.entries, hints))
    assert checked.signatures[4] == (OUTSIDER.public_key, False)  # checked under the hint
    acceptor = BatchAcceptor(LogVerifier(log.origin))
    acceptor.accept_batch(checked)  # the acceptor checks entry 4 itself, under PRODUCER's key
    assert acceptor.log.tree.root() == log.root()


def test_key_hints_come_from_the_input_and_from_a_resumed_trust_chain() -> None:
    log = standard_log()
    hints = KeyHints()
    hints.scan(log.entries[:3])  # genesis, ADMIN_2, PRODUCER
    assert hints.snapshot() == {k.key_name: k.public_key for k in (ADMIN, ADMIN_2, PRODUCER)}
    log.revoke(PRODUCER)
    registry = verify(log).registry
    assert KeyHints.from_registry(registry).snapshot() == {
        k.key_name: k.public_key for k in (ADMIN, ADMIN_2, PRODUCER_2)
    }


def test_errors_name_index_check_expected_and_found() -> None:
    log = standard_log()
    pairs = log.pairs()
    pairs[4] = (4, replace_text(pairs[4][1], b'"seq":4', b'"seq":9'))
    with pytest.raises(ChainError) as caught:
        verify(log, pairs)
    assert re.fullmatch(r"entry 4: seq: expected 4, found 9", str(caught.value))


# ------------------------------------------------ verify_export: lines decoded by the workers


def export_outcome(data: bytes, **kwargs: Any) -> tuple[str, str]:
    try:
        result = verify_export(read_export(io.BytesIO(data)), **kwargs)
    except LedgerError as exc:
        return type(exc).__name__, str(exc)
    return "ok", b64encode(result.root) + repr(result.state)


def entries_outcome(data: bytes, **kwargs: Any) -> tuple[str, str]:
    reader = read_export(io.BytesIO(data))
    header = reader.header
    try:
        result = verify_log(reader.entries(), header.checkpoint, header.vkey, **kwargs)
    except LedgerError as exc:
        return type(exc).__name__, str(exc)
    return "ok", b64encode(result.root) + repr(result.state)


def export_lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def tampered_exports(log: SampleLog) -> dict[str, bytes]:
    data = log.export()
    lines = export_lines(data)
    signed = base64.b64encode(replace_text(log.entries[250], b"shipping", b"shippinX"))
    return {
        "intact": data,
        "bad signature": data.replace(base64.b64encode(log.entries[250]), signed),
        "bad line": b"\n".join([*lines[:120], b"not json", *lines[121:]]),
        "line of another index": b"\n".join([*lines[:120], lines[121], *lines[121:]]),
        "non-canonical base64": data.replace(lines[300], lines[300].replace(b'"}', b'\\n"}')),
        "one line too many": data + lines[5] + b"\n",
        "a blank line too many": data + b"\n",
        "truncated": b"\n".join(lines[:-40]) + b"\n",
        "no final newline": data.rstrip(b"\n"),
    }


@pytest.mark.parametrize("jobs", [1, 2])
def test_verify_export_reports_what_verifying_the_entries_reports(
    small_batches: int, jobs: int
) -> None:
    log = pool_log(450)
    for name, data in tampered_exports(log).items():
        assert export_outcome(data, jobs=jobs) == entries_outcome(data, jobs=jobs), name


def test_forked_workers_read_the_lines_from_the_file_itself(
    small_batches: int, tmp_path: Path
) -> None:
    log = pool_log(450)
    path = tmp_path / "export.jsonl"
    for name, data in tampered_exports(log).items():
        path.write_bytes(data)
        with path.open("rb") as fp:
            try:
                result = verify_export(read_export(fp), jobs=2)
                outcome = ("ok", b64encode(result.root) + repr(result.state))
            except LedgerError as exc:
                outcome = (type(exc).__name__, str(exc))
        assert outcome == entries_outcome(data, jobs=1), name


def test_lines_that_changed_in_the_file_are_an_error(tmp_path: Path) -> None:
    log = standard_log()
    path = tmp_path / "export.jsonl"
    path.write_bytes(log.export())
    with path.open("rb") as fp:
        reader = read_export(fp)
        offset = reader.offset
        count, lines = reader.entry_lines(5)
        assert offset is not None and reader.shared_file() == fp.fileno()
        shared = (fp.fileno(), offset, len(lines) + 7, count)  # as if the file had grown
        checked = check_batch(EntryBatch(0, (), {}, log.origin, shared_lines=shared))
    assert checked.count == 0 and str(checked.failure) == (
        "entry 0: export line 2: the export changed while it was being read"
    )
    assert read_export(io.BytesIO(log.export())).shared_file() is None


def test_registrations_are_found_in_export_lines_at_every_alignment() -> None:
    log = standard_log(0)
    for number in range(12):  # names of every length mod 3 put the type at every offset
        log.register(make_signer("truyxuat.ocop.example.vn/k" + "x" * number, 50 + number))
    mark = b'"type":"key.registered"'
    assert {data.find(mark) % 3 for data in log.entries} == {0, 1, 2}
    from_lines, from_entries = KeyHints(), KeyHints()
    from_lines.scan_export_lines(b"\n".join(export_lines(log.export())[1:]))
    from_entries.scan(log.entries)
    assert from_lines.snapshot() == from_entries.snapshot()
    assert len(from_lines.snapshot()) == len(log.key_indices()) == 16


# ------------------------------------------------------- chunks, observers and the runs


def test_chunks_verify_as_pairs_do(small_batches: int) -> None:
    log = pool_log(450)
    chunks = [(start, log.entries[start : start + 70]) for start in range(0, log.size, 70)]
    assert verify_log_chunks(chunks, log.checkpoint(), log.vkey).state == verify(log).state
    with pytest.raises(ChainError, match=r"^entry 140: index: expected 140, found 141$"):
        verify_log_chunks([chunks[0], chunks[1], (141, [])], log.checkpoint(), log.vkey)
    with pytest.raises(
        CheckpointError, match=r"^entry 300: checkpoint size: expected 300 entries, found more$"
    ):
        verify_log_chunks(chunks, log.checkpoint(300), log.vkey)


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_observer_sees_every_accepted_entry_before_a_failure(
    small_batches: int, jobs: int
) -> None:
    log = pool_log(450)
    seen: list[AcceptedEntries] = []
    verify(log, jobs=jobs, observer=seen.append)
    assert [a.first_index for a in seen] == list(range(0, 450, 100))
    assert b"".join(a.leaves for a in seen) == b"".join(leaf_hash(d) for d in log.entries)
    types = [t for a in seen for t in a.types]
    assert types[:4] == ["key.registered"] * 4 and set(types[4:]) == {"event.recorded"}
    pairs = log.pairs()
    pairs[250] = (250, replace_text(pairs[250][1], b"shipping", b"shippinX"))
    seen.clear()
    with pytest.raises(SignatureError, match=r"^entry 250: signature"):
        verify(log, pairs, jobs=jobs, observer=seen.append)
    assert sum(a.count for a in seen) == 250


def test_a_run_checked_under_another_key_than_the_trust_chains_is_checked_again() -> None:
    log = standard_log()
    forged = log.make_entry(OUTSIDER, "event.recorded", {"n": 1}, actor=PRODUCER.key_name)
    index = log.append_data(forged)
    hints = {k.key_name: k.public_key for k in (ADMIN, ADMIN_2, PRODUCER_2)}
    hints[PRODUCER.key_name] = OUTSIDER.public_key  # the forger's key: the signature verifies
    task = EntryBatch(0, log.entries, hints, log.origin)
    checked = check_batch(task)
    assert checked.signatures[index] == (OUTSIDER.public_key, True)
    with pytest.raises(ValueError, match="needs its batch"):
        BatchAcceptor(LogVerifier(log.origin)).accept_batch(checked)
    with pytest.raises(SignatureError) as caught:
        BatchAcceptor(LogVerifier(log.origin)).accept_batch(checked, task)
    assert str(caught.value).startswith(
        f"entry {index}: signature: expected a valid Ed25519 signature by {PRODUCER.key_name}"
    )


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_observer_sees_every_subtree_and_the_roots_it_asked_for(
    small_batches: int, jobs: int
) -> None:
    log = pool_log(450)
    seen: list[AcceptedEntries] = []
    sizes = {1, 99, 100, 101, 256, 449, 450}
    chunks = [(start, log.entries[start : start + 70]) for start in range(0, log.size, 70)]
    verify_log_chunks(
        chunks, log.checkpoint(), log.vkey, jobs=jobs, observer=seen.append, roots_at=sizes
    )
    reported = sorted(
        (level, index + offset, digest)
        for accepted in seen
        for level, index, hashes in accepted.subtrees
        for offset, digest in enumerate(hashes)
    )
    compact = CompactRange()
    expected = sorted(row for data in log.entries for row in compact.append(leaf_hash(data)))
    assert reported == expected
    roots = {size: root for accepted in seen for size, root in accepted.roots.items()}
    assert roots == {size: log.root(size) for size in sizes}
