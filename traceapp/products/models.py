"""Products and their certifications (OCOP stars, VietGAP, organic, ...)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from traceapp.db.base import Base
from traceapp.producers.models import Producer
from traceapp.types import BigInt

PRODUCT_GROUPS = (
    "food",
    "drinks",
    "herbal",
    "textiles_garments",
    "souvenirs_furnishing_decoration",
    "community_tourism_services",
)
CERTIFICATION_SCHEMES = (
    "OCOP",
    "VietGAP",
    "GlobalGAP",
    "organic",
    "ISO22000",
    "HACCP",
    "geographical_indication",
    "other",
)
ISSUER_LEVELS = ("district", "province", "national")


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id"), index=True)
    gtin: Mapped[str] = mapped_column(String(14), unique=True)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    # The name filter's key (``i18n.search_key`` of ``name_vi``), kept by the projections.
    name_key: Mapped[str] = mapped_column(String(300))
    group: Mapped[str] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(String(1000))
    standards: Mapped[list[str]] = mapped_column(JSON)
    ledger_seq: Mapped[int] = mapped_column(BigInt)
    updated_seq: Mapped[int] = mapped_column(BigInt)
    # The current photo: its hash, the statement's ``photo`` object, and the entry that set it.
    photo_sha256: Mapped[str | None] = mapped_column(String(64))
    photo: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    photo_seq: Mapped[int | None] = mapped_column(BigInt)

    # Read-side navigation for the API's eager-loading planner: view-only, never lazy.
    producer: Mapped[Producer] = relationship(viewonly=True, lazy="raise")
    certifications: Mapped[list[Certification]] = relationship(
        viewonly=True, lazy="raise", order_by=lambda: Certification.ledger_seq
    )


class Certification(Base):
    __tablename__ = "certifications"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    scheme: Mapped[str] = mapped_column(String(40))
    stars: Mapped[int | None] = mapped_column(SmallInteger)
    issuer: Mapped[str] = mapped_column(String(300))
    issuer_level: Mapped[str | None] = mapped_column(String(16))
    decision_number: Mapped[str] = mapped_column(String(100))
    issued_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date, index=True)
    ledger_seq: Mapped[int] = mapped_column(BigInt)
    revoked_seq: Mapped[int | None] = mapped_column(BigInt)
    revoke_reason: Mapped[str | None] = mapped_column(String(500))

    product: Mapped[Product] = relationship(viewonly=True, lazy="raise")

    def status(self, today: date) -> str:
        return certificate_status(
            self.revoked_seq is not None, self.issued_on, self.valid_until, today
        )


def certificate_status(revoked: bool, issued_on: date, valid_until: date, today: date) -> str:
    """Derived from dates and revocation: revoked, expired, not_yet_valid or valid."""
    if revoked:
        return "revoked"
    if today > valid_until:
        return "expired"
    if today < issued_on:
        return "not_yet_valid"
    return "valid"
