"""What an offline verifier trusts: the log key it pins, and the witnesses it asks for.

A bundle, an export or a served log carries the log's vkey, but a key that comes with the data
proves nothing about who made it: whoever forged the data forged the key beside it. So the
verifiers take the key from the user (`--vkey`), refuse data whose key differs, and use the
embedded key only when told to (`--trust-embedded-key`), saying so. Witness cosignatures
(c2sp.org/tlog-cosignature, `ledger.cosignature`) on the checkpoint show that others saw the
same tree: with witnesses and a quorum K, fewer than K valid cosignatures is a failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ledger.cosignature import Cosignature, CosignatureVerifier, verify_cosignature
from ledger.errors import FormatError, LedgerError, SignatureError, VerificationError
from ledger.keys import Verifier


class TrustError(LedgerError):
    """The user named no key to trust, or an unusable one: bad usage, not a failed check."""


class KeyMismatch(VerificationError):
    """The data carries another log key than the pinned one."""


@dataclass(frozen=True)
class TrustPolicy:
    """The pinned log vkey (None: trust the embedded one), the witnesses and the quorum."""

    vkey: str | None
    trust_embedded: bool = False
    witnesses: tuple[CosignatureVerifier, ...] = ()
    quorum: int = 0

    @classmethod
    def build(
        cls,
        vkey: str | None,
        trust_embedded: bool,
        witnesses: Sequence[str] = (),
        quorum: int | None = None,
    ) -> TrustPolicy:
        """Check the options together; TrustError for anything unusable.

        Without `vkey`, `trust_embedded` must be set. The quorum defaults to every witness
        given, and must be between 1 and their number.
        """
        if vkey is None and not trust_embedded:
            raise TrustError(
                "no log key given: pin it with --vkey VKEY (the log's vkey, from a source you "
                "trust), or pass --trust-embedded-key to use the key carried by the input"
            )
        if vkey is not None and trust_embedded:
            raise TrustError("--vkey and --trust-embedded-key exclude each other")
        if vkey is not None:
            try:
                Verifier.from_vkey(vkey)
            except FormatError as exc:
                raise TrustError(f"--vkey: {exc}") from exc
        keys: list[CosignatureVerifier] = []
        for text in witnesses:
            try:
                keys.append(CosignatureVerifier.from_vkey(text))
            except FormatError as exc:
                raise TrustError(f"--witness {text}: {exc}") from exc
        if len(set(keys)) != len(keys):
            raise TrustError("--witness: the same witness key is given twice")
        if quorum is None:
            quorum = len(keys)
        elif not keys:
            raise TrustError("--quorum needs the witnesses' keys (--witness VKEY ...)")
        elif not 1 <= quorum <= len(keys):
            raise TrustError(f"--quorum must be between 1 and the {len(keys)} witnesses given")
        return cls(vkey, trust_embedded, tuple(keys), quorum)

    def log_key(self, embedded: str) -> str:
        """The key to verify with: the pinned one, which the embedded one must equal, or the
        embedded one when trusted (KeyMismatch otherwise)."""
        if self.vkey is None:
            return embedded
        if embedded != self.vkey:
            raise KeyMismatch(f"log vkey: expected the pinned {self.vkey}, found {embedded}")
        return self.vkey

    def check_cosignatures(self, checkpoint_note: str) -> list[Cosignature]:
        """The valid cosignatures of the given witnesses on the checkpoint; SignatureError when
        fewer than the quorum. Other witnesses' cosignatures are ignored."""
        valid: list[Cosignature] = []
        problems: list[str] = []
        for witness in self.witnesses:
            try:
                valid.append(verify_cosignature(checkpoint_note, witness))
            except (SignatureError, FormatError) as exc:
                problems.append(f"{witness.key_name}: {exc}")
        if len(valid) < self.quorum:
            raise SignatureError(
                f"checkpoint cosignatures: expected at least {self.quorum} valid of the "
                f"{len(self.witnesses)} witnesses given, found {len(valid)} "
                f"({'; '.join(problems)})"
            )
        return valid
