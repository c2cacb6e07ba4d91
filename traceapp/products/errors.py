"""What the products domain (products and their certifications) refuses."""

from __future__ import annotations

from traceapp.errors import AlreadyExists, NotFound, PermissionDenied, ValidationFailed


class ProductNotFound(NotFound):
    pass


class ProductExists(AlreadyExists):
    """The GTIN is registered already."""


class ProductInvalid(ValidationFailed):
    pass


class CertificationNotFound(NotFound):
    pass


class CertificationRevoked(AlreadyExists):
    """The certification was revoked already."""


class CertificationInvalid(ValidationFailed):
    """Stars, issuer level or validity that the scheme does not allow."""


class CertificationForbidden(PermissionDenied):
    """Certifications are recorded and revoked by the programme office only."""


# What a concurrent duplicate's broken constraint answers: what the plan says to a sequential
# one (registered by the app, traceapp/refusals.py).
UNIQUE_REFUSALS = {
    "uq_products_gtin": lambda: ProductExists("this GTIN is already registered", field="gtin"),
}
