"""The console (DESIGN §13, issue 16): server-rendered pages for producers (``/console/``) and
the programme office (``/console/office/``), over the accounts domain and the domain services.

``core`` holds the blueprint and what every page shares; each module below adds its routes.
"""

from __future__ import annotations

from traceapp.console import office, passkeys, places, producer, products, views
from traceapp.console.core import bp

__all__ = ["bp", "office", "passkeys", "places", "producer", "products", "views"]
