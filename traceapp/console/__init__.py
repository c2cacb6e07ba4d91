"""The console (DESIGN §13, issue 16): server-rendered pages for producers (``/console/``) and
the programme office (``/console/office/``), over the accounts domain and the domain services.

``core`` holds the blueprint and what every page shares; each module below adds its routes.
"""

from __future__ import annotations

from traceapp.console import (
    batch_log,
    office,
    office_stats,
    offline,
    passkeys,
    places,
    producer,
    products,
    stamps,
    tokens,
    views,
)
from traceapp.console.core import bp

__all__ = [
    "batch_log",
    "bp",
    "office",
    "office_stats",
    "offline",
    "passkeys",
    "places",
    "producer",
    "products",
    "stamps",
    "tokens",
    "views",
]
