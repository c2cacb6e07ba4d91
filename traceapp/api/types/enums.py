"""GraphQL enums mirroring the domain's vocabularies (a test keeps them equal)."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="Kind of OCOP producer (chủ thể OCOP).")
class ProducerKind(Enum):
    ENTERPRISE = "enterprise"
    COOPERATIVE = "cooperative"
    HOUSEHOLD_BUSINESS = "household_business"


@strawberry.enum(description="Whether the programme office has suspended the producer.")
class ProducerStatus(Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


@strawberry.enum(description="OCOP product group.")
class ProductGroup(Enum):
    FOOD = "food"
    DRINKS = "drinks"
    HERBAL = "herbal"
    TEXTILES_GARMENTS = "textiles_garments"
    SOUVENIRS_FURNISHING_DECORATION = "souvenirs_furnishing_decoration"
    COMMUNITY_TOURISM_SERVICES = "community_tourism_services"


@strawberry.enum(description="Certification scheme.")
class CertificationScheme(Enum):
    OCOP = "OCOP"
    VIETGAP = "VietGAP"
    GLOBALGAP = "GlobalGAP"
    ORGANIC = "organic"
    ISO22000 = "ISO22000"
    HACCP = "HACCP"
    GEOGRAPHICAL_INDICATION = "geographical_indication"
    OTHER = "other"


@strawberry.enum(description="Level of the authority that issued a certificate.")
class IssuerLevel(Enum):
    DISTRICT = "district"
    PROVINCE = "province"
    NATIONAL = "national"


@strawberry.enum(description="Derived from the dates (Vietnam's calendar) and revocations.")
class CertificationStatus(Enum):
    VALID = "valid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"


@strawberry.enum(description="Kind of location.")
class LocationKind(Enum):
    FARM = "farm"
    FACILITY = "facility"
    WAREHOUSE = "warehouse"
    SHOP = "shop"
    OTHER = "other"


@strawberry.enum(description="Status of a serialised item.")
class ItemStatus(Enum):
    ACTIVE = "active"
    SOLD = "sold"
    RECALLED = "recalled"
    DESTROYED = "destroyed"
    CLAIMED = "claimed"


@strawberry.enum(description="EPCIS 2.0 event type.")
class EventType(Enum):
    OBJECT_EVENT = "ObjectEvent"
    AGGREGATION_EVENT = "AggregationEvent"
    TRANSFORMATION_EVENT = "TransformationEvent"
    TRANSACTION_EVENT = "TransactionEvent"
    ASSOCIATION_EVENT = "AssociationEvent"


@strawberry.enum(description="EPCIS action.")
class EventAction(Enum):
    ADD = "ADD"
    OBSERVE = "OBSERVE"
    DELETE = "DELETE"


@strawberry.enum(description="Recall severity.")
class RecallSeverity(Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@strawberry.enum(description="Role of a key registered in the ledger.")
class KeyRole(Enum):
    ADMIN = "admin"
    PRODUCER = "producer"
    AUDITOR = "auditor"
    SERVICE = "service"


@strawberry.enum(description="Role of the caller's API token.")
class ViewerRole(Enum):
    ADMIN = "admin"
    PRODUCER = "producer"
    AUDITOR = "auditor"
    ANONYMOUS = "anonymous"


@strawberry.enum(description="GS1-Capture-Error-Behaviour of the EPCIS REST binding.")
class CaptureErrorBehaviour(Enum):
    ROLLBACK = "rollback"
    PROCEED = "proceed"
