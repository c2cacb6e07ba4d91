"""The ledger's trust chain (DESIGN §5, "Trust chain"): actor keys registered in the log itself.

Entry 0 is a self-signed `key.registered` of the first admin key. After it, an entry's `sig`
is valid only under a key registered by an earlier entry and not revoked by an earlier entry;
`key.registered` and `key.revoked` must be signed by an admin key. Other statement types are
not interpreted: only their signature is checked.

Deciding WHICH key must have signed an entry (`required_verifier`, cheap dictionary work) is
kept apart from checking the Ed25519 signature (`Verifier.verify`, RFC 8032), so a parallel
verifier can walk the log in order here and batch the signature checks across processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from ledger.entry import Entry
from ledger.errors import ChainError, FormatError, SignatureError, VerificationError
from ledger.keys import Verifier, split_key_name

KEY_REGISTERED = "key.registered"
KEY_REVOKED = "key.revoked"
KEY_TYPES = frozenset({KEY_REGISTERED, KEY_REVOKED})
"""The statement types that change the trust chain."""

Role = Literal["admin", "producer", "auditor", "service"]
ROLES: frozenset[str] = frozenset({"admin", "producer", "auditor", "service"})

_REGISTERED_FIELDS = frozenset({"vkey", "role", "producer"})
_REVOKED_FIELDS = frozenset({"key", "reason"})


@dataclass(frozen=True)
class KeyRegistration:
    """A `key.registered` statement, checked: `{"vkey", "role", "producer"}` (DESIGN §5)."""

    verifier: Verifier
    role: Role
    producer: str | None

    @classmethod
    def from_statement(cls, statement: Mapping[str, Any]) -> KeyRegistration:
        """Check the statement's shape and parse its vkey; raise FormatError if wrong."""
        _expect_fields(statement, _REGISTERED_FIELDS, KEY_REGISTERED)
        vkey, role, producer = statement["vkey"], statement["role"], statement["producer"]
        if not isinstance(vkey, str):
            raise FormatError(f"{KEY_REGISTERED}: vkey must be a string, found {vkey!r}")
        if not isinstance(role, str) or role not in ROLES:
            raise FormatError(f"{KEY_REGISTERED}: role {role!r} is not one of {sorted(ROLES)}")
        if producer is not None and (not isinstance(producer, str) or not producer):
            raise FormatError(f"{KEY_REGISTERED}: producer must be null or a non-empty string")
        if role == "producer" and producer is None:
            raise FormatError(f"{KEY_REGISTERED}: a producer key must name its producer")
        return cls(Verifier.from_vkey(vkey), cast(Role, role), producer)


@dataclass(frozen=True)
class KeyRevocation:
    """A `key.revoked` statement, checked: `{"key": "<name>+<hex8>", "reason"}` (DESIGN §5)."""

    key: str
    reason: str

    @classmethod
    def from_statement(cls, statement: Mapping[str, Any]) -> KeyRevocation:
        """Check the statement's shape; raise FormatError if wrong."""
        _expect_fields(statement, _REVOKED_FIELDS, KEY_REVOKED)
        key, reason = statement["key"], statement["reason"]
        if not isinstance(key, str):
            raise FormatError(f"{KEY_REVOKED}: key must be a string, found {key!r}")
        split_key_name(key)
        if not isinstance(reason, str):
            raise FormatError(f"{KEY_REVOKED}: reason must be a string, found {reason!r}")
        return cls(key, reason)


@dataclass(frozen=True)
class KeyRecord:
    """What the log says about one key: its registration and, if any, its revocation."""

    registration: KeyRegistration
    registered_seq: int
    revoked_seq: int | None = None

    @property
    def active(self) -> bool:
        """True until a `key.revoked` for this key has been applied."""
        return self.revoked_seq is None


def _expect_fields(statement: Mapping[str, Any], fields: frozenset[str], what: str) -> None:
    if not isinstance(statement, Mapping) or statement.keys() != fields:
        found = sorted(statement) if isinstance(statement, Mapping) else type(statement).__name__
        raise FormatError(f"{what} statement: expected fields {sorted(fields)}, found {found}")


