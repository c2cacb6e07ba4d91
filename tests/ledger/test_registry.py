"""The trust chain of DESIGN §5 (ledger.registry): genesis, registration, revocation."""

from __future__ import annotations

import hashlib
import pickle
from typing import Any

import pytest

from ledger.entry import GENESIS_PREV, Entry, parse_entry, statement_message
from ledger.errors import ChainError, FormatError, SignatureError, VerificationError
from ledger.registry import KEY_REGISTERED, KEY_REVOKED, KeyRegistry
from ledger.signing import Signer, build_entry

LOG = "truyxuat.ocop.example.vn/log"
RECORDED = "2026-11-28T14:42:43.123Z"
ADMIN = Signer.from_seed("truyxuat.ocop.example.vn/admin", bytes([1]) * 32)
ADMIN_2 = Signer.from_seed("truyxuat.ocop.example.vn/admin-2", bytes([2]) * 32)
PRODUCER = Signer.from_seed("truyxuat.ocop.example.vn/htx-ta-phin", bytes([3]) * 32)
AUDITOR = Signer.from_seed("truyxuat.ocop.example.vn/auditor", bytes([4]) * 32)
OUTSIDER = Signer.from_seed("attacker.example/key", bytes([5]) * 32)
EVENT = {"eventID": "ni:///sha-256;abc?ver=CBV2.0", "product": "Trà Shan tuyết Cổ thụ"}


def registered(
    signer: Signer, role: str = "producer", producer: str | None = "P-TaPhin"
) -> dict[str, Any]:
    return {"vkey": signer.vkey, "role": role, "producer": producer if role == "producer" else None}


def revoked(signer: Signer, reason: str = "key compromised") -> dict[str, Any]:
    return {"key": signer.key_name, "reason": reason}


