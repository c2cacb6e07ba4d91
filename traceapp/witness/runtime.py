"""The app's witnessing configuration, parsed once per app from its settings."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from ledger.cosignature import CosignatureSigner
from ledger.keys import Verifier
from traceapp.config import ConfigError, get_settings
from traceapp.witness.settings import (
    WitnessTarget,
    load_witness_key,
    witness_targets,
    witnessed_logs,
)


@dataclass(frozen=True)
class Witnessing:
    """Witnesses of our log and the quorum; our own witness endpoint's key and logs (or None)."""

    witnesses: tuple[WitnessTarget, ...]
    quorum: int
    signer: CosignatureSigner | None
    logs: dict[str, Verifier]


def get_witnessing(app: Flask | None = None) -> Witnessing:
    """The parsed configuration; ConfigError when a witness setting cannot work."""
    app = app or current_app
    found: Witnessing | None = app.extensions.get("traceapp.witnessing")
    if found is None:
        settings = get_settings(app)
        signer = (
            load_witness_key(settings.witness_key_file, settings.is_production)
            if settings.witness_key_file is not None
            else None
        )
        found = Witnessing(
            witness_targets(settings), settings.witness_quorum, signer, witnessed_logs(settings)
        )
        app.extensions["traceapp.witnessing"] = found
    return found


def witnessing_problem(app: Flask | None = None) -> str | None:
    """Why the witness settings cannot work, for /readyz; None when they can."""
    try:
        get_witnessing(app)
    except ConfigError as exc:
        return exc.message
    return None
