"""The witnessing settings made usable: witness vkeys and URLs, our witness key and its logs.

The witness key file holds ``PRIVATE+KEY+<name>+<hex8>+base64(0x04 || seed)``: the layout of the
log key file (Go's note signer keys) with the cosignature type byte, so the key ID in it is the
cosignature key ID (c2sp.org/tlog-cosignature).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from ledger.cosignature import COSIGNATURE_TYPE, CosignatureSigner, CosignatureVerifier
from ledger.errors import LedgerError
from ledger.keys import Verifier, b64decode, b64encode, check_key_id, read_key_material
from traceapp.config import ConfigError, Settings

PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"
OTHERS = 0o077


@dataclass(frozen=True)
class WitnessTarget:
    """A witness we ask to cosign: its cosignature key and its submission prefix."""

    verifier: CosignatureVerifier
    url: str

    @property
    def name(self) -> str:
        return self.verifier.key_name


def witness_targets(settings: Settings) -> tuple[WitnessTarget, ...]:
    """``TRACEAPP_WITNESSES`` parsed; ConfigError for a vkey that is not type 0x04 or a bad URL."""
    targets = []
    for vkey, url in settings.witnesses:
        try:
            verifier = CosignatureVerifier.from_vkey(vkey)
        except LedgerError as exc:
            raise ConfigError(
                f"TRACEAPP_WITNESSES: {vkey!r} is not a cosignature (type 0x04) vkey: {exc}"
            ) from None
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query:
            raise ConfigError(f"TRACEAPP_WITNESSES: {url!r} is not an http(s) URL")
        targets.append(WitnessTarget(verifier, url.rstrip("/")))
    if len({t.name for t in targets}) != len(targets):
        raise ConfigError("TRACEAPP_WITNESSES names the same witness twice")
    return tuple(targets)


def witnessed_logs(settings: Settings) -> dict[str, Verifier]:
    """``TRACEAPP_WITNESS_LOGS``: the log key of each origin our witness endpoint cosigns for."""
    logs: dict[str, Verifier] = {}
    for origin, vkey in settings.witness_logs:
        try:
            logs[origin] = Verifier.from_vkey(vkey)
        except LedgerError as exc:
            raise ConfigError(f"TRACEAPP_WITNESS_LOGS: bad log vkey for {origin}: {exc}") from None
    return logs


def create_witness_key(path: Path, name: str) -> CosignatureSigner:
    """Write a new witness key, mode 0600, refusing to overwrite one."""
    private_key = Ed25519PrivateKey.generate()
    signer = CosignatureSigner(name, private_key)
    seed = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    text = f"{PRIVATE_KEY_PREFIX}{signer.key_name}+{b64encode(bytes([COSIGNATURE_TYPE]) + seed)}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(f"witness key {path} already exists; refusing to overwrite it") from None
    except OSError as exc:
        raise ConfigError(f"cannot create witness key {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")
    return signer


def load_witness_key(path: Path, production: bool) -> CosignatureSigner:
    """The witness's cosigning key; ConfigError (never the key's bytes) when it cannot work."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        text = path.read_text().strip()
    except FileNotFoundError:
        raise ConfigError(
            f"witness key {path} not found: run `traceapp witness init-key NAME`"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read witness key {path}: {exc.strerror}") from None
    if production and mode & OTHERS:
        raise ConfigError(f"witness key {path} is accessible by others: run `chmod 600 {path}`")
    if not text.startswith(PRIVATE_KEY_PREFIX):
        raise ConfigError(f"witness key {path} does not start with {PRIVATE_KEY_PREFIX}")
    parts = text[len(PRIVATE_KEY_PREFIX) :].split("+", 2)
    try:
        if len(parts) != 3:
            raise LedgerError("not PRIVATE+KEY+<name>+<hex8>+<base64>")
        name, hex8, material_b64 = parts
        material = b64decode(material_b64, "witness key")
        seed = read_key_material(name, hex8, material, COSIGNATURE_TYPE)
        signer = CosignatureSigner(name, Ed25519PrivateKey.from_private_bytes(seed))
        check_key_id(name, bytes.fromhex(hex8), signer.public_key, COSIGNATURE_TYPE)
    except (LedgerError, ValueError):
        raise ConfigError(f"witness key {path} is not a valid cosignature key") from None
    return signer
