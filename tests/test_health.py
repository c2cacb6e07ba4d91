from __future__ import annotations

from flask.testing import FlaskClient, FlaskCliRunner


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_at_head(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json is not None and response.json["status"] == "ok"


def test_readyz_not_ready_when_migrations_behind(
    client: FlaskClient, runner: FlaskCliRunner
) -> None:
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "reason": "migrations not at head"}
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert client.get("/readyz").status_code == 200


def test_readyz_database_unreachable(tmp_path: object) -> None:
    from traceapp import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "reason": "database unreachable"}
