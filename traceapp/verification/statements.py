"""What a code shows, read from the statements of the entries it proves (DESIGN §1, principle 7).

Projection rows only say where to look (their ledger indexes): every shown value is taken from
the statement of a proven entry, so editing a row behind the app changes nothing that is shown.
A row whose ledger index names an entry that does not say what the row claims (another type,
another object, or no entry at all) is shown from the row, flagged by a ``projection_mismatch``
warning: the database was edited behind the app, or needs ``traceapp ledger rebuild``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from traceapp.errors import DomainError
from traceapp.events.models import Event
from traceapp.events.projections import error_reason
from traceapp.locations.models import Location
from traceapp.verification.loading import Loaded
from traceapp.verification.proofs import StoredEntry

MISMATCH = "projection_mismatch"


class ProjectionMismatch(DomainError):
    """Rows of the code name ledger entries that do not say what the rows claim."""

    code = "PROJECTION_MISMATCH"


@dataclass(frozen=True)
class Stated:
    """A proven entry, decoded: its type, statement and ``recorded`` time."""

    type: str
    statement: dict[str, Any]
    recorded: str


def decode(entries: dict[int, StoredEntry]) -> dict[int, Stated]:
    """The statements of the stored entries, by ledger index."""
    stated = {}
    for seq, stored in entries.items():
        entry = json.loads(stored.data)
        stated[seq] = Stated(entry["type"], entry["statement"], entry["recorded"])
    return stated


class Statements:
    """The proven statements of one code, and the rows found not to match them."""

    def __init__(self, loaded: Loaded, stated: dict[int, Stated], size: int) -> None:
        self.loaded = loaded
        self.stated = stated
        self.size = size
        """The checkpoint's size: rows may name entries appended after it was read."""
        self.mismatches: dict[str, None] = {}
        """What the mismatching rows are about (producer, product, item ...), in order."""

    def find(self, seq: int | None, kind: str, subject: str, **says: Any) -> dict[str, Any] | None:
        """The statement at ``seq`` when it is a ``kind`` whose fields hold ``says``; else
        None, and ``subject`` is recorded as mismatching.

        An index at or past the checkpoint's size is an entry appended since the checkpoint was
        read (PostgreSQL reads each statement at its own snapshot): None, no mismatch, and its
        proof says "not in checkpoint" until the next request reads the new checkpoint.
        """
        if seq is not None and seq >= self.size:
            return None
        found = self.stated.get(seq) if seq is not None else None
        if (
            found is None
            or found.type != kind
            or any(found.statement.get(name) != value for name, value in says.items())
        ):
            self.mismatches[subject] = None
            return None
        return found.statement

    def event(self, row: Event) -> dict[str, Any] | None:
        """The ``event.recorded`` statement of an event row."""
        return self.find(row.ledger_seq, "event.recorded", "event", id=row.public_id)

    def declaration(self, row: Event, event: dict[str, Any]) -> str | None:
        """The reason ``event`` (the row's statement) was declared wrong ("" when none is
        given), or None when it was not.

        An event captured with its errorDeclaration says so itself; a later declaration is the
        ``event.error_declared`` entry the row names, which must name this event.
        """
        embedded = event.get("errorDeclaration")
        declared = None
        if isinstance(embedded, dict):
            declared = error_reason(embedded.get("reason")) or ""
        if row.error_declared_seq is not None and row.error_declared_seq != row.ledger_seq:
            s = self.find(
                row.error_declared_seq, "event.error_declared", "event_correction",
                event_id=event["eventID"],
            )  # fmt: skip
            if s is not None:
                declared = s["reason"] or ""
        return declared

    def product_updates(self) -> list[int]:
        """Indexes of the product's ``product.updated`` entries, in log order."""
        product = self.loaded.product
        return sorted(
            seq
            for seq, s in self.stated.items()
            if s.type == "product.updated"
            and s.statement.get("id") == product.public_id
            and product.ledger_seq < seq <= product.updated_seq
        )

    def location_updates(self, location: Location) -> list[int]:
        """Indexes of the place's ``location.updated`` entries, in log order."""
        return sorted(
            seq
            for seq, s in self.stated.items()
            if s.type == "location.updated"
            and s.statement.get("id") == location.public_id
            and location.ledger_seq < seq <= location.updated_seq
        )

    def recorded(self, seq: int) -> str | None:
        found = self.stated.get(seq)
        return found.recorded if found is not None else None


def day(value: str) -> date:
    return date.fromisoformat(value)


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


QUANTITY_SCALE = Decimal("0.001")
"""Batch quantities are shown with the scale of their column, as they always were."""


def quantity(value: str | None) -> Decimal | None:
    return Decimal(value).quantize(QUANTITY_SCALE) if value is not None else None
