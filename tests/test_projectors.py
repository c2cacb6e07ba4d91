"""The app's projector registry: assembled from the domains, one projector per statement type."""

from __future__ import annotations

import pytest

from traceapp.events import projections as events
from traceapp.keys import projections as keys
from traceapp.ledger_store.projections import Projectors


def test_a_statement_type_gets_one_projector() -> None:
    projectors = Projectors()
    projectors.register(keys.PROJECTORS)
    with pytest.raises(RuntimeError, match=r"two projectors for key\.registered"):
        projectors.register({"key.registered": keys.PROJECTORS["key.registered"]})


def test_a_batch_projector_needs_the_single_projector_it_stands_for() -> None:
    with pytest.raises(RuntimeError, match=r"without a projector: event\.recorded"):
        Projectors().register({}, events.BATCH_PROJECTORS)
