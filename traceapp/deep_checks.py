"""The domain checks that ``traceapp ledger verify --deep`` runs after the projections.

``ledger_store`` knows no domain: the app assembles its domains' checks here and the CLI passes
them to ``verify_database``.
"""

from __future__ import annotations

from traceapp.ledger_store.consistency import DomainCheck
from traceapp.producers.consistency import check_personal_data
from traceapp.statistics.scans import check_scan_statistics

DEEP_CHECKS: tuple[DomainCheck, ...] = (check_personal_data, check_scan_statistics)
