"""Batches (lots) and their serialised items."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, LargeBinary, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from traceapp.db.base import Base
from traceapp.locations.models import Location
from traceapp.products.models import Product
from traceapp.types import BigInt, UtcDateTime


class Batch(Base):
    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("product_id", "lot"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    lot: Mapped[str] = mapped_column(String(20))
    production_date: Mapped[date] = mapped_column(Date)
    expiry_date: Mapped[date | None] = mapped_column(Date)
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(18, 3))
    unit: Mapped[str | None] = mapped_column(String(20))
    origin_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    ledger_seq: Mapped[int] = mapped_column(BigInt)

    # Read-side navigation for the API's eager-loading planner: view-only, never lazy.
    product: Mapped[Product] = relationship(viewonly=True, lazy="raise")
    origin_location: Mapped[Location | None] = relationship(viewonly=True, lazy="raise")
    input_batches: Mapped[list[Batch]] = relationship(
        secondary="batch_inputs",
        primaryjoin="Batch.id == BatchInput.batch_id",
        secondaryjoin="Batch.id == BatchInput.input_batch_id",
        viewonly=True,
        lazy="raise",
    )


class BatchInput(Base):
    """A batch consumed to make another (transformation inputs)."""

    __tablename__ = "batch_inputs"

    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), primary_key=True)
    input_batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), primary_key=True)


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("batch_id", "serial"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    # Indexed: an EPC names an item by GTIN and serial, and a product's batches are unbounded.
    serial: Mapped[str] = mapped_column(String(20), index=True)
    # SHA-256(salt || PIN) is on the ledger; the salt is not (ItemPinSalt), so PINs
    # cannot be brute-forced from the public log.
    pin_digest: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    status: Mapped[str] = mapped_column(String(16))
    issued_seq: Mapped[int] = mapped_column(BigInt)
    status_seq: Mapped[int] = mapped_column(BigInt)
    # Kept by events.item_history for the plausibility rules: the latest step's time and the
    # latest return's ledger index, over non-retracted events.
    last_step_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    returned_seq: Mapped[int | None] = mapped_column(BigInt)

    batch: Mapped[Batch] = relationship(viewonly=True, lazy="raise")


class ItemPinSalt(Base):
    __tablename__ = "item_pin_salts"

    item_public_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    salt: Mapped[bytes] = mapped_column(LargeBinary(16))
