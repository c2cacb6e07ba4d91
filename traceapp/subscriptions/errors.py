"""Typed errors of named queries and subscriptions; each names its EPCIS 2.0 exception type."""

from __future__ import annotations


class SubscriptionsError(Exception):
    """Base: ``epcis_exception`` is the REST binding's exception type the API answers with."""

    epcis_exception = "ValidationException"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NoSuchQuery(SubscriptionsError):
    """No named query of that name that this caller may see."""

    epcis_exception = "NoSuchNameException"


class QueryExists(SubscriptionsError):
    """A named query of that name exists already (names are unique in the repository)."""

    epcis_exception = "ResourceAlreadyExistsException"


class NoSuchSubscription(SubscriptionsError):
    """No subscription of that ID on that query for this caller."""

    epcis_exception = "NoSuchSubscriptionException"


class NotOwner(SubscriptionsError):
    """The caller may see the query but not change it."""

    epcis_exception = "SecurityException"


class InvalidSubscription(SubscriptionsError):
    """The subscription's body is not acceptable (``dest``, ``schedule``, ``stream`` ...)."""

    epcis_exception = "SubscriptionControlsException"


class InvalidQuery(SubscriptionsError):
    """The named query's definition is not acceptable."""

    epcis_exception = "QueryParameterException"


class DeliveryFailed(SubscriptionsError):
    """One delivery attempt failed (network, timeout, a non-2xx answer, a refused address)."""
