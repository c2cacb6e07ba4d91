"""What the batches domain (batches and their serialised items) refuses."""

from __future__ import annotations

from traceapp.errors import AlreadyExists, NotFound, PermissionDenied, ValidationFailed


class BatchNotFound(NotFound):
    pass


class BatchExists(AlreadyExists):
    """The product has a batch with this lot already."""


class BatchInvalid(ValidationFailed):
    """Dates, quantities or item counts that do not fit together."""


class ForeignOrigin(PermissionDenied):
    """A batch's origin is a location of another producer."""


class ItemNotFound(NotFound):
    pass


class ItemAlreadyClaimed(AlreadyExists):
    pass


# What a concurrent duplicate's broken constraint answers: what the plan says to a sequential
# one (registered by the app, traceapp/refusals.py).
UNIQUE_REFUSALS = {
    "uq_batches_product_id_lot": lambda: BatchExists(
        "this lot already exists for this product", field="lot"
    ),
}
