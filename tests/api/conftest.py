"""Fixtures for the API: the scenario, tokens per role, a GraphQL client, a statement counter."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from support.scenario import Scenario

from traceapp.auth.services import create_token
from traceapp.db.sessions import Database

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


@pytest.fixture
def tokens(database: Database, scenario: Scenario) -> dict[str, str | None]:
    """A bearer token per role (None: anonymous); the producer's is the scenario's."""
    out: dict[str, str | None] = {"anonymous": None}
    with database.write() as session:
        out["admin"] = create_token(session, "admin")[1]
        out["auditor"] = create_token(session, "auditor")[1]
        out["producer"] = create_token(session, "producer", scenario.producer)[1]
    return out


@dataclass
class Gql:
    """POSTs GraphQL to the test client and returns the decoded response."""

    client: FlaskClient

    def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
        operation_name: str | None = None,
        status: int = 200,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation_name:
            body["operationName"] = operation_name
        response = self.client.post("/graphql", json=body, headers=headers)
        assert response.status_code == status, response.get_data(as_text=True)
        data: dict[str, Any] = response.get_json()
        return data


@pytest.fixture
def gql(client: FlaskClient) -> Gql:
    return Gql(client)


def operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


def global_id(type_name: str, public_id: str) -> str:
    from traceapp.api.ids import encode_global_id

    return encode_global_id(type_name, public_id)
