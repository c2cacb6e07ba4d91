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
        # Projectors that run after a type's own, over what it changed (aggregates).
        self._after: dict[str, list[Projector]] = {}
        self._after_batch: dict[str, BatchProjector] = {}

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

    def handles(self, statement_type: str) -> bool:
        return statement_type in self._single

    def follow(
        self,
        single: Mapping[str, Projector],
        batch: Mapping[str, BatchProjector] | None = None,
    ) -> None:
        """Projectors that run after a type's own projector (and a batch one after its batch
        projector): they read what it wrote, so they may keep aggregates of it."""
        for statement_type, apply in single.items():
            if statement_type not in self._single:
                raise RuntimeError(f"a follower without a projector: {statement_type}")
            self._after.setdefault(statement_type, []).append(apply)
        for statement_type, apply_run in (batch or {}).items():
            if statement_type not in self._batch or statement_type in self._after_batch:
                raise RuntimeError(
                    f"a batch follower without its batch projector: {statement_type}"
                )
            self._after_batch[statement_type] = apply_run

    def project(self, session: Session, appended: Appended) -> None:
        try:
            apply = self._single[appended.entry.type]
        except KeyError:
            raise RuntimeError(f"no projector for statement type {appended.entry.type}") from None
        apply(session, appended)
        followers = self._after.get(appended.entry.type, ())
        if followers:
            session.flush()
        for follow in followers:
            follow(session, appended)

    def project_all(self, session: Session, entries: Sequence[Appended]) -> None:
        """Apply entries in order, runs of one batch-projected type at a time."""
        for statement_type, run in groupby(entries, key=lambda a: a.entry.type):
            # Projectors read with Core statements, which do not autoflush earlier ORM changes.
            session.flush()
            if statement_type in self._batch:
                entries_run = list(run)
                self._batch[statement_type](session, entries_run)
                if statement_type in self._after_batch:
                    session.flush()
                    self._after_batch[statement_type](session, entries_run)
                else:
                    for follow in self._after.get(statement_type, ()):
                        for appended in entries_run:
                            follow(session, appended)
            else:
                for appended in run:
                    self.project(session, appended)
