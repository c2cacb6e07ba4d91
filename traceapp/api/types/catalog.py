"""Producers, products, certifications and locations: the public catalogue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

import strawberry

from traceapp.api.planner import Rel
from traceapp.api.types.common import Node
from traceapp.api.types.enums import (
    CertificationScheme,
    CertificationStatus,
    IssuerLevel,
    LocationKind,
    ProducerKind,
    ProducerStatus,
    ProductGroup,
)
from traceapp.api.types.media import Photo
from traceapp.gs1.digital_link import DigitalLink, format_uri
from traceapp.i18n import vietnam_today
from traceapp.locations import models as locations
from traceapp.locations.services import location_uri
from traceapp.producers import models as producers
from traceapp.products import models as products


def public_url(info: strawberry.Info[Any, Any]) -> str:
    url: str = info.context.app.config["TRACEAPP"].public_url
    return url


@strawberry.type(description="A personal field of a producer (admin only; never on the ledger).")
class PersonalDatum:
    field: str
    value: str | None = strawberry.field(description="Null once erased.")


@strawberry.type(
    description="An OCOP producer (chủ thể OCOP): enterprise, cooperative or household."
)
class Producer(Node):
    row: strawberry.Private[producers.Producer]
    LOADS: ClassVar[dict[str, Rel]] = {
        "personalData": Rel((producers.Producer.personal_data,)),
    }

    @strawberry.field
    def kind(self) -> ProducerKind:
        return ProducerKind(self.row.kind)

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field
    def tax_code(self) -> str | None:
        return self.row.tax_code

    @strawberry.field
    def gln(self) -> str | None:
        return self.row.gln

    @strawberry.field(description="Province as recorded (units changed in 2025).")
    def province(self) -> str:
        return self.row.province

    @strawberry.field
    def commune(self) -> str | None:
        return self.row.commune

    @strawberry.field
    def street(self) -> str | None:
        return self.row.street

    @strawberry.field(description="When the address was recorded.")
    def address_recorded_on(self) -> date:
        return self.row.address_recorded_on

    @strawberry.field(description="Index of the ledger entry that registered it.")
    def ledger_index(self) -> int:
        return self.row.ledger_seq

    @strawberry.field(
        description="Index of the latest entry that changed its registration "
        "(`producer.registered` or `producer.updated`)."
    )
    def updated_ledger_index(self) -> int:
        return self.row.updated_seq

    @strawberry.field(
        description="SUSPENDED from a `producer.suspended` entry until a `producer.resumed`: "
        "nothing is written with the producer's keys meanwhile."
    )
    def status(self) -> ProducerStatus:
        return ProducerStatus(self.row.status)

    @strawberry.field(description="Index of the `producer.suspended` entry in force, if any.")
    def suspended_ledger_index(self) -> int | None:
        return self.row.suspended_seq

    @strawberry.field(description="The public business contact it publishes (null: none).")
    def public_contact(self) -> PublicContact | None:
        row = self.row
        values = (row.contact_phone, row.contact_zalo, row.contact_website, row.contact_address)
        if not any(values):
            return None
        return PublicContact(
            phone=row.contact_phone,
            zalo=row.contact_zalo,
            website=row.contact_website,
            address=row.contact_address,
        )

    @strawberry.field(description="The logo uploaded with `uploadProducerLogo`, if any.")
    def logo(self, info: strawberry.Info) -> Photo | None:
        return Photo.of(self.row.logo, self.row.logo_seq, public_url(info))

    @strawberry.field(description="Owner name, phone, e-mail, address: programme office only.")
    def personal_data(self) -> list[PersonalDatum]:
        return [
            PersonalDatum(field=p.field, value=p.value)
            for p in sorted(self.row.personal_data, key=lambda p: p.field)
        ]


@strawberry.type(description="A producer's public business contact (producer.contact_published).")
class PublicContact:
    phone: str | None
    zalo: str | None
    website: str | None
    address: str | None


@strawberry.type(description="A product with its GTIN-14.")
class Product(Node):
    row: strawberry.Private[products.Product]
    LOADS: ClassVar[dict[str, Rel]] = {}

    @strawberry.field
    def gtin(self) -> str:
        return self.row.gtin

    @strawberry.field
    def name_vi(self) -> str:
        return self.row.name_vi

    @strawberry.field
    def name_en(self) -> str | None:
        return self.row.name_en

    @strawberry.field
    def group(self) -> ProductGroup:
        return ProductGroup(self.row.group)

    @strawberry.field
    def description(self) -> str | None:
        return self.row.description

    @strawberry.field(
        description=(
            "An image URL given at registration (kept for older clients). A photo uploaded "
            "with `uploadProductPhoto` takes precedence over it: see `photo`."
        )
    )
    def image_url(self) -> str | None:
        return self.row.image_url

    @strawberry.field(description="The photo uploaded with `uploadProductPhoto`, if any.")
    def photo(self, info: strawberry.Info) -> Photo | None:
        return Photo.of(self.row.photo, self.row.photo_seq, public_url(info))

    @strawberry.field
    def standards(self) -> list[str]:
        return list(self.row.standards)

    @strawberry.field(description="GS1 Digital Link URI of the product.")
    def digital_link(self, info: strawberry.Info) -> str:
        return format_uri(public_url(info), DigitalLink(self.row.gtin))

    @strawberry.field
    def producer(self) -> Producer:
        return Producer(row=self.row.producer)

    @strawberry.field
    def certifications(self) -> list[Certification]:
        return [Certification(row=c) for c in self.row.certifications]

    @strawberry.field
    def ledger_index(self) -> int:
        return self.row.ledger_seq

    @strawberry.field(description="Index of the entry that last changed it.")
    def updated_ledger_index(self) -> int:
        return self.row.updated_seq


@strawberry.type(description="A certificate: OCOP stars, VietGAP, organic, ...")
class Certification(Node):
    row: strawberry.Private[products.Certification]
    LOADS: ClassVar[dict[str, Rel]] = {}

    @strawberry.field
    def scheme(self) -> CertificationScheme:
        return CertificationScheme(self.row.scheme)

    @strawberry.field(description="OCOP stars (3 to 5); null for other schemes.")
    def stars(self) -> int | None:
        return self.row.stars

    @strawberry.field
    def issuer(self) -> str:
        return self.row.issuer

    @strawberry.field
    def issuer_level(self) -> IssuerLevel | None:
        return IssuerLevel(self.row.issuer_level) if self.row.issuer_level else None

    @strawberry.field
    def decision_number(self) -> str:
        return self.row.decision_number

    @strawberry.field
    def issued_on(self) -> date:
        return self.row.issued_on

    @strawberry.field
    def valid_until(self) -> date:
        return self.row.valid_until

    @strawberry.field
    def status(self) -> CertificationStatus:
        return CertificationStatus(self.row.status(vietnam_today()))

    @strawberry.field
    def revoke_reason(self) -> str | None:
        return self.row.revoke_reason

    @strawberry.field
    def product(self) -> Product:
        return Product(row=self.row.product)

    @strawberry.field
    def ledger_index(self) -> int:
        return self.row.ledger_seq

    @strawberry.field
    def revoked_ledger_index(self) -> int | None:
        return self.row.revoked_seq


@strawberry.type(description="A farm, facility, warehouse or shop.")
class Location(Node):
    row: strawberry.Private[locations.Location]
    LOADS: ClassVar[dict[str, Rel]] = {}

    @strawberry.field(description="The producer's own code for it.")
    def code(self) -> str:
        return self.row.code

    @strawberry.field
    def gln(self) -> str | None:
        return self.row.gln

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field
    def kind(self) -> LocationKind:
        return LocationKind(self.row.kind)

    @strawberry.field
    def province(self) -> str | None:
        return self.row.province

    @strawberry.field
    def commune(self) -> str | None:
        return self.row.commune

    @strawberry.field
    def street(self) -> str | None:
        return self.row.street

    @strawberry.field(description="WGS 84 latitude in degrees, when the producer gave one.")
    def latitude(self) -> Decimal | None:
        return self.row.latitude

    @strawberry.field(description="WGS 84 longitude in degrees, when the producer gave one.")
    def longitude(self) -> Decimal | None:
        return self.row.longitude

    @strawberry.field(description="The URI EPCIS events use for it (GLN Digital Link or URN).")
    def uri(self) -> str:
        return location_uri(self.row)

    @strawberry.field
    def producer(self) -> Producer:
        return Producer(row=self.row.producer)

    @strawberry.field
    def ledger_index(self) -> int:
        return self.row.ledger_seq

    @strawberry.field(description="Index of the entry that last changed it.")
    def updated_ledger_index(self) -> int:
        return self.row.updated_seq


Product.LOADS.update(
    {
        "producer": Rel((products.Product.producer,), Producer),
        "certifications": Rel((products.Product.certifications,), Certification),
    }
)
Certification.LOADS.update({"product": Rel((products.Certification.product,), Product)})
Location.LOADS.update({"producer": Rel((locations.Location.producer,), Producer)})
