"""Batches (lots) and serialised items."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

import strawberry

from traceapp.api.planner import Rel
from traceapp.api.types.catalog import Location, Product, public_url
from traceapp.api.types.common import Node
from traceapp.api.types.enums import ItemStatus
from traceapp.batches import models as batches
from traceapp.gs1.digital_link import DigitalLink, format_uri


@strawberry.type(description="A batch (lot) of a product.")
class Batch(Node):
    row: strawberry.Private[batches.Batch]
    LOADS: ClassVar[dict[str, Rel]] = {}

    @strawberry.field(description="Lot code (GS1 AI 10).")
    def lot(self) -> str:
        return self.row.lot

    @strawberry.field
    def production_date(self) -> date:
        return self.row.production_date

    @strawberry.field
    def expiry_date(self) -> date | None:
        return self.row.expiry_date

    @strawberry.field
    def quantity(self) -> Decimal | None:
        return self.row.quantity

    @strawberry.field
    def unit(self) -> str | None:
        return self.row.unit

    @strawberry.field
    def product(self) -> Product:
        return Product(row=self.row.product)

    @strawberry.field
    def origin_location(self) -> Location | None:
        origin = self.row.origin_location
        return Location(row=origin) if origin is not None else None

    @strawberry.field(description="Batches consumed to make this one.")
    def inputs(self) -> list[Batch]:
        return [Batch(row=b) for b in self.row.input_batches]

    @strawberry.field(description="GS1 Digital Link URI of the batch.")
    def digital_link(self, info: strawberry.Info) -> str:
        link = DigitalLink(self.row.product.gtin, lot=self.row.lot, expiry=self.row.expiry_date)
        return format_uri(public_url(info), link)

    @strawberry.field
    def ledger_index(self) -> int:
        return self.row.ledger_seq


@strawberry.type(description="A serialised unit of a batch: what a QR stamp identifies.")
class Item(Node):
    row: strawberry.Private[batches.Item]
    LOADS: ClassVar[dict[str, Rel]] = {}

    @strawberry.field(description="Serial (GS1 AI 21).")
    def serial(self) -> str:
        return self.row.serial

    @strawberry.field
    def status(self) -> ItemStatus:
        return ItemStatus(self.row.status)

    @strawberry.field
    def batch(self) -> Batch:
        return Batch(row=self.row.batch)

    @strawberry.field(description="GS1 Digital Link URI printed in the item's QR code.")
    def digital_link(self, info: strawberry.Info) -> str:
        batch = self.row.batch
        link = DigitalLink(
            batch.product.gtin, lot=batch.lot, serial=self.row.serial, expiry=batch.expiry_date
        )
        return format_uri(public_url(info), link)

    @strawberry.field(description="Whether a scratch-off PIN was issued (admin and producers).")
    def has_pin(self) -> bool:
        return self.row.pin_digest is not None

    @strawberry.field(description="Index of the items.issued entry.")
    def issued_ledger_index(self) -> int:
        return self.row.issued_seq

    @strawberry.field(description="Index of the entry that set the current status.")
    def status_ledger_index(self) -> int:
        return self.row.status_seq


Batch.LOADS.update(
    {
        "product": Rel((batches.Batch.product,), Product),
        "originLocation": Rel((batches.Batch.origin_location,), Location),
        "inputs": Rel((batches.Batch.input_batches,), Batch),
        "digitalLink": Rel((batches.Batch.product,)),
    }
)
Item.LOADS.update(
    {
        "batch": Rel((batches.Item.batch,), Batch),
        "digitalLink": Rel((batches.Item.batch, batches.Batch.product)),
    }
)
