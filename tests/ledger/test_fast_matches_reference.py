"""ledger.fast gives the reference's verdict: the same result, or the same error and message.

The reference (ledger.verify.verify_log, one entry after another) decides what a log's
verdict is. Every fast path (in-process batches, the worker pool, runs of entries, export
lines decoded by the workers) is run here on valid logs and on logs broken in many ways
(flipped bytes, reordered, dropped or repeated entries, bad signatures, non-canonical JSON,
wrong prev, another log, revoked and unregistered keys, wrong checkpoints) and must agree; so
must the fast entry parser (ledger.fast.scanner.parse_entry) with ledger.entry.parse_entry.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from functools import cache
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_support import (
    OUTSIDER,
    PRODUCER,
    PRODUCER_2,
    SampleLog,
    export_of,
    make_signer,
    standard_log,
)

from ledger import verify as reference
from ledger.entry import Entry, parse_entry
from ledger.errors import LedgerError
from ledger.export import read_export
from ledger.fast import readers
from ledger.fast import verify as fast
from ledger.fast.scanner import parse_entry as fast_parse_entry

Pairs = list[tuple[int, bytes]]


@cache
def sample_logs() -> dict[str, SampleLog]:
    """Valid logs and logs with a bad entry somewhere (each built once)."""
    plain = standard_log(20)
    revoked = standard_log(4)
    revoked.revoke(PRODUCER)
    revoked.record(PRODUCER_2)
    revoked.record(PRODUCER)  # signed by a revoked key
    revoked.record(PRODUCER_2)
    forged = standard_log(5)
    forged.append_data(
        forged.make_entry(OUTSIDER, "event.recorded", {"n": 1}, actor=PRODUCER.key_name)
    )
    forged.record(PRODUCER)
    unregistered = standard_log(5)
    unregistered.record(OUTSIDER)
    unregistered.record(PRODUCER)
    re_encoded = standard_log(5)
    canonical = re_encoded.make_entry(PRODUCER, "event.recorded", {"b": 1, "a": [1.5, "Trà"]})
    re_encoded.append_data(json.dumps(json.loads(canonical), indent=1).encode())
    re_encoded.record(PRODUCER_2)
    other_log = standard_log(5)
    other_log.append_data(other_log.make_entry(PRODUCER, "event.recorded", {}, log="x.example/log"))
    other_log.record(PRODUCER)
    return {
        "plain": plain,
        "revoked": revoked,
        "forged": forged,
        "unregistered": unregistered,
        "re-encoded": re_encoded,
        "other log": other_log,
    }


def outcome(run: Callable[[], reference.VerifiedLog]) -> tuple[str, str]:
    """What a verification says: its error's type and message, or its result."""
    try:
        result = run()
    except LedgerError as exc:
        return type(exc).__name__, str(exc)
    return "ok", repr((result.checkpoint, result.state, sorted(result.registry.active_keys())))


def every_path(pairs: Pairs, checkpoint: str, vkey: str, chunk: int) -> dict[str, Any]:
    """The outcome of the reference and of each fast path on the same input."""
    export = export_of(pairs, checkpoint, vkey)
    chunks = [
        (start, [d for _, d in pairs[start : start + chunk]]) for start in range(0, 99, chunk)
    ]
    chunks = [(start, run) for start, run in chunks if run]
    if any(index != position for position, (index, _) in enumerate(pairs)):
        chunks = []  # runs carry no index of their own: only in-order input makes runs
    outcomes = {
        "reference": outcome(lambda: reference.verify_log(pairs, checkpoint, vkey)),
        "reference export": outcome(
            lambda: reference.verify_log(
                read_export(io.BytesIO(export)).entries(), checkpoint, vkey
            )
        ),
    }
    for jobs in (1, 2):
        outcomes[f"pairs, {jobs} jobs"] = outcome(
            lambda jobs=jobs: fast.verify_log(pairs, checkpoint, vkey, jobs=jobs)
        )
        outcomes[f"export, {jobs} jobs"] = outcome(
            lambda jobs=jobs: fast.verify_export(read_export(io.BytesIO(export)), jobs=jobs)
        )
        if chunks:
            outcomes[f"chunks, {jobs} jobs"] = outcome(
                lambda jobs=jobs: fast.verify_log_chunks(chunks, checkpoint, vkey, jobs=jobs)
            )
    return outcomes


def assert_all_agree(pairs: Pairs, checkpoint: str, vkey: str, chunk: int = 5) -> None:
    # Batches of 4 and a pool from 8 entries on, so that short logs cross batches and workers.
    with (
        mock.patch.object(readers, "BATCH_SIZE", 4),
        mock.patch.object(fast, "PARALLEL_THRESHOLD", 8),
    ):
        outcomes = every_path(pairs, checkpoint, vkey, chunk)
    # An export's lines carry their index: a wrong one is the export's FormatError there.
    expected = {
        path: outcomes["reference export" if "export" in path else "reference"] for path in outcomes
    }
    assert expected == outcomes


