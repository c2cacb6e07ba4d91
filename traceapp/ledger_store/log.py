"""The log's identity: its origin and signing key (C2SP signed-note key named by the origin)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import LedgerError
from ledger.keys import Verifier
from ledger.signing import Signer
from traceapp.config import ConfigError


@dataclass(frozen=True)
class LogIdentity:
    origin: str
    signer: Signer

    @property
    def verifier(self) -> Verifier:
        return self.signer.verifier

    @property
    def vkey(self) -> str:
        return self.signer.vkey


def create_log_key(path: Path, origin: str) -> Signer:
    """Write a new log key, mode 0600, refusing to overwrite an existing one."""
    signer = Signer.generate(origin)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(f"log key {path} already exists; refusing to overwrite it") from None
    except OSError as exc:
        raise ConfigError(f"cannot create log key {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w") as handle:
        handle.write(signer.to_private_key_string() + "\n")
    return signer


def load_log_key(path: Path, origin: str) -> Signer:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        raise ConfigError(f"log key {path} not found: run `traceapp keys init`") from None
    except OSError as exc:
        raise ConfigError(f"cannot read log key {path}: {exc.strerror}") from None
    try:
        signer = Signer.from_private_key_string(text)
    except LedgerError as exc:
        raise ConfigError(f"log key {path} is not a valid key: {exc}") from None
    if signer.verifier.name != origin:
        raise ConfigError(
            f"log key {path} is named {signer.verifier.name!r} but the log origin is {origin!r}: "
            f"set TRACEAPP_LOG_ORIGIN={signer.verifier.name} (a log keeps its origin when "
            "TRACEAPP_PUBLIC_URL changes)"
        )
    return signer
