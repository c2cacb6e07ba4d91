"""Issue 14 item 5 at the door: a concurrent duplicate is a userError ALREADY_EXISTS with the
sequential duplicate's field, not INTERNAL_SERVER_ERROR."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from support.races import race
from support.scenario import Scenario

from traceapp.db.sessions import Database
from traceapp.ledger_store.writer import Ledger
from traceapp.products.services import ProductInput, register_product

from .conftest import Gql, global_id

REGISTER_PRODUCT = """mutation($input: RegisterProductInput!) { registerProduct(input: $input) {
  product { id } userErrors { field code } } }"""
GTIN = "8938505974026"


def test_a_concurrent_duplicate_product_is_a_user_error(
    app_config: dict[str, Any],
    database: Database,
    ledger: Ledger,
    scenario: Scenario,
    tokens: dict[str, str | None],
    gql: Gql,
) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: no race")
    variables = {
        "input": {
            "producer": global_id("Producer", scenario.producer),
            "gtin": GTIN,
            "nameVi": "Trà",
            "group": "DRINKS",
        }
    }

    def first(s: Session) -> None:
        register_product(
            s, ledger, scenario.producer_key, ProductInput(scenario.producer, GTIN, "Trà", "drinks")
        )

    def second(other: Flask) -> dict[str, Any]:
        return Gql(other.test_client())(REGISTER_PRODUCT, variables, tokens["producer"])

    outcome = race(app_config, database, first, second)
    assert outcome.error is None, repr(outcome.error)
    concurrent = outcome.value
    sequential = gql(REGISTER_PRODUCT, variables, tokens["producer"])
    assert concurrent is not None and "errors" not in concurrent, concurrent
    expected = {"product": None, "userErrors": [{"field": "gtin", "code": "ALREADY_EXISTS"}]}
    assert concurrent["data"] == sequential["data"] == {"registerProduct": expected}
