"""Mutation inputs. Every ledger-appending input takes an ``idempotencyKey``; the ones a
client-held key can sign also take ``actor`` (its key name) and ``signature`` (base64)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from traceapp.api.input_values import plan_inputs
from traceapp.api.types.enums import (
    CaptureErrorBehaviour,
    CertificationScheme,
    EventAction,
    EventType,
    IssuerLevel,
    KeyRole,
    LocationKind,
    ProducerKind,
    ProductGroup,
    RecallSeverity,
)

IMAGE_URL = (
    "An image URL or a path on this host; accepted for older clients. A photo uploaded with "
    "`uploadProductPhoto` takes precedence over it on every page."
)
IDEMPOTENCY = "Retrying with the same key returns the first result and appends nothing."
ACTOR = "Key name (name+hex8) of a client-held key that signed `signature`."
SIGNATURE = "base64 Ed25519 signature over the bytes `prepareXxx` returned for this input."


@strawberry.input
class Idempotent:
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input
class Signable(Idempotent):
    actor: str | None = strawberry.field(default=None, description=ACTOR)
    signature: str | None = strawberry.field(default=None, description=SIGNATURE)


@strawberry.input(description="Personal fields: kept off the ledger, which holds salted hashes.")
class PersonalDataInput:
    owner_name: str | None = None
    phone: str | None = None
    email: str | None = None
    personal_address: str | None = None


@strawberry.input
class RegisterProducerInput(Signable):
    kind: ProducerKind
    name: str
    province: str
    address_recorded_on: date
    tax_code: str | None = None
    commune: str | None = None
    street: str | None = None
    gln: str | None = None
    personal: PersonalDataInput | None = None


@strawberry.input(
    description="The producer's public business contact: each field published as given (null "
    "withdraws it); never personal data, which stays off the ledger."
)
class UpdateProducerContactInput(Idempotent):
    producer: strawberry.ID
    phone: str | None = strawberry.field(
        default=None, description="A Vietnamese phone number: mobile, 02x landline or 1800/1900."
    )
    zalo: str | None = strawberry.field(
        default=None, description="The Vietnamese mobile number of the producer's Zalo account."
    )
    website: str | None = strawberry.field(default=None, description="An http(s) URL.")
    address: str | None = strawberry.field(default=None, description="Business address.")


@strawberry.input(
    description="An address as recorded on a date: province and commune as they were named "
    "then (Vietnam's units changed on 1 July 2025)."
)
class AddressInput:
    province: str
    recorded_on: date
    commune: str | None = None
    street: str | None = None


@strawberry.input(
    description="What changes in a producer's registration (programme office): a field left "
    "null stays as it is; an address is given whole. Recorded as `producer.updated`."
)
class UpdateProducerInput(Signable):
    producer: strawberry.ID
    name: str | None = None
    kind: ProducerKind | None = None
    tax_code: str | None = None
    gln: str | None = None
    address: AddressInput | None = None


@strawberry.input(description="Suspend a producer (programme office): `producer.suspended`.")
class SuspendProducerInput(Idempotent):
    producer: strawberry.ID
    reason: str


@strawberry.input(description="Resume a suspended producer (programme office): `producer.resumed`.")
class ResumeProducerInput(Idempotent):
    producer: strawberry.ID
    reason: str | None = None


@strawberry.input
class RegisterProductInput(Signable):
    producer: strawberry.ID
    gtin: str
    name_vi: str
    group: ProductGroup
    name_en: str | None = None
    description: str | None = None
    image_url: str | None = strawberry.field(default=None, description=IMAGE_URL)
    standards: list[str] = strawberry.field(default_factory=list)


@strawberry.input(description="Only the fields given change.")
class UpdateProductInput(Signable):
    product: strawberry.ID
    name_vi: str | None = None
    name_en: str | None = None
    group: ProductGroup | None = None
    description: str | None = None
    image_url: str | None = strawberry.field(default=None, description=IMAGE_URL)
    standards: list[str] | None = None


UPLOAD = (
    "A JPEG, PNG or WebP of at most 10 MB, sent as a GraphQL multipart request "
    "(its type is read from its content, never its name). EXIF, GPS included, is removed."
)


@strawberry.input(description="A product's photo; its SHA-256 goes onto the ledger.")
class UploadProductPhotoInput(Idempotent):
    product: strawberry.ID
    file: Upload = strawberry.field(description=UPLOAD)


@strawberry.input(description="A producer's logo; its SHA-256 goes onto the ledger.")
class UploadProducerLogoInput(Idempotent):
    producer: strawberry.ID
    file: Upload = strawberry.field(description=UPLOAD)


@strawberry.input
class GrantCertificationInput(Signable):
    product: strawberry.ID
    scheme: CertificationScheme
    issuer: str
    decision_number: str
    issued_on: date
    stars: int | None = None
    issuer_level: IssuerLevel | None = None
    valid_until: date | None = None


@strawberry.input
class RevokeCertificationInput(Idempotent):
    certification: strawberry.ID
    reason: str


@strawberry.input
class RegisterLocationInput(Signable):
    producer: strawberry.ID
    code: str
    name: str
    kind: LocationKind
    gln: str | None = None
    province: str | None = None
    commune: str | None = None
    street: str | None = None
    latitude: Decimal | None = strawberry.field(
        default=None, description="WGS 84 degrees, -90 to 90 (rounded to 6 decimals)."
    )
    longitude: Decimal | None = strawberry.field(
        default=None, description="WGS 84 degrees, -180 to 180; given with latitude."
    )


@strawberry.input(
    description="Only the fields given change; the code and the GLN never do. An address part "
    "given as an empty string is cleared."
)
class UpdateLocationInput(Signable):
    location: strawberry.ID
    name: str | None = None
    kind: LocationKind | None = None
    province: str | None = None
    commune: str | None = None
    street: str | None = None
    latitude: Decimal | None = strawberry.field(
        default=None, description="WGS 84 degrees, -90 to 90; given with longitude."
    )
    longitude: Decimal | None = strawberry.field(
        default=None, description="WGS 84 degrees, -180 to 180; given with latitude."
    )
    clear_position: bool = strawberry.field(
        default=False, description="Remove the place's position (no latitude or longitude then)."
    )


@strawberry.input
class CreateBatchInput(Signable):
    product: strawberry.ID
    lot: str
    production_date: date
    expiry_date: date | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    origin_location: strawberry.ID | None = None
    inputs: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Batches consumed to make this one."
    )


@strawberry.input
class IssueItemsInput(Signable):
    batch: strawberry.ID
    count: int
    with_pins: bool = strawberry.field(
        default=False,
        description="Scratch-off PINs, returned once. Random, so not with a client signature.",
    )
    over_quantity_reason: str | None = strawberry.field(
        default=None,
        description="Why more items than the batch quantity are issued; recorded on the ledger. "
        "Without it such a request is refused (OVER_BATCH_QUANTITY).",
    )


@strawberry.input(description="A batch quantity (EPC class) in an event.")
class QuantityInput:
    batch: strawberry.ID
    quantity: float | None = None
    uom: str | None = strawberry.field(default=None, description="UN/CEFACT code, e.g. KGM.")


@strawberry.input(description="Source or destination: a CBV type and a Location ID or a URI.")
class SourceDestInput:
    type: str
    location: str


@strawberry.input
class BizTransactionInput:
    type: str
    value: str


@strawberry.input(
    description="An EPCIS 2.0 event in our terms. Items are Item IDs; locations are Location "
    "IDs or URIs; bizStep and disposition are CBV short names (shipping) or URIs."
)
class EventDataInput:
    type: EventType
    event_time: datetime = strawberry.field(description="With its time zone offset.")
    action: EventAction | None = EventAction.OBSERVE
    biz_step: str | None = None
    disposition: str | None = None
    read_point: str | None = None
    biz_location: str | None = None
    items: list[strawberry.ID] = strawberry.field(default_factory=list)
    quantities: list[QuantityInput] = strawberry.field(default_factory=list)
    parent: str | None = strawberry.field(default=None, description="An Item ID or a URI.")
    input_items: list[strawberry.ID] = strawberry.field(default_factory=list)
    input_quantities: list[QuantityInput] = strawberry.field(default_factory=list)
    output_items: list[strawberry.ID] = strawberry.field(default_factory=list)
    output_quantities: list[QuantityInput] = strawberry.field(default_factory=list)
    sources: list[SourceDestInput] = strawberry.field(default_factory=list)
    destinations: list[SourceDestInput] = strawberry.field(default_factory=list)
    biz_transactions: list[BizTransactionInput] = strawberry.field(default_factory=list)
    sensor_reports: list[JSON] = strawberry.field(default_factory=list)
    certification_info: str | None = None


@strawberry.input
class RecordEventInput(Signable):
    event: EventDataInput


@strawberry.input(description="Many events in one transaction; already recorded ones are skipped.")
class RecordEventsInput(Idempotent):
    events: list[EventDataInput]


@strawberry.input(description="EPCIS 2.0 event objects as JSON, recorded as given.")
class CaptureEpcisEventsInput(Idempotent):
    events: list[JSON]


@strawberry.input(
    description="A whole EPCISDocument or EPCISQueryDocument (JSON-LD), checked against "
    "the GS1 schema; its events become ledger statements signed by the caller's key."
)
class CaptureEpcisDocumentInput(Idempotent):
    document: JSON
    error_behaviour: CaptureErrorBehaviour = CaptureErrorBehaviour.ROLLBACK


@strawberry.input(description="Retract an event (EPCIS errorDeclaration), with corrections.")
class DeclareEventErrorInput(Idempotent):
    event: strawberry.ID
    reason: str = strawberry.field(description="CBV error reason short name or URI.")
    corrective_events: list[EventDataInput] = strawberry.field(default_factory=list)
    declared_at: datetime | None = None


@strawberry.input
class IssueRecallInput(Signable):
    batches: list[strawberry.ID]
    reason: str
    severity: RecallSeverity
    issued_at: datetime | None = strawberry.field(
        default=None, description="Now, unless given (required with a client signature)."
    )


@strawberry.input
class RegisterKeyInput(Idempotent):
    vkey: str = strawberry.field(description="C2SP vkey: name+hex8+base64(0x01 || key).")
    role: KeyRole
    producer: strawberry.ID | None = None


@strawberry.input
class RevokeKeyInput(Idempotent):
    key: str = strawberry.field(description="Key name (name+hex8).")
    reason: str


# Built from their GraphQL values by a plan made once per type, not field by field.
plan_inputs(list(globals().values()))