class LogBuilder:
    """Builds a well-chained log of parsed entries, letting tests forge actor or signature."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self._prev = GENESIS_PREV

    def append(
        self,
        signer: Signer,
        statement_type: str,
        statement: dict[str, Any],
        *,
        actor: str | None = None,
    ) -> Entry:
        actor = actor or signer.key_name
        sig = signer.sign(statement_message(actor, statement_type, statement))
        data = build_entry(
            LOG, len(self.entries), self._prev, RECORDED, statement_type, actor, statement, sig
        )
        self._prev = hashlib.sha256(b"\x00" + data).digest()
        entry = parse_entry(data)
        self.entries.append(entry)
        return entry


def genesis_log() -> LogBuilder:
    log = LogBuilder()
    log.append(ADMIN, KEY_REGISTERED, registered(ADMIN, "admin"))
    return log


def admit_all(log: LogBuilder) -> KeyRegistry:
    registry = KeyRegistry()
    for entry in log.entries:
        registry.admit(entry)
    return registry


def test_genesis_registers_the_first_admin() -> None:
    registry = admit_all(genesis_log())
    assert registry.role_of(ADMIN.key_name) == "admin"
    assert registry.active_keys() == {ADMIN.key_name}
    record = registry.record(ADMIN.key_name)
    assert record is not None and record.active and record.registered_seq == 0


def test_registered_keys_can_sign_other_statements() -> None:
    log = genesis_log()
    log.append(ADMIN, KEY_REGISTERED, registered(PRODUCER))
    log.append(PRODUCER, "event.recorded", EVENT)
    log.append(ADMIN, KEY_REGISTERED, registered(AUDITOR, "auditor"))
    registry = admit_all(log)
    assert registry.role_of(PRODUCER.key_name) == "producer"
    assert registry.role_of(AUDITOR.key_name) == "auditor"
    assert registry.active_keys() == {ADMIN.key_name, PRODUCER.key_name, AUDITOR.key_name}
    record = registry.record(PRODUCER.key_name)
    assert record is not None and record.registration.producer == "P-TaPhin"


def test_genesis_must_be_a_key_registration() -> None:
    log = LogBuilder()
    log.append(ADMIN, "event.recorded", EVENT)
    with pytest.raises(SignatureError, match=r"genesis entry is 'event\.recorded'"):
        admit_all(log)


def test_genesis_key_must_be_an_admin() -> None:
    log = LogBuilder()
    log.append(PRODUCER, KEY_REGISTERED, registered(PRODUCER))
    with pytest.raises(SignatureError, match="expected admin"):
        admit_all(log)


def test_genesis_must_be_signed_by_the_key_it_registers() -> None:
    log = LogBuilder()
    log.append(ADMIN_2, KEY_REGISTERED, registered(ADMIN, "admin"))
    with pytest.raises(SignatureError, match="expected the key it registers"):
        admit_all(log)


def test_genesis_with_the_right_actor_but_a_foreign_signature_fails() -> None:
    log = LogBuilder()
    log.append(OUTSIDER, KEY_REGISTERED, registered(ADMIN, "admin"), actor=ADMIN.key_name)
    with pytest.raises(SignatureError, match="invalid signature"):
        admit_all(log)


def test_the_first_entry_must_be_entry_zero() -> None:
    log = genesis_log()
    log.append(ADMIN, KEY_REGISTERED, registered(ADMIN_2, "admin"))
    with pytest.raises(ChainError, match="seq 0"):
        KeyRegistry().admit(log.entries[1])


def test_entries_must_come_in_increasing_order() -> None:
    log = genesis_log()
    log.append(ADMIN, KEY_REGISTERED, registered(PRODUCER))
    log.append(PRODUCER, "event.recorded", EVENT)
    registry = admit_all(log)
    with pytest.raises(ChainError, match="does not come after"):
        registry.admit(log.entries[1])


def test_a_subsequence_from_genesis_is_accepted() -> None:
    # a proof bundle carries the genesis, the registrations its signers need and its entries
    log = genesis_log()
    log.append(ADMIN, KEY_REGISTERED, registered(AUDITOR, "auditor"))
    log.append(ADMIN, KEY_REGISTERED, registered(PRODUCER))
    log.append(AUDITOR, "audit.noted", {"note": "ok"})
    log.append(PRODUCER, "event.recorded", EVENT)
    registry = KeyRegistry()
    for index in (0, 2, 4):
        registry.admit(log.entries[index])
    assert registry.active_keys() == {ADMIN.key_name, PRODUCER.key_name}


def test_unregistered_key_is_rejected() -> None:
    log = genesis_log()
    log.append(PRODUCER, "event.recorded", EVENT)
    with pytest.raises(SignatureError, match="not registered by an earlier entry"):
        admit_all(log)


def test_key_registered_in_the_same_entry_cannot_sign_it() -> None:
    log = genesis_log()
    log.append(ADMIN_2, KEY_REGISTERED, registered(ADMIN_2, "admin"))
    with pytest.raises(SignatureError, match="not registered"):
        admit_all(log)


def test_revoked_key_signs_before_revocation_but_not_after() -> None:
    log = genesis_log()
    log.append(ADMIN, KEY_REGISTERED, registered(PRODUCER))
    log.append(PRODUCER, "event.recorded", EVENT)
    log.append(ADMIN, KEY_REVOKED, revoked(PRODUCER))
    registry = admit_all(log)
    assert registry.role_of(PRODUCER.key_name) is None
    assert registry.active_keys() == {ADMIN.key_name}
    record = registry.record(PRODUCER.key_name)
    assert record is not None and not record.active and record.revoked_seq == 3
    log.append(PRODUCER, "event.recorded", EVENT)
    with pytest.raises(SignatureError, match="revoked by entry 3"):
        registry.admit(log.entries[4])


def test_a_key_may_revoke_itself_with_that_entry_still_valid() -> None:
    log = genesis_log()
    log.append(ADMIN, KEY_REGISTERED, registered(ADMIN_2, "admin"))
    log.append(ADMIN_2, KEY_REVOKED, revoked(ADMIN_2, "rotated"))
    log.append(ADMIN_2, "event.recorded", EVENT)
    registry = KeyRegistry()
    for entry in log.entries[:3]:
        registry.admit(entry)
    with pytest.raises(SignatureError, match="revoked"):
        registry.admit(log.entries[3])


@pytest.mark.parametrize("role", ["producer", "auditor", "service"])
def test_non_admin_cannot_register_keys(role: str) -> None:
    signer = {"producer": PRODUCER, "auditor": AUDITOR, "service": ADMIN_2}[role]
    log = genesis_log()
    log.append(ADMIN, KEY_REGISTERED, registered(signer, role))
    log.append(signer, KEY_REGISTERED, registered(OUTSIDER, "admin"))
    with pytest.raises(SignatureError, match="must be signed by an admin key"):
        admit_all(log)


def test_non_admin_cannot_revoke_keys() -> None:
    log = genesis_log()
    log.append(ADMIN, KEY_REGISTERED, registered(PRODUCER))
    log.append(PRODUCER, KEY_REVOKED, revoked(ADMIN))
    with pytest.raises(SignatureError, match="must be signed by an admin key"):
        admit_all(log)


def test_foreign_signature_is_rejected() -> None:
    log = genesis_log()
    log.append(ADMIN, KEY_REGISTERED, registered(PRODUCER))
    log.append(ADMIN, "event.recorded", EVENT, actor=PRODUCER.key_name)  # admin signs as producer
    with pytest.raises(SignatureError, match="invalid signature"):
        admit_all(log)


def test_re_registering_an_active_key_is_rejected() -> None:
    log = genesis_log()
    log.append(ADMIN, KEY_REGISTERED, registered(PRODUCER))
    log.append(ADMIN, KEY_REGISTERED, registered(PRODUCER, "producer", "P-Other"))
    with pytest.raises(VerificationError, match="already registered"):
        admit_all(log)


def test_re_registering_a_revoked_key_is_rejected() -> None:
    log = genesis_log()
    log.append(ADMIN, KEY_REGISTERED, registered(PRODUCER))
    log.append(ADMIN, KEY_REVOKED, revoked(PRODUCER))
    log.append(ADMIN, KEY_REGISTERED, registered(PRODUCER))
    with pytest.raises(VerificationError, match="revoked by entry 2"):
        admit_all(log)


def test_revoking_an_unknown_or_already_revoked_key_is_rejected() -> None:
    log = genesis_log()
    log.append(ADMIN, KEY_REVOKED, revoked(PRODUCER))
    with pytest.raises(VerificationError, match="never registered"):
        admit_all(log)
    log = genesis_log()
    log.append(ADMIN, KEY_REGISTERED, registered(PRODUCER))
    log.append(ADMIN, KEY_REVOKED, revoked(PRODUCER))
    log.append(ADMIN, KEY_REVOKED, revoked(PRODUCER))
    with pytest.raises(VerificationError, match="already revoked"):
        admit_all(log)


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ({"vkey": PRODUCER.vkey, "role": "producer"}, "expected fields"),
        ({**registered(PRODUCER), "note": "x"}, "expected fields"),
        ({"vkey": PRODUCER.vkey, "role": "root", "producer": None}, "role"),
        ({"vkey": PRODUCER.vkey, "role": "Admin", "producer": None}, "role"),
        ({"vkey": PRODUCER.vkey, "role": ["admin"], "producer": None}, "role"),
        ({"vkey": PRODUCER.vkey, "role": "producer", "producer": None}, "must name its producer"),
        ({"vkey": PRODUCER.vkey, "role": "producer", "producer": 17}, "producer"),
        ({"vkey": PRODUCER.vkey, "role": "producer", "producer": ""}, "producer"),
        ({"vkey": PRODUCER.key_name, "role": "auditor", "producer": None}, "vkey"),
        ({"vkey": 5, "role": "auditor", "producer": None}, "vkey"),
        ({"vkey": PRODUCER.vkey.replace("+", "+0", 1), "role": "auditor", "producer": None}, "hex"),
    ],
)
def test_malformed_key_registrations_are_rejected(statement: dict[str, Any], problem: str) -> None:
    log = genesis_log()
    log.append(ADMIN, KEY_REGISTERED, statement)
    with pytest.raises(FormatError, match=problem):
        admit_all(log)


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ({"key": PRODUCER.key_name}, "expected fields"),
        ({**revoked(PRODUCER), "when": "now"}, "expected fields"),
        ({"key": PRODUCER.vkey, "reason": "x"}, "hex"),
        ({"key": PRODUCER.name, "reason": "x"}, "hex"),
        ({"key": 3, "reason": "x"}, "key must be a string"),
        ({"key": PRODUCER.key_name, "reason": None}, "reason"),
    ],
)
def test_malformed_key_revocations_are_rejected(statement: dict[str, Any], problem: str) -> None:
    log = genesis_log()
    log.append(ADMIN, KEY_REGISTERED, registered(PRODUCER))
    log.append(ADMIN, KEY_REVOKED, statement)
    with pytest.raises(FormatError, match=problem):
        admit_all(log)


def test_malformed_genesis_statement_is_a_format_error() -> None:
    log = LogBuilder()
    log.append(ADMIN, KEY_REGISTERED, {"vkey": ADMIN.vkey, "role": "admin"})
    with pytest.raises(FormatError, match="expected fields"):
        admit_all(log)


def test_other_statement_types_are_not_interpreted() -> None:
    log = genesis_log()
    log.append(ADMIN, "future.statement-type", {"anything": [1, {"goes": None}]})
    admit_all(log)


def test_failed_admit_leaves_the_registry_unchanged() -> None:
    log = genesis_log()
    log.append(OUTSIDER, KEY_REGISTERED, registered(PRODUCER), actor=ADMIN.key_name)
    registry = KeyRegistry()
    registry.admit(log.entries[0])
    with pytest.raises(SignatureError):
        registry.admit(log.entries[1])
    assert registry.active_keys() == {ADMIN.key_name}
    assert registry.record(PRODUCER.key_name) is None


def test_required_verifier_changes_nothing() -> None:
    log = genesis_log()
    registry = KeyRegistry()
    assert registry.required_verifier(log.entries[0]) == ADMIN.verifier
    assert registry.active_keys() == frozenset()
    assert registry.required_verifier(log.entries[0]) == ADMIN.verifier


def test_apply_then_batch_verify_in_worker_form() -> None:
    # the parallel verifier's shape: walk the registry in order, ship the Ed25519 work away
    log = genesis_log()
    log.append(ADMIN, KEY_REGISTERED, registered(PRODUCER))
    for n in range(5):
        log.append(PRODUCER, "event.recorded", {**EVENT, "n": n})
    log.append(ADMIN, "event.recorded", EVENT, actor=PRODUCER.key_name)  # forged at the end
    registry = KeyRegistry()
    batch = [
        pickle.dumps((registry.apply(entry), entry.signed_message(), entry.sig))
        for entry in log.entries
    ]
    failures = []
    for index, job in enumerate(batch):
        verifier, message, sig = pickle.loads(job)
        try:
            verifier.verify(message, sig)
        except SignatureError:
            failures.append(index)
    assert failures == [7]
