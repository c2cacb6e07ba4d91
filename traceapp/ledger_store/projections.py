"""Projections: how each statement type changes the domain tables (DESIGN principle 1).

The services and ``traceapp ledger rebuild`` apply entries through these same functions, so the
tables are, by construction, what the ledger says.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from itertools import groupby
from typing import TypeVar

from sqlalchemy.orm import Session

from traceapp.ledger_store.sequencer import Appended

Projector = Callable[[Session, Appended], None]
BatchProjector = Callable[[Session, Sequence[Appended]], None]
P = TypeVar("P", bound=Projector)
B = TypeVar("B", bound=BatchProjector)

PROJECTORS: dict[str, Projector] = {}
# Types whose runs of consecutive entries are applied in one go (bulk appends).
BATCH_PROJECTORS: dict[str, BatchProjector] = {}

PROJECTION_MODULES = (
    "traceapp.keys.projections",
    "traceapp.producers.projections",
    "traceapp.products.projections",
    "traceapp.locations.projections",
    "traceapp.batches.projections",
    "traceapp.events.projections",
    "traceapp.recalls.projections",
)


def projector(statement_type: str) -> Callable[[P], P]:
    def register(fn: P) -> P:
        if statement_type in PROJECTORS:
            raise RuntimeError(f"two projectors for {statement_type}")
        PROJECTORS[statement_type] = fn
        return fn

    return register


def batch_projector(statement_type: str) -> Callable[[B], B]:
    """Register a projector for runs of entries; the single projector must apply the same."""

    def register(fn: B) -> B:
        BATCH_PROJECTORS[statement_type] = fn
        return fn

    return register


def load_projectors() -> None:
    for name in PROJECTION_MODULES:
        importlib.import_module(name)


def project(session: Session, appended: Appended) -> None:
    try:
        apply = PROJECTORS[appended.entry.type]
    except KeyError:
        raise RuntimeError(f"no projector for statement type {appended.entry.type}") from None
    apply(session, appended)


def project_all(session: Session, entries: Sequence[Appended]) -> None:
    """Apply entries in order, runs of one batch-projected type at a time."""
    for statement_type, run in groupby(entries, key=lambda a: a.entry.type):
        # Projectors read with Core statements, which do not autoflush earlier ORM changes.
        session.flush()
        if statement_type in BATCH_PROJECTORS:
            BATCH_PROJECTORS[statement_type](session, list(run))
        else:
            for appended in run:
                project(session, appended)
