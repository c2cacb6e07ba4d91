"""The app's projector registry: every domain's projections, assembled above the domains.

``ledger_runtime`` gives it to the app's ``Ledger`` (the write path and ``ledger rebuild``) and
the server-side audit replays with it; ``ledger_store`` itself imports no domain.
"""

from __future__ import annotations

from traceapp.batches import projections as batches
from traceapp.events import projections as events
from traceapp.keys import projections as keys
from traceapp.ledger_store.projections import Projectors
from traceapp.locations import projections as locations
from traceapp.producers import contact as producer_contact
from traceapp.producers import projections as producers
from traceapp.products import projections as products
from traceapp.recalls import projections as recalls
from traceapp.statistics import projections as statistics


def build_projectors() -> Projectors:
    projectors = Projectors()
    for domain in (keys, producers, products, locations, batches, recalls):
        projectors.register(domain.PROJECTORS)
    projectors.register(events.PROJECTORS, events.BATCH_PROJECTORS)
    projectors.register(producer_contact.PROJECTORS)
    # The statistics' aggregates, kept after each domain has written its rows.
    followed = {t: f for t, f in statistics.FOLLOWERS.items() if projectors.handles(t)}
    projectors.follow(followed, statistics.BATCH_FOLLOWERS)
    return projectors


PROJECTORS = build_projectors()
