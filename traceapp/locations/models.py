"""Locations: farms, facilities, warehouses, shops (GLN or internal code)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from traceapp.db.base import Base
from traceapp.producers.models import Producer
from traceapp.types import BigInt

LOCATION_KINDS = ("farm", "facility", "warehouse", "shop", "other")


class Location(Base):
    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("producer_id", "code"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id"), index=True)
    gln: Mapped[str | None] = mapped_column(String(13), unique=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    province: Mapped[str | None] = mapped_column(String(100))
    commune: Mapped[str | None] = mapped_column(String(100))
    street: Mapped[str | None] = mapped_column(String(300))
    # WGS 84 degrees, 6 decimals (about 0.1 m), from the statement's optional ``geo``.
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    ledger_seq: Mapped[int] = mapped_column(BigInt)
    # The entry that last changed it (``location.updated``); its registration until then.
    updated_seq: Mapped[int] = mapped_column(BigInt)

    # Read-side navigation for the API's eager-loading planner: view-only, never lazy.
    producer: Mapped[Producer] = relationship(viewonly=True, lazy="raise")
