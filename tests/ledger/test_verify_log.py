"""ledger.fast.verify: verifying a whole log against its checkpoint, in-process and on a pool."""

from __future__ import annotations

import json
from collections.abc import Iterator

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

from ledger.checkpoint import Checkpoint
from ledger.errors import ChainError, CheckpointError, FormatError, SignatureError
from ledger.fast.verify import verify_log
from ledger.keys import b64encode
from ledger.merkle import leaf_hash
from ledger.signing import sign_checkpoint
from ledger.verify import LogState


def test_a_good_log_verifies_with_its_trust_chain() -> None:
    log = standard_log()
    result = verify(log, jobs=1)
    assert (result.size, result.root) == (log.size, log.root())
    assert result.checkpoint.origin == log.origin
    assert result.registry.active_keys() == {
        k.key_name for k in (ADMIN, ADMIN_2, PRODUCER, PRODUCER_2)
    }
    assert [i for i, _ in result.state.key_entries] == log.key_indices()
    assert result.state.last_leaf == leaf_hash(log.entries[-1])


def test_the_empty_checkpoint_of_a_log_needs_no_entries() -> None:
    log = SampleLog()
    result = verify_log([], log.checkpoint(0), log.vkey)
    assert result.size == 0


def test_a_flipped_byte_in_a_signed_field_breaks_the_signature() -> None:
    log = standard_log()
    pairs = log.pairs()
    pairs[5] = (5, replace_text(pairs[5][1], b"shipping", b"shippinh"))
    with pytest.raises(SignatureError, match=r"^entry 5: signature: expected a valid Ed25519 "):
        verify(log, pairs)


def test_a_flipped_byte_in_an_unsigned_field_breaks_the_next_prev() -> None:
    log = standard_log()
    pairs = log.pairs()
    pairs[5] = (5, replace_text(pairs[5][1], b".128Z", b".129Z"))
    expected = b64encode(leaf_hash(pairs[5][1]))
    found = b64encode(leaf_hash(log.entries[5]))
    with pytest.raises(ChainError) as caught:
        verify(log, pairs)
    assert str(caught.value) == f"entry 6: prev: expected {expected}, found {found}"


def test_a_flipped_byte_in_the_last_entry_breaks_the_root() -> None:
    log = standard_log()
    pairs = log.pairs()
    last = log.size - 1
    pairs[last] = (last, replace_text(pairs[last][1], b".132Z", b".133Z"))
    with pytest.raises(CheckpointError, match=r"^checkpoint root: expected \S+, found \S+"):
        verify(log, pairs)


def test_a_dropped_entry_is_caught_by_index_or_by_seq() -> None:
    log = standard_log()
    dropped = log.pairs()[:4] + log.pairs()[5:]
    with pytest.raises(ChainError, match=r"^entry 4: index: expected 4, found 5$"):
        verify(log, dropped)
    renumbered = [(i, data) for i, (_, data) in enumerate(dropped)]
    with pytest.raises(ChainError, match=r"^entry 4: seq: expected 4, found 5$"):
        verify(log, renumbered)


def test_swapped_entries_are_caught() -> None:
    log = standard_log()
    entries = list(log.entries)
    entries[4], entries[5] = entries[5], entries[4]
    with pytest.raises(ChainError, match=r"^entry 4: seq: expected 4, found 5$"):
        verify(log, list(enumerate(entries)))


def test_a_truncated_log_does_not_reach_the_checkpoint() -> None:
    log = standard_log()
    with pytest.raises(
        CheckpointError,
        match=rf"^checkpoint size: expected {log.size} entries, found {log.size - 1}$",
    ):
        verify(log, log.pairs()[:-1])


def test_a_checkpoint_for_a_smaller_size_rejects_the_extra_entries() -> None:
    log = standard_log()
    small = log.size - 2
    with pytest.raises(
        CheckpointError,
        match=rf"^entry {small}: checkpoint size: expected {small} entries, found more$",
    ):
        verify(log, checkpoint=log.checkpoint(small))


def test_a_checkpoint_with_another_root_is_rejected() -> None:
    log = standard_log()
    wrong = log.checkpoint(root=log.root(3))
    with pytest.raises(CheckpointError) as caught:
        verify(log, checkpoint=wrong)
    assert str(caught.value) == (
        f"checkpoint root: expected {b64encode(log.root(3))}, "
        f"found {b64encode(log.root())} for {log.size} entries"
    )


