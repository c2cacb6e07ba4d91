"""Imports every domain's models so ``Base.metadata`` is complete (Alembic, tests)."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "traceapp.ledger_store.models",
    "traceapp.producers.models",
    "traceapp.products.models",
    "traceapp.locations.models",
    "traceapp.batches.models",
    "traceapp.events.models",
    "traceapp.recalls.models",
    "traceapp.scans.models",
    "traceapp.auth.models",
)


def load_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
