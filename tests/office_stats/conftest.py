"""A small country for the statistics: the shared Lào Cai tea cooperative, and a household
business in the former Quảng Nam (now counted under Đà Nẵng) with two products, a revoked
certificate and one ending within 30 days, a batch, items and an event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from support.scenario import Scenario

from traceapp.batches.services import BatchInput, create_batch, issue_items
from traceapp.db.sessions import Database
from traceapp.events.building import EventInput
from traceapp.events.services import record_event
from traceapp.i18n import vietnam_today
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.services import ProducerInput, producer_key, register_producer
from traceapp.products.services import (
    CertificationInput,
    ProductInput,
    grant_certification,
    register_product,
    revoke_certification,
)


@dataclass
class Country:
    tea: Scenario
    honey: str
    honey_products: list[str]
    honey_items: list[str]


def _today() -> date:
    return vietnam_today()


@pytest.fixture
def country(database: Database, ledger: Ledger, admin: str, scenario: Scenario) -> Country:
    with database.write() as s:
        honey = register_producer(
            s,
            ledger,
            admin,
            ProducerInput(
                kind="household_business",
                name="Hộ kinh doanh Bánh tráng Đại Lộc",
                province="quảng nam",  # recorded before the merger, in lower case
                commune="Xã Đại Hiệp",
                address_recorded_on=date(2024, 5, 2),
            ),
        ).public_ids[0]
    with database.write() as s:
        key = producer_key(s, honey)
        products = [
            register_product(
                s, ledger, key, ProductInput(producer=honey, gtin=gtin, name_vi=name, group=group)
            ).public_ids[0]
            for gtin, name, group in (
                ("8938505974026", "Bánh tráng nước dừa", "food"),
                ("8938505974033", "Rượu Hồng Đào", "drinks"),
            )
        ]
        soon = grant_certification(
            s,
            ledger,
            admin,
            CertificationInput(
                product=products[0],
                scheme="OCOP",
                stars=3,
                issuer="UBND tỉnh Quảng Nam",
                issuer_level="province",
                decision_number="77/QĐ-UBND",
                issued_on=_today() - timedelta(days=1000),
                valid_until=_today() + timedelta(days=20),
            ),
        ).public_ids[0]
        revoked = grant_certification(
            s,
            ledger,
            admin,
            CertificationInput(
                product=products[1],
                scheme="OCOP",
                stars=4,
                issuer="UBND tỉnh Quảng Nam",
                issuer_level="province",
                decision_number="78/QĐ-UBND",
                issued_on=_today() - timedelta(days=100),
            ),
        ).public_ids[0]
        revoke_certification(s, ledger, admin, revoked, "sai hồ sơ")
        batch = create_batch(
            s,
            ledger,
            key,
            BatchInput(
                product=products[0],
                lot="BT-2026-10",
                production_date=date(2026, 10, 5),
                quantity="300",
                unit="pack",
            ),
        ).public_ids[0]
        items = issue_items(s, ledger, key, batch, 7).receipt.public_ids
        record_event(
            s,
            ledger,
            key,
            EventInput(
                type="ObjectEvent",
                event_time=datetime(2026, 10, 6, 8, 0, tzinfo=UTC),
                action="OBSERVE",
                biz_step="packing",
                items=items,
            ),
        )
        del soon
    return Country(scenario, honey, products, items)