def test_a_checkpoint_signed_by_a_foreign_key_is_rejected() -> None:
    log = standard_log()
    impostor = make_signer(log.origin, 77)  # same name, another key
    foreign = sign_checkpoint(Checkpoint(log.origin, log.size, log.root()), impostor)
    with pytest.raises(SignatureError, match="no verifiable signatures"):
        verify(log, checkpoint=foreign)


def test_a_checkpoint_of_another_origin_is_rejected() -> None:
    other = SampleLog("other.example/log", make_signer("other.example/log", 78))
    log = standard_log()
    with pytest.raises(SignatureError):
        verify_log(log.pairs(), other.checkpoint(), log.vkey)


def test_an_entry_by_an_unregistered_key_is_rejected() -> None:
    log = standard_log()
    index = log.record(OUTSIDER)
    with pytest.raises(SignatureError) as caught:
        verify(log)
    assert str(caught.value) == (
        f"entry {index}: trust chain: actor {OUTSIDER.key_name} is not registered by an "
        "earlier entry"
    )


def test_a_revoked_key_signs_validly_before_its_revocation_only() -> None:
    log = standard_log()
    before = log.record(PRODUCER)
    revocation = log.revoke(PRODUCER)
    after = log.record(PRODUCER)
    verify_log(log.pairs(revocation), log.checkpoint(revocation), log.vkey)
    assert verify_log(log.pairs(after), log.checkpoint(after), log.vkey).size == after > before
    with pytest.raises(SignatureError) as caught:
        verify(log)
    assert str(caught.value) == (
        f"entry {after}: trust chain: actor {PRODUCER.key_name} was revoked by entry {revocation}"
    )


def test_an_actor_claiming_another_key_fails_the_signature_check() -> None:
    log = standard_log()
    forged = log.make_entry(OUTSIDER, "event.recorded", {"n": 1}, actor=PRODUCER.key_name)
    index = log.append_data(forged)
    with pytest.raises(SignatureError) as caught:
        verify(log)
    assert str(caught.value) == (
        f"entry {index}: signature: expected a valid Ed25519 signature by "
        f"{PRODUCER.key_name}, found {json.loads(forged)['sig']}"
    )


def test_a_non_canonical_re_encoding_is_rejected_even_when_hashed_into_the_tree() -> None:
    log = standard_log()
    canonical = log.make_entry(PRODUCER, "event.recorded", {"b": 1, "a": 2})
    re_encoded = json.dumps(json.loads(canonical), indent=1).encode()
    index = log.append_data(re_encoded)
    log.record(PRODUCER)
    with pytest.raises(FormatError, match=rf"^entry {index}: format: JSON is not in RFC 8785"):
        verify(log)


def test_an_entry_of_another_log_is_rejected() -> None:
    log = standard_log()
    index = log.append_data(log.make_entry(PRODUCER, "event.recorded", {}, log="x.example/log"))
    with pytest.raises(ChainError) as caught:
        verify(log)
    assert (
        str(caught.value) == f"entry {index}: log: expected {log.origin!r}, found 'x.example/log'"
    )


def test_an_error_raised_by_the_input_comes_after_earlier_failures() -> None:
    log = standard_log()

    def entries_then_error(pairs: list[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
        yield from pairs[:6]
        raise FormatError("entry 6: export line 8: not JSON")

    with pytest.raises(FormatError, match=r"^entry 6: export line 8: not JSON$"):
        verify(log, entries_then_error(log.pairs()))
    pairs = log.pairs()
    pairs[5] = (5, replace_text(pairs[5][1], b"shipping", b"shippinX"))
    with pytest.raises(SignatureError, match=r"^entry 5: signature"):
        verify(log, entries_then_error(pairs))


def test_resuming_from_a_state_matches_a_full_replay() -> None:
    log = standard_log()
    half = 5
    first = verify_log(log.pairs(half), log.checkpoint(half), log.vkey)
    rest = log.pairs()[half:]
    resumed = verify_log(rest, log.checkpoint(), log.vkey, resume=first.state)
    assert resumed.state == verify(log).state
    assert resumed.registry.active_keys() == verify(log).registry.active_keys()


def test_resuming_rejects_a_checkpoint_below_the_state() -> None:
    log = standard_log()
    state = verify(log).state
    with pytest.raises(CheckpointError, match="expected at least the"):
        verify_log([], log.checkpoint(3), log.vkey, resume=state)


def test_resuming_from_a_state_with_a_broken_frontier_is_refused() -> None:
    log = standard_log()
    state = verify(log).state
    broken = LogState(state.size, state.frontier[:-1], state.last_leaf, state.key_entries)
    with pytest.raises(FormatError, match="frontier"):
        verify_log([], log.checkpoint(), log.vkey, resume=broken)
