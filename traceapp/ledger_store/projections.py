"""Projections: how each statement type changes the domain tables (DESIGN principle 1).

The services and ``traceapp ledger rebuild`` apply entries through the same ``Projectors``, so
the tables are, by construction, what the ledger says. The domains define the functions; the
app assembles them (``traceapp/projectors.py``) and hands the registry to its ``Ledger``: this
package knows no domain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import groupby

from sqlalchemy.orm import Session

from traceapp.ledger_store.sequencer import Appended

Projector = Callable[[Session, Appended], None]
BatchProjector = Callable[[Session, Sequence[Appended]], None]


class Projectors:
    """One projector per statement type, plus batch projectors for runs of one type."""

    def __init__(self) -> None:
        self._single: dict[str, Projector] = {}
        # Types whose runs of consecutive entries are applied in one go (bulk appends); the
        # single projector must apply the same.
        self._batch: dict[str, BatchProjector] = {}

    def register(
        self,
        single: Mapping[str, Projector],
        batch: Mapping[str, BatchProjector] | None = None,
    ) -> None:
        for statement_type, apply in single.items():
            if statement_type in self._single:
                raise RuntimeError(f"two projectors for {statement_type}")
            self._single[statement_type] = apply
        for statement_type, apply_run in (batch or {}).items():
            if statement_type not in self._single:
                raise RuntimeError(f"a batch projector without a projector: {statement_type}")
            self._batch[statement_type] = apply_run

    def project(self, session: Session, appended: Appended) -> None:
        try:
            apply = self._single[appended.entry.type]
        except KeyError:
            raise RuntimeError(f"no projector for statement type {appended.entry.type}") from None
        apply(session, appended)

    def project_all(self, session: Session, entries: Sequence[Appended]) -> None:
        """Apply entries in order, runs of one batch-projected type at a time."""
        for statement_type, run in groupby(entries, key=lambda a: a.entry.type):
            # Projectors read with Core statements, which do not autoflush earlier ORM changes.
            session.flush()
            if statement_type in self._batch:
                self._batch[statement_type](session, list(run))
            else:
                for appended in run:
                    self.project(session, appended)
