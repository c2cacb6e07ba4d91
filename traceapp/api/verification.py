"""``verifyItem``: the consumer's check of a scanned QR code, by traceapp.verification.

The same ``verify_code`` serves the resolver page and its JSON; here it runs read-only (a query
records no scan: the resolver page does, for clone detection), and its frozen view is mirrored
into GraphQL types. Unknown or malformed codes are an answer (``found: false``), not an error.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from traceapp.api.context import context_of
from traceapp.api.errors import ApiError
from traceapp.api.ids import encode_global_id
from traceapp.api.types.common import UserError
from traceapp.api.types.enums import (
    CertificationScheme,
    CertificationStatus,
    EventType,
    IssuerLevel,
    ItemStatus,
    ProducerKind,
    ProductGroup,
)
from traceapp.clients import rate_limited
from traceapp.errors import DomainError
from traceapp.gs1.digital_link import DigitalLink, parse_path, parse_uri
from traceapp.gs1.errors import Gs1Error
from traceapp.i18n import vietnam_today
from traceapp.verification import model
from traceapp.verification.serialize import notice_text
from traceapp.verification.services import verify_code

Info = strawberry.Info[Any, Any]


def _gid(type_name: str, public_id: str) -> strawberry.ID:
    return strawberry.ID(encode_global_id(type_name, public_id))


@strawberry.type
class VerifiedProducer:
    id: strawberry.ID
    kind: ProducerKind
    name: str
    province: str
    commune: str | None
    street: str | None
    address_recorded_on: date
    gln: str | None


@strawberry.type
class VerifiedProduct:
    id: strawberry.ID
    gtin: str
    name_vi: str
    name_en: str | None
    group: ProductGroup
    description: str | None
    image_url: str | None
    standards: list[str]


@strawberry.type
class VerifiedCertificate:
    id: strawberry.ID
    scheme: CertificationScheme
    stars: int | None
    issuer: str
    issuer_level: IssuerLevel | None
    decision_number: str
    issued_on: date
    valid_until: date
    status: CertificationStatus
    revoke_reason: str | None
    ledger_index: int


@strawberry.type
class VerifiedBatch:
    id: strawberry.ID
    lot: str
    production_date: date
    expiry_date: date | None
    quantity: Decimal | None
    unit: str | None
    origin: str | None


@strawberry.type
class VerifiedItem:
    id: strawberry.ID
    serial: str
    status: ItemStatus
    has_pin: bool
    claimed: bool


@strawberry.type
class Place:
    uri: str
    name: str | None


@strawberry.type
class JourneyStep:
    event_id: strawberry.ID
    event_type: EventType
    biz_step: str | None
    disposition: str | None
    local_time: datetime
    time_zone: str
    read_point: Place | None
    biz_location: Place | None
    destinations: list[Place]
    corrected: bool
    correction_reason: str | None
    ledger_index: int


@strawberry.type
class Notice:
    code: str
    severity: str
    message: str
    params: JSON


@strawberry.type
class ScanSummary:
    count: int
    first_at: datetime | None
    distinct_clients: int


@strawberry.type
class CloneAssessment:
    level: str
    signals: list[Notice]


@strawberry.type
class EntryProof:
    index: int
    type: str
    subject: str
    leaf_hash: str
    verified: bool
    error: str | None


@strawberry.type
class ProofReport:
    checkpoint_size: int
    checkpoint_root: str
    checkpoint_verified: bool
    all_verified: bool
    entries: list[EntryProof]


@strawberry.type(description="What a scan shows, every shown ledger entry proven.")
class Verification:
    kind: str
    code: str = strawberry.field(description="GS1 element string: the trace code.")
    path: str
    product: VerifiedProduct
    producer: VerifiedProducer
    certificates: list[VerifiedCertificate]
    ocop: VerifiedCertificate | None
    batch: VerifiedBatch | None
    item: VerifiedItem | None
    journey: list[JourneyStep]
    warnings: list[Notice]
    scans: ScanSummary | None
    clone: CloneAssessment | None
    proofs: ProofReport
    checked_at: datetime


@strawberry.type
class VerifyItemResult:
    found: bool
    verification: Verification | None
    user_errors: list[UserError]


def _place(place: model.Place | None) -> Place | None:
    return Place(uri=place.uri, name=place.name) if place is not None else None


def _notice(notice: model.Notice, lang: str) -> Notice:
    return Notice(
        code=notice.code,
        severity=notice.severity,
        message=notice_text(notice, lang),
        params=cast(JSON, dict(notice.params)),
    )


def _certificate(c: model.CertificateView) -> VerifiedCertificate:
    return VerifiedCertificate(
        id=_gid("Certification", c.public_id),
        scheme=CertificationScheme(c.scheme),
        stars=c.stars,
        issuer=c.issuer,
        issuer_level=IssuerLevel(c.issuer_level) if c.issuer_level is not None else None,
        decision_number=c.decision_number,
        issued_on=c.issued_on,
        valid_until=c.valid_until,
        status=CertificationStatus(c.status),
        revoke_reason=c.revoke_reason,
        ledger_index=c.ledger_seq,
    )


def _verification(v: model.Verification, lang: str) -> Verification:
    p, pr = v.product, v.producer
    return Verification(
        kind=v.kind,
        code=v.code,
        path=v.path,
        product=VerifiedProduct(
            id=_gid("Product", p.public_id),
            gtin=p.gtin,
            name_vi=p.name_vi,
            name_en=p.name_en,
            group=ProductGroup(p.group),
            description=p.description,
            image_url=p.image_url,
            standards=list(p.standards),
        ),
        producer=VerifiedProducer(
            id=_gid("Producer", pr.public_id),
            kind=ProducerKind(pr.kind),
            name=pr.name,
            province=pr.address.province,
            commune=pr.address.commune,
            street=pr.address.street,
            address_recorded_on=pr.address.recorded_on,
            gln=pr.gln,
        ),
        certificates=[_certificate(c) for c in v.certificates],
        ocop=_certificate(v.ocop) if v.ocop is not None else None,
        batch=(
            VerifiedBatch(
                id=_gid("Batch", v.batch.public_id),
                lot=v.batch.lot,
                production_date=v.batch.production_date,
                expiry_date=v.batch.expiry_date,
                quantity=v.batch.quantity,
                unit=v.batch.unit,
                origin=v.batch.origin,
            )
            if v.batch is not None
            else None
        ),
        item=(
            VerifiedItem(
                id=_gid("Item", v.item.public_id),
                serial=v.item.serial,
                status=ItemStatus(v.item.status),
                has_pin=v.item.has_pin,
                claimed=v.item.claimed,
            )
            if v.item is not None
            else None
        ),
        journey=[
            JourneyStep(
                event_id=_gid("Event", s.event_public_id),
                event_type=EventType(s.event_type),
                biz_step=s.biz_step,
                disposition=s.disposition,
                local_time=s.local_time,
                time_zone=s.time_zone,
                read_point=_place(s.read_point),
                biz_location=_place(s.biz_location),
                destinations=[Place(uri=d.uri, name=d.name) for d in s.destinations],
                corrected=s.corrected,
                correction_reason=s.correction_reason,
                ledger_index=s.ledger_seq,
            )
            for s in v.journey
        ],
        warnings=[_notice(n, lang) for n in v.warnings],
        scans=(
            ScanSummary(
                count=v.scans.count,
                first_at=v.scans.first_at,
                distinct_clients=v.scans.distinct_clients,
            )
            if v.scans is not None
            else None
        ),
        clone=(
            CloneAssessment(
                level=v.clone.level, signals=[_notice(n, lang) for n in v.clone.signals]
            )
            if v.clone is not None
            else None
        ),
        proofs=ProofReport(
            checkpoint_size=v.proofs.checkpoint_size,
            checkpoint_root=v.proofs.checkpoint_root,
            checkpoint_verified=v.proofs.checkpoint_verified,
            all_verified=v.proofs.all_verified,
            entries=[
                EntryProof(
                    index=e.seq,
                    type=e.type,
                    subject=e.subject,
                    leaf_hash=e.leaf_hash,
                    verified=e.verified,
                    error=e.error,
                )
                for e in v.proofs.entries
            ],
        ),
        checked_at=v.checked_at,
    )


def _link(code: str, public_url: str, today: date) -> DigitalLink:
    code = code.strip()
    if code.startswith("/"):
        path, _, query = code.partition("?")
        return parse_path(path, query, today=today)
    return parse_uri(code, base_url=public_url, today=today)


@strawberry.type
class VerificationQueries:
    @strawberry.field(
        description="Check a scanned code (our GS1 Digital Link URI, or its path): product, "
        "producer, OCOP rating, journey, warnings and the proof of every entry shown. "
        "Read-only: no scan is recorded. `lang` is vi or en (warning texts)."
    )
    def verify_item(self, info: Info, code: str, lang: str = "vi") -> VerifyItemResult:
        context = context_of(info)
        # The pages' limit, in the same bucket: the API is no way around it (each alias counts).
        wait = rate_limited("page")
        if wait:
            context.response.headers["Retry-After"] = str(wait)
            raise ApiError(f"too many requests; retry in {wait} s", "RATE_LIMITED")
        today = vietnam_today()
        try:
            link = _link(code, context.app.config["TRACEAPP"].public_url, today)
            view = verify_code(
                context.session,
                context.ledger,
                link,
                today=today,
                now=datetime.now(UTC),
                client=None,
                record_scan=False,
            )
        except Gs1Error as exc:
            error = UserError(field="code", message=exc.message, code="INVALID_" + exc.code.upper())
            return VerifyItemResult(found=False, verification=None, user_errors=[error])
        except DomainError as exc:
            error = UserError(field="code", message=exc.message, code=exc.code)
            return VerifyItemResult(found=False, verification=None, user_errors=[error])
        return VerifyItemResult(
            found=True,
            verification=_verification(view, lang if lang == "en" else "vi"),
            user_errors=[],
        )
