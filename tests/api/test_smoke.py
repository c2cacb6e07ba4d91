from __future__ import annotations

from support.scenario import Scenario

from .conftest import Gql


def test_products_public(gql: Gql, scenario: Scenario) -> None:
    result = gql(
        """{ products(first: 5) { totalCount edges { cursor node { id nameVi gtin digitalLink
             producer { name } certifications { scheme stars status product { gtin } } } } } }"""
    )
    assert "errors" not in result, result
    node = result["data"]["products"]["edges"][0]["node"]
    assert node["nameVi"] == "Trà Shan tuyết Cổ thụ"