def mutated(pairs: Pairs, kind: str, data: st.DataObject) -> Pairs:
    """`pairs` broken one way (`kind`), at places `data` draws."""
    pairs = list(pairs)
    where = data.draw(st.integers(0, len(pairs) - 1), label="entry")
    index, entry = pairs[where]
    if kind == "flip a bit":
        byte = data.draw(st.integers(0, len(entry) - 1), label="byte")
        bit = data.draw(st.integers(0, 7), label="bit")
        pairs[where] = (index, entry[:byte] + bytes([entry[byte] ^ 1 << bit]) + entry[byte + 1 :])
    elif kind == "swap two entries":
        other = data.draw(st.integers(0, len(pairs) - 1), label="other")
        pairs[where], pairs[other] = (index, pairs[other][1]), (pairs[other][0], entry)
    elif kind == "drop an entry":
        del pairs[where]
        if data.draw(st.booleans(), label="renumber"):
            pairs = [(i, d) for i, (_, d) in enumerate(pairs)]
    elif kind == "repeat an entry":
        pairs.insert(where, (index, entry))
        pairs = [(i, d) for i, (_, d) in enumerate(pairs)]
    elif kind == "re-encode an entry":
        spaced = json.dumps(json.loads(entry), ensure_ascii=data.draw(st.booleans())).encode()
        pairs[where] = (index, spaced)
    elif kind == "change a field":
        name, value = data.draw(
            st.sampled_from(
                [
                    ("prev", base64.b64encode(bytes(32)).decode()),
                    ("seq", index + 1),
                    ("log", "x.example/log"),
                    ("sig", base64.b64encode(bytes(64)).decode()),
                    ("actor", OUTSIDER.key_name),
                    ("type", "key.revoked"),
                    ("v", 2),
                ]
            ),
            label="field",
        )
        fields = json.loads(entry)
        fields[name] = value
        pairs[where] = (index, json.dumps(fields, sort_keys=True, separators=(",", ":")).encode())
    elif kind == "cut the log":
        pairs = pairs[:where]
    return pairs


MUTATIONS = [
    "none",
    "flip a bit",
    "swap two entries",
    "drop an entry",
    "repeat an entry",
    "re-encode an entry",
    "change a field",
    "cut the log",
]


@settings(max_examples=120, deadline=None)
@given(
    st.sampled_from(sorted(sample_logs())),
    st.sampled_from(MUTATIONS),
    st.integers(1, 9),
    st.data(),
)
def test_the_fast_paths_give_the_reference_verdict_on_broken_logs(
    name: str, kind: str, chunk: int, data: st.DataObject
) -> None:
    log = sample_logs()[name]
    pairs = log.pairs() if kind == "none" else mutated(log.pairs(), kind, data)
    assert_all_agree(pairs, log.checkpoint(), log.vkey, chunk)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(sample_logs())), st.data())
def test_the_fast_paths_give_the_reference_verdict_on_other_checkpoints(
    name: str, data: st.DataObject
) -> None:
    log = sample_logs()[name]
    size = data.draw(st.integers(0, log.size), label="size")
    kind = data.draw(st.sampled_from(["size", "root", "another log"]), label="checkpoint")
    if kind == "size":
        checkpoint = log.checkpoint(size)  # a true checkpoint of fewer entries
    elif kind == "root":
        checkpoint = log.checkpoint(root=log.root(size))  # the full size, another root
    else:
        other = SampleLog("other.example/log", make_signer("other.example/log", 78))
        checkpoint = other.checkpoint()  # signed by another key, for another origin
    assert_all_agree(log.pairs(), checkpoint, log.vkey)


def test_the_fast_paths_agree_on_a_resumed_log() -> None:
    log = sample_logs()["revoked"]
    half = 6
    state = reference.verify_log(log.pairs(half), log.checkpoint(half), log.vkey).state
    rest = log.pairs()[half:]
    expected = outcome(lambda: reference.verify_log(rest, log.checkpoint(), log.vkey, resume=state))
    for jobs in (1, 2):
        assert expected == outcome(
            lambda jobs=jobs: fast.verify_log(
                rest, log.checkpoint(), log.vkey, jobs=jobs, resume=state
            )
        )
    assert expected[0] == "SignatureError"  # the revoked key's entry, after the resume


def test_every_sample_log_but_the_plain_one_fails() -> None:
    verdicts = {
        name: outcome(
            lambda log=log: reference.verify_log(log.pairs(), log.checkpoint(), log.vkey)
        )[0]
        for name, log in sample_logs().items()
    }
    assert verdicts == {
        "plain": "ok",
        "revoked": "SignatureError",
        "forged": "SignatureError",
        "unregistered": "SignatureError",
        "re-encoded": "FormatError",
        "other log": "ChainError",
    }


def parsed(parse: Callable[[bytes], Entry], data: bytes) -> tuple[str, object]:
    try:
        return "ok", parse(data)
    except LedgerError as exc:
        return type(exc).__name__, str(exc)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(sample_logs())),
    st.sampled_from(["none", "flip a bit", "re-encode an entry", "change a field"]),
    st.data(),
)
def test_the_fast_entry_parser_gives_the_reference_entry_or_error(
    name: str, kind: str, data: st.DataObject
) -> None:
    log = sample_logs()[name]
    pairs = log.pairs() if kind == "none" else mutated(log.pairs(), kind, data)
    for _, entry in pairs:
        assert parsed(fast_parse_entry, entry) == parsed(parse_entry, entry)
