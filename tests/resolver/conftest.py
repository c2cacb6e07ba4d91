"""The resolver conformance tests reuse the verification tests' fixtures (serials)."""

from __future__ import annotations

from verification.conftest import serials

__all__ = ["serials"]
