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


def test_a_follower_runs_after_its_types_projector_and_needs_one() -> None:
    projectors = Projectors()
    with pytest.raises(RuntimeError, match=r"follower without a projector: key\.registered"):
        projectors.follow({"key.registered": keys.PROJECTORS["key.registered"]})
    projectors.register(events.PROJECTORS, events.BATCH_PROJECTORS)
    with pytest.raises(RuntimeError, match=r"batch follower without its batch projector"):
        projectors.follow({}, {"event.error_declared": events.BATCH_PROJECTORS["event.recorded"]})
    assert projectors.handles("event.recorded") and not projectors.handles("key.registered")
