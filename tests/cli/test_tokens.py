"""``traceapp tokens create|list|revoke``; a revoked token is refused by the API at once."""

from __future__ import annotations

from flask.testing import FlaskClient, FlaskCliRunner
from support.scenario import Scenario

from traceapp.api.ids import encode_global_id

VIEWER = '{"query": "{ viewer { role producerId } }"}'


def _create(runner: FlaskCliRunner, *args: str) -> tuple[str, str]:
    result = runner.invoke(args=["tokens", "create", *args])
    assert result.exit_code == 0, result.output
    header, secret = result.output.strip().splitlines()
    return header.split()[1], secret


def _viewer(client: FlaskClient, secret: str) -> int:
    response = client.post(
        "/graphql",
        data=VIEWER,
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )
    return response.status_code


def test_create_accepts_the_public_id_and_the_graphql_id(
    runner: FlaskCliRunner, client: FlaskClient, scenario: Scenario
) -> None:
    by_public, secret = _create(runner, "--role", "producer", "--producer", scenario.producer)
    assert _viewer(client, secret) == 200
    global_id = encode_global_id("Producer", scenario.producer)
    by_global, secret = _create(
        runner, "--role", "producer", "--producer", global_id, "--label", "máy quét kho"
    )
    assert _viewer(client, secret) == 200
    listed = runner.invoke(args=["tokens", "list", "--producer", global_id])
    assert listed.exit_code == 0, listed.output
    rows = [line.split("\t") for line in listed.output.strip().splitlines()]
    assert rows[0] == ["id", "role", "producer", "label", "created", "revoked"]
    assert {(r[0], r[1], r[2], r[3], r[5]) for r in rows[1:]} == {
        (by_public, "producer", scenario.producer, "-", "-"),
        (by_global, "producer", scenario.producer, "máy quét kho", "-"),
    }


def test_create_refuses_another_types_graphql_id(
    runner: FlaskCliRunner, scenario: Scenario
) -> None:
    wrong = encode_global_id("Product", scenario.product)
    result = runner.invoke(args=["tokens", "create", "--role", "producer", "--producer", wrong])
    assert result.exit_code == 2
    assert "neither a producer ID" in result.output


def test_a_revoked_token_is_refused_at_once(
    runner: FlaskCliRunner, client: FlaskClient, scenario: Scenario
) -> None:
    token_id, secret = _create(runner, "--role", "auditor", "--label", "audit 2026")
    assert _viewer(client, secret) == 200
    result = runner.invoke(args=["tokens", "revoke", token_id])
    assert result.exit_code == 0 and f"token {token_id} revoked" in result.output
    assert _viewer(client, secret) == 401
    listed = runner.invoke(args=["tokens", "list"]).output
    row = next(line.split("\t") for line in listed.splitlines() if line.startswith(token_id))
    assert row[3] == "audit 2026" and row[5] != "-"
    again = runner.invoke(args=["tokens", "revoke", token_id])
    assert again.exit_code == 2 and "revoked already" in again.output
    missing = runner.invoke(args=["tokens", "revoke", "tok_nope"])
    assert missing.exit_code == 2 and "no token tok_nope" in missing.output
