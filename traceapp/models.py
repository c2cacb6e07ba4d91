"""Every domain's models, so that ``Base.metadata`` is complete (Alembic, tests)."""

from __future__ import annotations

from sqlalchemy import MetaData

from traceapp.accounts import models as accounts
from traceapp.auth import models as auth
from traceapp.batches import models as batches
from traceapp.db.base import Base
from traceapp.events import models as events
from traceapp.ledger_store import models as ledger_store
from traceapp.locations import models as locations
from traceapp.producers import models as producers
from traceapp.products import models as products
from traceapp.recalls import models as recalls
from traceapp.reports import models as reports
from traceapp.scans import models as scans
from traceapp.statistics import models as statistics
from traceapp.subscriptions import models as subscriptions
from traceapp.witness import models as witness

MODEL_MODULES = (
    ledger_store,
    producers,
    products,
    locations,
    batches,
    events,
    recalls,
    scans,
    statistics,
    reports,
    auth,
    accounts,
    witness,
    subscriptions,
)


def load_all_models() -> MetaData:
    """The metadata of every table: this module's imports registered each domain's models."""
    return Base.metadata
