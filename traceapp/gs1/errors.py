"""Typed errors for GS1 identifiers and Digital Link URIs.

Every error names the ``field`` at fault, a stable machine ``code`` (for API ``userErrors``
and translations) and a plain-language ``message`` that is safe to show to a shopper: it
never contains anything but the rejected value's own characters and the rule it broke.
"""

from __future__ import annotations


class Gs1Error(ValueError):
    """A value that is not a valid GS1 identifier, date or Digital Link."""

    default_field = "gs1"

    def __init__(self, message: str, *, code: str, field: str | None = None) -> None:
        self.field = field or self.default_field
        self.code = code
        self.message = message
        super().__init__(f"{self.field}: {message}")


class InvalidGtin(Gs1Error):
    """A GTIN (AI 01) with wrong length, characters or check digit."""

    default_field = "gtin"


class InvalidGln(Gs1Error):
    """A GLN (AI 414/417) with wrong length, characters or check digit."""

    default_field = "gln"


class InvalidLot(Gs1Error):
    """A batch/lot number (AI 10) outside CSET 82 or longer than 20 characters."""

    default_field = "lot"


class InvalidSerial(Gs1Error):
    """A serial number (AI 21) outside CSET 82 or longer than 20 characters."""

    default_field = "serial"


class InvalidExpiry(Gs1Error):
    """An expiration date (AI 17, YYMMDD) that is malformed or not a calendar date."""

    default_field = "expiry"


class InvalidDigitalLink(Gs1Error):
    """A GS1 Digital Link URI whose structure (path, qualifiers, query) is wrong."""

    default_field = "path"
