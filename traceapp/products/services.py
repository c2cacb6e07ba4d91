"""Products (GTIN-14) and certifications (OCOP 3–5 stars valid 36 months, VietGAP, ...)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceapp import validation as v
from traceapp.gs1.identifiers import normalise_gtin
from traceapp.ledger_store.service import Receipt, WriteRequest, perform
from traceapp.ledger_store.writer import Draft, Ledger
from traceapp.producers.models import Producer
from traceapp.producers.services import get_producer, require_producer_actor
from traceapp.products.errors import (
    CertificationForbidden,
    CertificationInvalid,
    CertificationNotFound,
    CertificationRevoked,
    ProductExists,
    ProductInvalid,
    ProductNotFound,
)
from traceapp.products.models import (
    CERTIFICATION_SCHEMES,
    ISSUER_LEVELS,
    PRODUCT_GROUPS,
    Certification,
    Product,
)

OCOP_VALIDITY_MONTHS = 36


@dataclass(frozen=True)
class ProductInput:
    producer: str
    gtin: str
    name_vi: str
    group: str
    name_en: str | None = None
    description: str | None = None
    image_url: str | None = None
    standards: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ProductChanges:
    name_vi: str | None = None
    name_en: str | None = None
    group: str | None = None
    description: str | None = None
    image_url: str | None = None
    standards: list[str] | None = None


@dataclass(frozen=True)
class CertificationInput:
    product: str
    scheme: str
    issuer: str
    decision_number: str
    issued_on: date | str
    stars: int | None = None
    issuer_level: str | None = None
    valid_until: date | str | None = None


def get_product(session: Session, public_id: str) -> Product:
    product = session.execute(
        select(Product).where(Product.public_id == public_id)
    ).scalar_one_or_none()
    if product is None:
        raise ProductNotFound(f"no product {public_id}", field="product")
    return product


def producer_public_id(session: Session, product: Product) -> str:
    return session.execute(
        select(Producer.public_id).where(Producer.id == product.producer_id)
    ).scalar_one()


def _image(url: str | None) -> str | None:
    url = v.text(url, "imageUrl", max_length=1000, required=False)
    if url is not None and not url.startswith(("https://", "http://", "/")):
        raise ProductInvalid("must be an http(s) URL or a path", field="imageUrl")
    return url


def _standards(values: list[str]) -> list[str]:
    cleaned = [v.required_text(s, "standards", max_length=100) for s in values]
    if len(cleaned) > 30:
        raise ProductInvalid("at most 30 standards", field="standards")
    return sorted(set(cleaned))


def plan_register_product(
    session: Session, ledger: Ledger, request: WriteRequest, data: ProductInput
) -> list[Draft]:
    ids = request.ids(ledger)
    get_producer(session, data.producer)
    require_producer_actor(session, ledger, request.actor, data.producer)
    gtin = v.gs1(normalise_gtin, data.gtin, "gtin")
    if session.execute(select(Product.id).where(Product.gtin == gtin)).first():
        raise ProductExists(f"GTIN {gtin} is already registered", field="gtin")
    return [
        Draft(
            "product.registered",
            {
                "id": ids.public_id("prd"),
                "producer": data.producer,
                "gtin": gtin,
                "name": {
                    "vi": v.required_text(data.name_vi, "nameVi", max_length=300),
                    "en": v.text(data.name_en, "nameEn", max_length=300, required=False),
                },
                "group": v.choice(data.group, "group", PRODUCT_GROUPS),
                "description": v.text(
                    data.description, "description", max_length=5000, required=False
                ),
                "image": _image(data.image_url),
                "standards": _standards(data.standards),
            },
        )
    ]


def register_product(
    session: Session,
    ledger: Ledger,
    actor: str,
    data: ProductInput,
    *,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Receipt:
    request = WriteRequest(actor, idempotency_key, signature)
    return perform(
        session,
        ledger,
        request,
        lambda: plan_register_product(session, ledger, request, data),
        op={"op": "register_product", **data.__dict__},
    )


def plan_update_product(
    session: Session,
    ledger: Ledger,
    request: WriteRequest,
    product_id: str,
    changes: ProductChanges,
) -> list[Draft]:
    product = get_product(session, product_id)
    require_producer_actor(session, ledger, request.actor, producer_public_id(session, product))
    out: dict[str, object] = {}
    if changes.name_vi is not None or changes.name_en is not None:
        out["name"] = {
            "vi": v.required_text(changes.name_vi or product.name_vi, "nameVi", max_length=300),
            "en": v.text(
                changes.name_en if changes.name_en is not None else product.name_en,
                "nameEn",
                max_length=300,
                required=False,
            ),
        }
    if changes.group is not None:
        out["group"] = v.choice(changes.group, "group", PRODUCT_GROUPS)
    if changes.description is not None:
        out["description"] = v.text(
            changes.description, "description", max_length=5000, required=False
        )
    if changes.image_url is not None:
        out["image"] = _image(changes.image_url)
    if changes.standards is not None:
        out["standards"] = _standards(changes.standards)
    if not out:
        raise ProductInvalid("nothing to change", field="changes")
    return [Draft("product.updated", {"id": product_id, "changes": out})]


def update_product(
    session: Session,
    ledger: Ledger,
    actor: str,
    product_id: str,
    changes: ProductChanges,
    *,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Receipt:
    request = WriteRequest(actor, idempotency_key, signature)
    return perform(
        session,
        ledger,
        request,
        lambda: plan_update_product(session, ledger, request, product_id, changes),
        op={"op": "update_product", "id": product_id, **changes.__dict__},
    )


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def plan_grant_certification(
    session: Session, ledger: Ledger, request: WriteRequest, data: CertificationInput
) -> list[Draft]:
    """Record a certificate. OCOP ones are granted by the programme office (admin) only."""

    ids = request.ids(ledger)
    get_product(session, data.product)
    scheme = v.choice(data.scheme, "scheme", CERTIFICATION_SCHEMES)
    role = ledger.role_of(session, request.actor).role
    if role != "admin":
        raise CertificationForbidden("certifications are recorded by the programme office")
    issued_on = v.iso_date(data.issued_on, "issuedOn")
    if scheme == "OCOP":
        if data.stars not in (3, 4, 5):
            raise CertificationInvalid(
                "OCOP ratings recorded here are 3, 4 or 5 stars", field="stars"
            )
        if data.issuer_level is None:
            raise CertificationInvalid("is required for OCOP", field="issuerLevel")
        default_until = add_months(issued_on, OCOP_VALIDITY_MONTHS)
    else:
        if data.stars is not None:
            raise CertificationInvalid("only OCOP ratings have stars", field="stars")
        if data.valid_until is None:
            raise CertificationInvalid("is required", field="validUntil")
        default_until = issued_on
    valid_until = v.iso_date(data.valid_until, "validUntil") if data.valid_until else default_until
    if valid_until <= issued_on:
        raise CertificationInvalid("must be after issuedOn", field="validUntil")
    if scheme == "OCOP" and valid_until > add_months(issued_on, OCOP_VALIDITY_MONTHS):
        raise CertificationInvalid(
            "an OCOP rating is valid for at most 36 months", field="validUntil"
        )
    level = None
    if data.issuer_level is not None:
        level = v.choice(data.issuer_level, "issuerLevel", ISSUER_LEVELS)
    return [
        Draft(
            "certification.granted",
            {
                "id": ids.public_id("cer"),
                "product": data.product,
                "scheme": scheme,
                "stars": data.stars,
                "issuer": v.required_text(data.issuer, "issuer", max_length=300),
                "issuer_level": level,
                "decision_number": v.required_text(
                    data.decision_number, "decisionNumber", max_length=100
                ),
                "issued_on": issued_on.isoformat(),
                "valid_until": valid_until.isoformat(),
            },
        )
    ]


def grant_certification(
    session: Session,
    ledger: Ledger,
    actor: str,
    data: CertificationInput,
    *,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Receipt:
    request = WriteRequest(actor, idempotency_key, signature)
    return perform(
        session,
        ledger,
        request,
        lambda: plan_grant_certification(session, ledger, request, data),
        op={"op": "grant_certification", **data.__dict__},
    )


def plan_revoke_certification(
    session: Session, ledger: Ledger, request: WriteRequest, certification_id: str, reason: str
) -> list[Draft]:
    if ledger.role_of(session, request.actor).role != "admin":
        raise CertificationForbidden("certifications are revoked by the programme office")
    cert = session.execute(
        select(Certification).where(Certification.public_id == certification_id)
    ).scalar_one_or_none()
    if cert is None:
        raise CertificationNotFound(f"no certification {certification_id}", field="certification")
    if cert.revoked_seq is not None:
        raise CertificationRevoked("already revoked", field="certification")
    return [
        Draft(
            "certification.revoked",
            {
                "id": certification_id,
                "reason": v.required_text(reason, "reason", max_length=500),
            },
        )
    ]


def revoke_certification(
    session: Session,
    ledger: Ledger,
    actor: str,
    certification_id: str,
    reason: str,
    *,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Receipt:
    request = WriteRequest(actor, idempotency_key, signature)
    return perform(
        session,
        ledger,
        request,
        lambda: plan_revoke_certification(session, ledger, request, certification_id, reason),
        op={"op": "revoke_certification", "id": certification_id, "reason": reason},
        ids_of=lambda drafts: [certification_id],
    )
