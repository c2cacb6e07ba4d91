"""Issue 14: hostile documents are answered in bounded work (fragment graphs, budgets), schema
names do not leak with introspection off, and verifyItem shares the pages' rate limit."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries
from support.scenario import Scenario

from graphql import parse, validate
from traceapp import create_app
from traceapp.api import limits
from traceapp.api.limits import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_FIELD_PAIRS,
    MAX_FIELDS,
    operation_cost,
)
from traceapp.api.schema import get_schema
from traceapp.api.shape import Budget, BudgetExceeded, limit_errors
from traceapp.verification.ratelimit import DEFAULT_LIMITS, Limit

from .conftest import Gql, global_id

SCHEMA = get_schema()._schema


def doubling(levels: int, name: str = "") -> str:
    """The fragment-doubling document of issue 14 (835 bytes at 20 levels)."""
    query = f"query {name} {{ ...F{levels} }} fragment F0 on Query {{ ledgerInfo {{ size }} }} "
    return query + " ".join(
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)
    )


@pytest.mark.parametrize("levels", [20, 24, 60])
def test_fragment_doubling_is_refused_at_once(gql: Gql, levels: int) -> None:
    started = time.monotonic()
    result = gql(doubling(levels))
    assert time.monotonic() - started < 1.0  # was 6 s at 20 levels, minutes at 24
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FIELD_LIMIT_EXCEEDED"


def test_a_new_operation_name_is_no_way_around_the_cache(gql: Gql) -> None:
    started = time.monotonic()
    for n in range(20):
        result = gql(doubling(22, name=f"Q{n}"))
        assert result["errors"][0]["extensions"]["code"] == "FIELD_LIMIT_EXCEEDED"
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    "query",
    [
        "{ " + "viewer { role } " * 450 + "}",
        "{ "
        + " ".join(f"...Q{n}" for n in range(200))
        + " } "
        + " ".join(f"fragment Q{n} on Query {{ viewer {{ role }} }}" for n in range(200)),
    ],
)
def test_same_named_fields_are_bounded_before_validation_compares_them(
    gql: Gql, query: str
) -> None:
    started = time.monotonic()
    result = gql(query)
    assert time.monotonic() - started < 1.0  # was 4 s for 450 copies
    assert result["errors"][0]["extensions"]["code"] == "FIELD_LIMIT_EXCEEDED"
    assert "share a response name" in result["errors"][0]["message"]


def test_fragment_cycles_are_refused(gql: Gql) -> None:
    result = gql(
        "query { ...A } fragment A on Query { ...B ...B } fragment B on Query { viewer { role } ...A }"
    )
    assert result["data"] is None
    assert "within itself" in result["errors"][0]["message"]


def test_limits_hold_through_fragments(gql: Gql) -> None:
    aliased = "fragment A on Viewer { " + " ".join(f"a{i}: role" for i in range(20)) + " }"
    result = gql("{ viewer { ...A ...A } } " + aliased)
    assert result["errors"][0]["extensions"]["code"] == "ALIAS_LIMIT_EXCEEDED"
    assert result["errors"][0]["message"] == f"40 aliases found. Allowed: {MAX_ALIASES}"


def test_a_request_past_its_deadline_stops_with_a_clear_error(
    gql: Gql, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "Budget", partial(Budget, seconds=0.0))
    result = gql("{ viewer { role } }")
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "REQUEST_BUDGET_EXCEEDED"
    assert "budget of 0 s" in result["errors"][0]["message"]


def test_execution_stops_at_the_deadline(gql: Gql, monkeypatch: pytest.MonkeyPatch) -> None:
    # Limits and validation pass (the clock is not looked at), then every resolver is late.
    monkeypatch.setattr(limits, "Budget", partial(Budget, seconds=0.0))
    monkeypatch.setattr(Budget, "check", lambda self: None)
    result = gql("{ viewer { role } }")
    assert result["errors"][0]["extensions"]["code"] == "REQUEST_BUDGET_EXCEEDED"


def test_the_walkers_count_their_visits() -> None:
    budget = Budget(max_visits=10)
    with pytest.raises(BudgetExceeded):
        limit_errors(
            parse("{ " + "viewer { role } " * 20 + "}"),
            budget,
            max_depth=MAX_DEPTH,
            max_aliases=MAX_ALIASES,
            max_fields=MAX_FIELDS,
            max_pairs=MAX_FIELD_PAIRS,
        )


@st.composite
def fragment_graphs(draw: st.DrawFn) -> str:
    """Documents of up to 40 fragments on Query spreading each other: wide (many spreads),
    deep (chains), doubling (the same spread twice) and cyclic (a spread of a later one)."""
    count = draw(st.integers(1, 40))
    parts = ["query { ...F0 }"]
    for i in range(count):
        # Later fragments only (a DAG), or any fragment (cycles possible).
        lowest = 0 if draw(st.booleans()) else min(i + 1, count - 1)
        targets = draw(st.lists(st.integers(lowest, count - 1), max_size=4))
        spreads = " ".join(f"...F{t} ...F{t}" for t in targets)
        parts.append(f"fragment F{i} on Query {{ ledgerInfo {{ size }} {spreads} }}")
    return " ".join(parts)


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(document=fragment_graphs())
def test_fuzz_fragment_graphs_are_answered_in_linear_work(document: str) -> None:
    parsed = parse(document)
    selections = document.count("...") + document.count("size") + document.count("ledgerInfo")
    budget = Budget(seconds=60.0)
    errors = limit_errors(
        parsed,
        budget,
        max_depth=MAX_DEPTH,
        max_aliases=MAX_ALIASES,
        max_fields=MAX_FIELDS,
        max_pairs=MAX_FIELD_PAIRS,
    )
    if not errors:
        # What passes the limits is small enough to validate and cost (either may refuse it).
        validate(SCHEMA, parsed)
        operation_cost(SCHEMA, parsed, None, {}, budget)
    # Each selection is visited a bounded number of times, whatever the expansion's size.
    assert budget.visits <= 3 * selections + 2 * MAX_FIELDS


RECORD_EVENT = """mutation($input: RecordEventInput!) { recordEvent(input: $input) {
    event { id } userErrors { field message code } } }"""


def _record(gql: Gql, token: str | None, scenario: Scenario, **changes: Any) -> dict[str, Any]:
    event = {
        "type": "OBJECT_EVENT",
        "eventTime": "2026-12-01T08:00:00+07:00",
        "bizStep": "receiving",
        "items": [global_id("Item", scenario.items[0])],
        "readPoint": global_id("Location", scenario.shop),
    }
    extra = changes.pop("input", {})
    event.update(changes)
    result = gql(RECORD_EVENT, {"input": {"event": event, **extra}}, token)
    payload: dict[str, Any] = result["data"]["recordEvent"]
    return payload


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_an_event_time_out_of_range_is_a_user_error(
    gql: Gql, scenario: Scenario, tokens: dict[str, str | None], moment: str
) -> None:
    payload = _record(gql, tokens["producer"], scenario, eventTime=moment)
    assert payload["event"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [("eventTime", "INVALID")]


def test_a_sensor_value_beyond_json_integers_is_a_user_error(
    gql: Gql, scenario: Scenario, tokens: dict[str, str | None]
) -> None:
    reports = [{"type": "Temperature", "value": 2**64, "uom": "CEL"}]
    payload = _record(gql, tokens["producer"], scenario, sensorReports=reports)
    assert payload["event"] is None
    assert payload["userErrors"][0]["code"] == "INVALID", payload


def test_a_huge_idempotency_key_is_refused_on_both_engines(
    gql: Gql, scenario: Scenario, tokens: dict[str, str | None]
) -> None:
    payload = _record(gql, tokens["producer"], scenario, input={"idempotencyKey": "k" * 100_000})
    assert payload["event"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        ("idempotencyKey", "INVALID")
    ]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($x: Strin) { viewer { role } }", None),
        ("{ products(firs: 1) { totalCount } }", None),
        ("{ actorKeys(role: ADMI) { totalCount } }", None),
        ("query($r: KeyRole) { actorKeys(role: $r) { totalCount } }", {"r": "ADMI"}),
        ("{ viewer { ... on Viewe { role } } }", None),
        ("mutation { recordEvent(input: {even: 1}) { userErrors { code } } }", None),
    ],
)
def test_no_schema_suggestions_with_introspection_off(
    app_config: dict[str, Any], query: str, variables: dict[str, str] | None
) -> None:
    closed = Gql(create_app({**app_config, "INTROSPECTION": False}).test_client())
    errors = closed(query, variables)["errors"]
    assert errors
    for error in errors:
        assert "Did you mean" not in error["message"], error
    opened = Gql(create_app(app_config).test_client())
    assert any("Did you mean" in e["message"] for e in opened(query, variables)["errors"])


def test_verify_item_shares_the_pages_rate_limit(
    app: Flask, gql: Gql, scenario: Scenario, still_clock: Callable[[], None]
) -> None:
    app.config["RATE_LIMITS"] = {**DEFAULT_LIMITS, "page": Limit(3, 60.0)}
    query = '{ verifyItem(code: "/01/00000000000000") { found } }'
    for _ in range(3):
        assert "errors" not in gql(query)
    refused = gql(query)
    assert refused["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert "retry in" in refused["errors"][0]["message"]
    # Aliases are no way around it either.
    still_clock()  # a new window
    aliased = gql(
        "{ " + " ".join(f'a{n}: verifyItem(code: "/01/0") {{ found }}' for n in range(5)) + " }"
    )
    assert aliased["data"] is None
    assert aliased["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


HOSTILE_MOMENTS = st.sampled_from(
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "2026-13-01T00:00:00Z", ""]
)
HOSTILE_SCALARS = {
    "Date": (st.dates().map(str) | st.sampled_from(["0000-01-01", "9999-99-99"])).map(nodes.String),
    "DateTime": (
        HOSTILE_MOMENTS | st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())
    ).map(nodes.String),
    "Decimal": st.sampled_from(["1e999999", "NaN", "-0", str(2**64), "1.5"]).map(nodes.String),
    "JSON": st.sampled_from(
        ['{"value": 18446744073709551616}', "[[[[[[[[[[]]]]]]]]]]", "null", '"x"']
    ).map(nodes.String),
    # A file only comes in a multipart request; in a document it is any literal, never a file.
    "Upload": st.sampled_from(["", "x" * 1000, "null", "\x00"]).map(nodes.String),
}
# An error raised on purpose carries its code; INTERNAL_SERVER_ERROR means an exception escaped.
EXAMPLES_PER_ENGINE = 15


def _no_internal_error(response: Any) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code == 200:
        for error in response.get_json().get("errors") or []:
            assert error["extensions"]["code"] != "INTERNAL_SERVER_ERROR", error


def test_hostile_operations_on_both_engines(
    client: FlaskClient, tokens: dict[str, str | None], scenario: Scenario
) -> None:
    @settings(
        max_examples=EXAMPLES_PER_ENGINE,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        operation=queries(SCHEMA, custom_scalars=HOSTILE_SCALARS)
        | mutations(SCHEMA, custom_scalars=HOSTILE_SCALARS),
        role=st.sampled_from(["anonymous", "producer", "admin"]),
    )
    def run(operation: str, role: str) -> None:
        token = tokens[role]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        _no_internal_error(client.post("/graphql", json={"query": operation}, headers=headers))

    run()


def test_a_rate_limit_setting_of_one_bucket_keeps_the_others(
    app: Flask, gql: Gql, scenario: Scenario
) -> None:
    """RATE_LIMITS naming only the pages' bucket: the ledger API keeps its default (no 500)."""
    app.config["RATE_LIMITS"] = {"page": Limit(3, 60.0)}
    assert app.test_client().get("/ledger/checkpoint").status_code == 200
    assert "errors" not in gql('{ verifyItem(code: "/01/00000000000000") { found } }')
