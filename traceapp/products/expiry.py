"""Certificates ending soon: the one filter of every list of certificates (GraphQL
``certifications(expiresWithinDays:)``, the office's pages)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select

from traceapp.products.models import Certification

MAX_EXPIRY_DAYS = 3650


def expiring(stmt: Select[Any], today: date, days: int) -> Select[Any]:
    """Certificates in force today (issued, not revoked, not expired) ending within ``days``."""
    return stmt.where(
        Certification.revoked_seq.is_(None),
        Certification.issued_on <= today,
        Certification.valid_until >= today,
        Certification.valid_until <= today + timedelta(days=days),
    )