class KeyRegistry:
    """Replays the trust chain of DESIGN §5, entry by entry, in log order.

    Use `admit(entry)` to check and apply one entry. A parallel verifier instead calls
    `apply(entry)`, which checks everything but the Ed25519 signature and returns the
    Verifier that must accept `entry.signed_message()` and `entry.sig`. Entries may be a
    subsequence of the log (a proof bundle) but must come in increasing `seq`, genesis first.
    """

    def __init__(self) -> None:
        self._keys: dict[str, KeyRecord] = {}
        self._last_seq: int | None = None

    def required_verifier(self, entry: Entry) -> Verifier:
        """The key that must have signed `entry`, given the entries applied so far (DESIGN §5).

        Raises SignatureError if the actor is unknown, revoked or not allowed to make this
        statement; FormatError if a key statement is malformed; ChainError if the entry does
        not come after the last one applied, or the first entry is not entry 0; and
        VerificationError if a key statement contradicts the registry. Changes nothing.
        """
        self._check_order(entry.seq)
        if self._last_seq is None:
            return self._genesis_verifier(entry)
        record = self._active_record(entry.seq, entry.actor)
        if entry.type == KEY_REGISTERED:
            self._require_admin(entry, record)
            self._check_new_key(entry, KeyRegistration.from_statement(entry.statement))
        elif entry.type == KEY_REVOKED:
            self._require_admin(entry, record)
            self._check_revocable(entry, KeyRevocation.from_statement(entry.statement))
        return record.registration.verifier

    def apply(self, entry: Entry) -> Verifier:
        """Check everything but the signature, record the entry's effect, return its verifier.

        The caller owes the Ed25519 check `verifier.verify(entry.signed_message(), entry.sig)`;
        if it fails, the whole verification fails and this registry must be discarded.
        """
        verifier = self.required_verifier(entry)
        if entry.type == KEY_REGISTERED:
            registration = KeyRegistration.from_statement(entry.statement)
            self._keys[registration.verifier.key_name] = KeyRecord(registration, entry.seq)
        elif entry.type == KEY_REVOKED:
            revocation = KeyRevocation.from_statement(entry.statement)
            record = self._keys[revocation.key]
            self._keys[revocation.key] = KeyRecord(
                record.registration, record.registered_seq, entry.seq
            )
        self._last_seq = entry.seq
        return verifier

    def apply_run(self, first_seq: int, last_seq: int, actor: str) -> Verifier:
        """`apply` for entries `first_seq` to `last_seq`, all by `actor` and none a key statement.

        Such entries do not change the registry, so the checks of the first one hold for all:
        raises what `apply` would raise for entry `first_seq`, or returns the Verifier every
        one of them must be signed under (the caller owes those Ed25519 checks).
        """
        if last_seq < first_seq:
            raise ValueError(f"empty run of entries {first_seq} to {last_seq}")
        self._check_order(first_seq)
        if self._last_seq is None:
            raise ValueError("the genesis entry is applied with apply(), not in a run")
        record = self._active_record(first_seq, actor)
        self._last_seq = last_seq
        return record.registration.verifier

    def admit(self, entry: Entry) -> None:
        """Check `entry`'s authority and signature, then apply it (DESIGN §5, "Trust chain")."""
        verifier = self.required_verifier(entry)
        verifier.verify(entry.signed_message(), entry.sig)
        self.apply(entry)

    def role_of(self, key_name: str) -> Role | None:
        """The role of an active key, or None if it is unknown or revoked."""
        record = self._keys.get(key_name)
        return record.registration.role if record is not None and record.active else None

    def record(self, key_name: str) -> KeyRecord | None:
        """Everything known about a key, active or revoked."""
        return self._keys.get(key_name)

    def active_keys(self) -> frozenset[str]:
        """The `name+hex8` of every registered, unrevoked key."""
        return frozenset(name for name, record in self._keys.items() if record.active)

    def _check_order(self, seq: int) -> None:
        if self._last_seq is None:
            if seq != 0:
                raise ChainError(f"the first entry must be the genesis (seq 0), found {seq}")
        elif seq <= self._last_seq:
            raise ChainError(
                f"entry {seq} does not come after entry {self._last_seq} already applied"
            )

    def _active_record(self, seq: int, actor: str) -> KeyRecord:
        """The actor's key, registered by an earlier entry and not revoked (DESIGN §5)."""
        record = self._keys.get(actor)
        if record is None:
            raise SignatureError(
                f"entry {seq}: actor {actor} is not registered by an earlier entry"
            )
        if not record.active:
            raise SignatureError(
                f"entry {seq}: actor {actor} was revoked by entry {record.revoked_seq}"
            )
        return record

    def _genesis_verifier(self, entry: Entry) -> Verifier:
        """Entry 0: a `key.registered` of an admin key, signed by that key (DESIGN §5)."""
        if entry.type != KEY_REGISTERED:
            raise SignatureError(f"genesis entry is {entry.type!r}, expected {KEY_REGISTERED}")
        registration = KeyRegistration.from_statement(entry.statement)
        if registration.role != "admin":
            raise SignatureError(f"genesis key has role {registration.role!r}, expected admin")
        if registration.verifier.key_name != entry.actor:
            raise SignatureError(
                f"genesis entry is signed by {entry.actor}, "
                f"expected the key it registers, {registration.verifier.key_name}"
            )
        return registration.verifier

    def _require_admin(self, entry: Entry, record: KeyRecord) -> None:
        """Key statements are signed by an admin key (DESIGN §5, "Trust chain")."""
        if record.registration.role != "admin":
            raise SignatureError(
                f"entry {entry.seq}: {entry.type} must be signed by an admin key; "
                f"{entry.actor} has role {record.registration.role}"
            )

    def _check_new_key(self, entry: Entry, registration: KeyRegistration) -> None:
        # A revoked key stays revoked: registering it again would revive a compromised key.
        existing = self._keys.get(registration.verifier.key_name)
        if existing is not None:
            state = "active" if existing.active else f"revoked by entry {existing.revoked_seq}"
            raise VerificationError(
                f"entry {entry.seq}: key {registration.verifier.key_name} is already registered "
                f"(entry {existing.registered_seq}, {state})"
            )

    def _check_revocable(self, entry: Entry, revocation: KeyRevocation) -> None:
        existing = self._keys.get(revocation.key)
        if existing is None:
            raise VerificationError(
                f"entry {entry.seq}: cannot revoke {revocation.key}: it was never registered"
            )
        if not existing.active:
            raise VerificationError(
                f"entry {entry.seq}: {revocation.key} was already revoked by entry "
                f"{existing.revoked_seq}"
            )
