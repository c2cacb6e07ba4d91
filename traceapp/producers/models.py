"""Producers (chủ thể OCOP) and their personal data, kept off the ledger."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from traceapp.db.base import Base
from traceapp.types import BigInt

PRODUCER_KINDS = ("enterprise", "cooperative", "household_business")
PERSONAL_FIELDS = ("owner_name", "phone", "email", "personal_address")


class Producer(Base):
    __tablename__ = "producers"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300))
    tax_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    province: Mapped[str] = mapped_column(String(100))
    commune: Mapped[str | None] = mapped_column(String(100))
    street: Mapped[str | None] = mapped_column(String(300))
    address_recorded_on: Mapped[date] = mapped_column(Date)
    gln: Mapped[str | None] = mapped_column(String(13), unique=True)
    ledger_seq: Mapped[int] = mapped_column(BigInt)
    updated_seq: Mapped[int] = mapped_column(BigInt)
    # The public business contact the producer publishes (``producers/contact.py``): not
    # personal data, which stays off the ledger.
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    contact_zalo: Mapped[str | None] = mapped_column(String(20))
    contact_website: Mapped[str | None] = mapped_column(String(300))
    contact_address: Mapped[str | None] = mapped_column(String(300))
    contact_seq: Mapped[int | None] = mapped_column(BigInt)
    # The current logo: its hash, the statement's ``logo`` object, and the entry that set it.
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    logo: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    logo_seq: Mapped[int | None] = mapped_column(BigInt)
    # The filters' keys (``i18n.search_key``: no diacritics, any case), kept by the projections.
    province_key: Mapped[str] = mapped_column(String(100))
    commune_key: Mapped[str | None] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(300))
    # The ``producer.suspended`` entry in force; None while the producer is active.
    suspended_seq: Mapped[int | None] = mapped_column(BigInt)

    # Read-side navigation for the API's eager-loading planner: view-only, never lazy.
    personal_data: Mapped[list[PersonalData]] = relationship(
        primaryjoin=lambda: Producer.public_id == foreign(PersonalData.producer_public_id),
        viewonly=True,
        lazy="raise",
    )

    __table_args__ = (
        Index("ix_producers_province_key", "province_key", "commune_key"),
        Index("ix_producers_commune_key", "commune_key"),
        # The office's list in name order, a keyset page at a time (``search.producer_page``).
        Index("ix_producers_name_key", "name_key", "id"),
    )

    @property
    def status(self) -> str:
        return "suspended" if self.suspended_seq is not None else "active"


PRODUCER_STATUSES = ("active", "suspended")
# The statements that change a producer's registration, listed in its history.
HISTORY_TYPES = (
    "producer.registered",
    "producer.updated",
    "producer.suspended",
    "producer.resumed",
)


class ProducerChange(Base):
    """One entry of a producer's history (``HISTORY_TYPES``): the page reads these entries by
    their index instead of scanning the log."""

    __tablename__ = "producer_changes"

    seq: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=False)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id"), index=True)
    type: Mapped[str] = mapped_column(String(64))


class PersonalData(Base):
    """Principle 5: the ledger holds SHA-256(salt || value); erasure deletes value and salt."""

    __tablename__ = "personal_data"

    # Off-ledger rows refer to public IDs, which survive a rebuild of the projections.
    producer_public_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    field: Mapped[str] = mapped_column(String(32), primary_key=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    salt: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    value: Mapped[str | None] = mapped_column(Text)
