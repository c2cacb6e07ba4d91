"""A producer manages its own API tokens over GraphQL; a revoked token is refused at once."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from traceapp.api.ids import encode_global_id
from traceapp.auth.services import create_token
from traceapp.db.sessions import Database

CREATE = """mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) {
  secret token { id publicId label createdAt revokedAt } userErrors { field message code } } }"""
REVOKE = """mutation($input: RevokeApiTokenInput!) { revokeApiToken(input: $input) {
  token { publicId revokedAt } userErrors { field message code } } }"""
LIST = "{ viewer { apiTokens(first: 10) { totalCount nodes { publicId label revokedAt } } } }"


def _gql(client: FlaskClient, token: str, query: str, variables: Any = None) -> tuple[int, Any]:
    response = client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.status_code, response.get_json()


def test_a_producer_creates_lists_and_revokes_its_tokens(
    client: FlaskClient, tokens: dict[str, str | None]
) -> None:
    own = tokens["producer"]
    assert own is not None
    status, body = _gql(client, own, CREATE, {"input": {"label": "máy quét kho"}})
    created = body["data"]["createApiToken"]
    assert status == 200 and created["userErrors"] == []
    assert created["token"]["label"] == "máy quét kho" and created["token"]["revokedAt"] is None
    secret = created["secret"]
    assert secret.startswith("ocop_")
    status, body = _gql(client, secret, LIST)
    assert status == 200
    listed = body["data"]["viewer"]["apiTokens"]
    assert listed["totalCount"] == 2  # the fixture's and the new one, nobody else's
    assert {
        "publicId": created["token"]["publicId"],
        "label": "máy quét kho",
        "revokedAt": None,
    } in listed["nodes"]

    status, body = _gql(client, own, REVOKE, {"input": {"token": created["token"]["id"]}})
    revoked = body["data"]["revokeApiToken"]
    assert revoked["userErrors"] == [] and revoked["token"]["revokedAt"] is not None
    assert _gql(client, secret, LIST)[0] == 401  # refused at once
    _status, body = _gql(client, own, REVOKE, {"input": {"token": created["token"]["id"]}})
    assert [e["code"] for e in body["data"]["revokeApiToken"]["userErrors"]] == ["TOKEN_REVOKED"]


def test_only_a_producers_own_tokens(
    client: FlaskClient, database: Database, tokens: dict[str, str | None]
) -> None:
    own, admin = tokens["producer"], tokens["admin"]
    assert own is not None and admin is not None
    with database.write() as session:
        other, other_secret = create_token(session, "auditor", label="kiểm toán")
        other_id = encode_global_id("ApiToken", other.public_id)
    _status, body = _gql(client, own, REVOKE, {"input": {"token": other_id}})
    assert [e["code"] for e in body["data"]["revokeApiToken"]["userErrors"]] == ["FORBIDDEN"]
    assert _gql(client, other_secret, "{ viewer { role } }")[0] == 200  # still valid
    for query, variables in ((CREATE, {"input": {}}), (LIST, None)):
        _status, body = _gql(client, admin, query, variables)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
