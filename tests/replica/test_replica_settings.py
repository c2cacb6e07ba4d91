"""TRACEAPP_DATABASE_REPLICA_URLS and TRACEAPP_DATABASE_REPLICA_MAX_LAG (issue 19)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from support.scenario import Scenario

from traceapp.api.ids import encode_global_id
from traceapp.auth.services import create_token
from traceapp.config import ConfigError, load_settings
from traceapp.db.sessions import READ_FROM_HEADER, WRITTEN_COOKIE, WRITTEN_HEADER, Database


@pytest.mark.parametrize(
    ("primary", "replicas", "message"),
    [
        ("sqlite:///x.db", "postgresql://h/db", "SQLite stays on one host"),
        ("postgresql://h/db", "mysql://h/db", "only postgresql:// URLs"),
        ("postgresql://h/db", "postgresql://h:notaport/db", "not a database URL"),
    ],
)
def test_replica_settings_that_cannot_work_are_refused(
    primary: str, replicas: str, message: str
) -> None:
    environ = {"TRACEAPP_DATABASE_URL": primary, "TRACEAPP_DATABASE_REPLICA_URLS": replicas}
    with pytest.raises(ConfigError, match=message):
        load_settings(environ)


def test_replica_settings_are_read() -> None:
    settings = load_settings(
        {
            "TRACEAPP_DATABASE_URL": "postgresql://h/db",
            "TRACEAPP_DATABASE_REPLICA_URLS": "postgresql://a:5433/db; postgresql://b/db",
            "TRACEAPP_DATABASE_REPLICA_MAX_LAG": "3",
        }
    )
    assert settings.replica_urls == (
        "postgresql+psycopg://a:5433/db",
        "postgresql+psycopg://b/db",
    )
    assert settings.replica_max_lag == 3
    assert load_settings({}).replica_urls == ()


def test_without_replicas_responses_are_as_before(
    client: FlaskClient, database: Database, scenario: Scenario
) -> None:
    """No replica configured (SQLite never has one): no routing headers, no cookie."""
    with database.write() as session:
        token = create_token(session, "producer", scenario.producer)[1]
    producer = encode_global_id("Producer", scenario.producer)
    wrote = client.post(
        "/graphql",
        json={
            "query": "mutation($i: RegisterLocationInput!) { registerLocation(input: $i) { "
            "ledgerIndex } }",
            "variables": {"i": {"producer": producer, "kind": "FARM", "name": "Đồi", "code": "S1"}},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert wrote.json["data"]["registerLocation"]["ledgerIndex"] > 0  # type: ignore[index]
    page = client.get("/ledger/checkpoint")
    ready = client.get("/readyz")
    assert wrote.status_code == page.status_code == ready.status_code == 200
    for response in (wrote, page, ready):
        assert READ_FROM_HEADER not in response.headers
        assert WRITTEN_HEADER not in response.headers
    assert client.get_cookie(WRITTEN_COOKIE) is None
    assert "replicas" not in ready.json  # type: ignore[operator]
