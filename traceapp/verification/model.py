"""The verification view: frozen, Flask-free dataclasses shared by the page, JSON and GraphQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from traceapp.gs1.digital_link import LinkKind
from traceapp.media.images import JPEG, WEBP, media_path
from traceapp.scans.clones import CloneLevel


@dataclass(frozen=True)
class Address:
    province: str
    commune: str | None
    street: str | None
    recorded_on: date
    """Addresses are kept as recorded: Vietnam's administrative units changed in 2025."""


@dataclass(frozen=True)
class PhotoView:
    """A photo or logo as its ``product.photo_set`` / ``producer.logo_set`` statement names it."""

    sha256: str
    """SHA-256 (hex) of the phone-size WebP: the hash on the ledger."""
    width: int
    height: int
    jpeg: str
    thumb_sha256: str
    thumb_width: int
    thumb_height: int
    thumb_jpeg: str
    ledger_seq: int

    @property
    def webp_path(self) -> str:
        return media_path(self.sha256, WEBP)

    @property
    def jpeg_path(self) -> str:
        return media_path(self.jpeg, JPEG)

    @property
    def thumb_webp_path(self) -> str:
        return media_path(self.thumb_sha256, WEBP)

    @property
    def thumb_jpeg_path(self) -> str:
        return media_path(self.thumb_jpeg, JPEG)


@dataclass(frozen=True)
class ProducerView:
    public_id: str
    kind: str
    name: str
    address: Address
    gln: str | None
    logo: PhotoView | None = None
    contact: Contact | None = None
    """The public business contact the producer publishes (never its personal data)."""


@dataclass(frozen=True)
class ProductView:
    public_id: str
    gtin: str
    name_vi: str
    name_en: str | None
    group: str
    description: str | None
    image_url: str | None
    """As registered; the web layer shows it only when it is a path on our own host."""
    standards: tuple[str, ...]
    photo: PhotoView | None = None
    """The uploaded photo, which takes precedence over ``image_url``."""


@dataclass(frozen=True)
class CertificateView:
    """A certificate as shown on one day (the snapshot re-dates it: ``snapshot.on_day``)."""

    public_id: str
    scheme: str
    stars: int | None
    issuer: str
    issuer_level: str | None
    decision_number: str
    issued_on: date
    valid_until: date
    status: str
    """valid, expired, revoked or not_yet_valid on that day."""
    revoke_reason: str | None
    ledger_seq: int


@dataclass(frozen=True)
class BatchView:
    public_id: str
    lot: str
    production_date: date
    expiry_date: date | None
    quantity: Decimal | None
    unit: str | None
    origin: str | None
    """Name of the origin location (farm, facility), when recorded; for a processed product,
    its raw-material area: the origins of its input batches (``upstream.with_raw_origin``)."""
    processed_at: str | None = None
    """A processed product's own origin location (its workshop), when its inputs name theirs."""


@dataclass(frozen=True)
class ItemView:
    public_id: str
    serial: str
    status: str
    has_pin: bool
    claimed: bool


@dataclass(frozen=True)
class Place:
    uri: str
    name: str | None
    """Our location's name when the URI is one of ours; None for foreign URIs."""


@dataclass(frozen=True)
class JourneyStep:
    event_public_id: str
    event_type: str
    biz_step: str | None
    disposition: str | None
    local_time: datetime
    """The event time in the event's own time zone (``eventTimeZoneOffset``)."""
    time_zone: str
    read_point: Place | None
    biz_location: Place | None
    destinations: tuple[Place, ...]
    corrected: bool
    correction_reason: str | None
    ledger_seq: int


@dataclass(frozen=True)
class Notice:
    """A warning for the shopper: ``code`` is translated by the page; ``params`` fill it in."""

    code: str
    severity: Literal["info", "warning", "danger"]
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ScanSummary:
    count: int
    """Checks of this code, including this one when it was recorded."""
    first_at: datetime | None
    distinct_clients: int


@dataclass(frozen=True)
class CloneAssessment:
    level: CloneLevel
    signals: tuple[Notice, ...]


@dataclass(frozen=True)
class EntryProof:
    seq: int
    type: str
    subject: str
    """What the entry is about on the page: producer, product, certification, event ..."""
    leaf_hash: str
    """Base64 of the RFC 6962 leaf hash recomputed from the stored entry bytes."""
    verified: bool
    error: str | None


@dataclass(frozen=True)
class ProofReport:
    checkpoint_size: int
    checkpoint_root: str
    checkpoint_verified: bool
    """The latest checkpoint's signature verified under the log key."""
    entries: tuple[EntryProof, ...]

    @property
    def all_verified(self) -> bool:
        return self.checkpoint_verified and all(e.verified for e in self.entries)


@dataclass(frozen=True)
class Verification:
    """Everything a scan shows (Circular 02/2024/TT-BKHCN fields, OCOP, journey, proofs)."""

    kind: LinkKind
    code: str
    """The GS1 element string, e.g. (01)08938505974019(10)L2026-11A(21)SERIAL: the trace code."""
    path: str
    """The Digital Link path, ``/01/{gtin}[/10/{lot}][/21/{serial}]``."""
    product: ProductView
    producer: ProducerView
    certificates: tuple[CertificateView, ...]
    ocop: CertificateView | None
    """The current OCOP rating: the valid one, else the most recent one."""
    batch: BatchView | None
    item: ItemView | None
    journey: tuple[JourneyStep, ...]
    warnings: tuple[Notice, ...]
    scans: ScanSummary | None
    clone: CloneAssessment | None
    proofs: ProofReport
    checked_at: datetime
    upstream: Upstream | None = None
    """One step back: the input batches of a processed product."""


@dataclass(frozen=True)
class InputView:
    """An input batch of a processed product, with its product, producer and own journey."""

    product: ProductView
    producer: ProducerView
    batch: BatchView | None
    journey: tuple[JourneyStep, ...]


@dataclass(frozen=True)
class Upstream:
    """One step back (Circular 02/2024/TT-BKHCN): what a processed product was made from."""

    inputs: tuple[InputView, ...]
    more: int
    """Input batches not shown (``upstream.MAX_INPUTS``)."""
    origins: tuple[str, ...]
    """The inputs' origin locations: the product's raw-material area."""


@dataclass(frozen=True)
class Contact:
    """A producer's public business contact, from its ``producer.contact_published``."""

    phone: str | None
    zalo: str | None
    """A Vietnamese mobile number: its Zalo link is ``https://zalo.me/<zalo>``."""
    website: str | None
    address: str | None
