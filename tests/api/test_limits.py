"""Hostile queries are refused before execution with a clean top-level error, never a 5xx."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from traceapp.api.limits import MAX_ALIASES, MAX_COST, MAX_DEPTH, MAX_TOKENS

from .conftest import Gql


def _refused(result: dict[str, object], code: str) -> None:
    assert result.get("data") is None, result
    errors = result["errors"]
    assert isinstance(errors, list) and errors
    assert errors[0]["extensions"]["code"] == code, errors


def test_depth_50_nesting_is_refused(gql: Gql) -> None:
    inner = "id"
    for _ in range(25):
        inner = f"product {{ producer {{ id }} certifications {{ {inner} }} }}"
    query = f"{{ certifications(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"
    assert query.count("{") > 50 > MAX_DEPTH
    _refused(gql(query), "DEPTH_LIMIT_EXCEEDED")


def test_200_aliases_are_refused(gql: Gql) -> None:
    query = "{ " + " ".join(f"a{n}: viewer {{ role }}" for n in range(200)) + " }"
    assert MAX_ALIASES < 200
    _refused(gql(query), "ALIAS_LIMIT_EXCEEDED")


def test_20k_tokens_are_refused(gql: Gql) -> None:
    query = "{ viewer { " + " ".join(["role"] * 20_000) + " } }"
    assert MAX_TOKENS < 20_000
    _refused(gql(query), "TOKEN_LIMIT_EXCEEDED")


@pytest.mark.parametrize(("first", "variables"), [("1000000", None), ("$n", {"n": 1_000_000})])
def test_huge_first_is_refused_by_the_cost_rule(
    gql: Gql, first: str, variables: dict[str, int] | None
) -> None:
    declared = "($n: Int)" if variables else ""
    query = f"query{declared} {{ products(first: {first}) {{ edges {{ node {{ gtin producer {{ name }} }} }} }} }}"
    result = gql(query, variables)
    _refused(result, "COST_LIMIT_EXCEEDED")
    assert result["extensions"]["cost"]["requested"] > MAX_COST  # type: ignore[index]


def test_first_above_100_is_refused_even_when_cheap(gql: Gql) -> None:
    result = gql("{ ledgerEntries(first: 101) { pageInfo { hasNextPage } } }")
    assert result["errors"][0]["extensions"]["code"] == "PAGE_LIMIT_EXCEEDED"


def test_cost_is_reported(gql: Gql) -> None:
    result = gql("{ products(first: 10) { edges { node { gtin producer { name } } } } }")
    # edges (10 x (edge 1 + node 1 + producer 1)) + connection 1
    assert result["extensions"]["cost"] == {"requested": 31, "limit": MAX_COST}


def test_batching_is_off(client: FlaskClient) -> None:
    response = client.post("/graphql", json=[{"query": "{ viewer { role } }"}] * 2)
    assert response.status_code == 400


def test_bad_cursor_is_a_clean_error(gql: Gql) -> None:
    result = gql('{ ledgerEntries(after: "not-a-cursor") { totalCount } }')
    assert result["errors"][0]["extensions"]["code"] == "BAD_CURSOR"
