"""The app's unique-constraint refusals: every domain's, assembled above the domains.

``ledger_runtime`` gives them to the app's ``Ledger``, whose write path (``perform``) refuses a
row that a concurrent request inserted first as the domain refuses a sequential duplicate;
``ledger_store`` itself imports no domain.
"""

from __future__ import annotations

from traceapp.batches import errors as batches
from traceapp.events import errors as events
from traceapp.keys import errors as keys
from traceapp.ledger_store.unique import Refusal
from traceapp.locations import errors as locations
from traceapp.producers import errors as producers
from traceapp.products import errors as products


def build_unique_refusals() -> dict[str, Refusal]:
    refusals: dict[str, Refusal] = {}
    for domain in (keys, producers, products, locations, batches, events):
        for constraint, refuse in domain.UNIQUE_REFUSALS.items():
            if constraint in refusals:
                raise RuntimeError(f"two refusals for {constraint}")
            refusals[constraint] = refuse
    return refusals


UNIQUE_REFUSALS = build_unique_refusals()
