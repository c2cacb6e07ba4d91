"""Property-based fuzzing: thousands of schema-valid operations, generated from the schema by
hypothesis-graphql, sent to the app as each role. No 5xx, every error coded, no exception text."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries
from support.scenario import Scenario

from traceapp.api.schema import get_schema

SCHEMA = get_schema()._schema
# ~60 s by default; TRACEAPP_FUZZ_EXAMPLES=1000 for a long run (thousands per role).
EXAMPLES = int(os.environ.get("TRACEAPP_FUZZ_EXAMPLES", "25"))
SCALARS = {
    "Date": (st.dates().map(str) | st.text(max_size=12)).map(nodes.String),
    "DateTime": (
        st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()) | st.text(max_size=12)
    ).map(nodes.String),
    "Decimal": (
        st.decimals(allow_nan=False, allow_infinity=False).map(str) | st.text(max_size=8)
    ).map(nodes.String),
    "JSON": st.text(max_size=20).map(nodes.String),
    # A file only comes in a multipart request; in a document it is any literal, never a file.
    "Upload": st.text(max_size=20).map(nodes.String),
}
# Exception text that must never reach a client.
LEAKS = re.compile(
    r"Traceback|File \"|sqlalchemy|psycopg|sqlite3|Exception|(?<!Syntax )Error:|KeyError|TypeError|"
    r"AttributeError|AssertionError|object has no attribute",
)


def _check(response: Any, sent: str = "") -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code != 200:
        return
    body = response.get_json()
    for error in body.get("errors") or []:
        assert error.get("extensions", {}).get("code"), error
        assert error["extensions"]["code"] != "INTERNAL_SERVER_ERROR", error
        # A syntax error quotes the client's own text back: that is not a leak.
        leaks = [m.group(0) for m in LEAKS.finditer(error["message"]) if m.group(0) not in sent]
        assert not leaks, error


@pytest.fixture
def fuzz_client(
    client: FlaskClient, tokens: dict[str, str | None], database_url: str
) -> tuple[FlaskClient, dict[str, str | None]]:
    # The fuzzer checks the API layer, the same on both engines: SQLite keeps it under a minute.
    if not database_url.startswith("sqlite"):
        pytest.skip("fuzzing runs on SQLite only")
    return client, tokens


QUERY_FIELDS = [f for f in SCHEMA.query_type.fields if not f.startswith("prepare")]  # type: ignore[union-attr]


@pytest.mark.parametrize("role", ["anonymous", "producer", "auditor", "admin"])
def test_fuzz_queries(
    fuzz_client: tuple[FlaskClient, dict[str, str | None]], scenario: Scenario, role: str
) -> None:
    client, tokens = fuzz_client
    token = tokens[role]
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        query=queries(SCHEMA, fields=QUERY_FIELDS, custom_scalars=SCALARS)
        | queries(SCHEMA, custom_scalars=SCALARS)
    )
    def run(query: str) -> None:
        _check(client.post("/graphql", json={"query": query}, headers=headers))

    run()


def test_fuzz_mutations_as_producer_and_admin(
    fuzz_client: tuple[FlaskClient, dict[str, str | None]], scenario: Scenario
) -> None:
    client, tokens = fuzz_client

    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(
        mutation=mutations(SCHEMA, custom_scalars=SCALARS),
        role=st.sampled_from(["producer", "admin", "auditor"]),
    )
    def run(mutation: str, role: str) -> None:
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        _check(client.post("/graphql", json={"query": mutation}, headers=headers))

    run()


def test_a_syntax_error_quoting_the_client_is_not_a_leak(
    fuzz_client: tuple[FlaskClient, dict[str, str | None]],
) -> None:
    client, _ = fuzz_client
    response = client.post("/graphql", json={"query": "sqlalchemy"})
    message = response.get_json()["errors"][0]["message"]
    assert message == "Syntax Error: Unexpected Name 'sqlalchemy'."
    _check(response, "sqlalchemy")


def test_fuzz_hostile_text(fuzz_client: tuple[FlaskClient, dict[str, str | None]]) -> None:
    client, _ = fuzz_client

    @settings(max_examples=EXAMPLES * 5, deadline=None, database=None)
    @given(
        text=st.text(max_size=300),
        variables=st.none() | st.dictionaries(st.text(max_size=5), st.integers()),
    )
    def run(text: str, variables: dict[str, int] | None) -> None:
        response = client.post("/graphql", json={"query": text, "variables": variables})
        _check(response, text)

    run()
