from __future__ import annotations

import re
import runpy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from traceapp import create_app, server
from traceapp.config import ConfigError
from traceapp.db.sessions import get_database
from traceapp.ledger_store.log import create_log_key


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


def _app_with(app_config: dict[str, Any], **changes: Any) -> Flask:
    return create_app({**app_config, **changes})


def test_readyz_not_ready_when_the_log_key_is_named_for_another_origin(
    app_config: dict[str, Any],
) -> None:
    """As after `traceapp demo` then a new TRACEAPP_PUBLIC_URL: the reason and the fix."""
    app = _app_with(app_config, LOG_ORIGIN="new.example.vn/ocop-ledger")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json is not None and response.json["status"] == "unavailable"
    reason = response.json["reason"]
    assert "is named 'truyxuat.ocop.example.vn/ledger'" in reason
    assert "set TRACEAPP_LOG_ORIGIN=truyxuat.ocop.example.vn/ledger" in reason
    get_database(app).dispose()


def test_readyz_not_ready_when_the_log_key_cannot_prove_the_log(
    app_config: dict[str, Any], tmp_path: Path
) -> None:
    """A new key under the log's own name signs, but proves nothing the log holds."""
    impostor = tmp_path / "impostor.key"
    create_log_key(impostor, app_config["LOG_ORIGIN"])
    app = _app_with(app_config, LOG_KEY_FILE=str(impostor))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json is not None
    assert response.json["reason"].startswith("the log key cannot prove the latest checkpoint")
    get_database(app).dispose()


def test_production_serve_refuses_a_log_key_of_another_origin(
    app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_server(**_options: Any) -> None:
        raise AssertionError("the server started")

    monkeypatch.setattr(server, "run_gunicorn", no_server)
    app = _app_with(
        app_config,
        ENV="production",
        LOG_ORIGIN="new.example.vn/ocop-ledger",
        KEY_ENCRYPTION_KEY="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    )
    result = app.test_cli_runner().invoke(args=["serve", "--bind", "127.0.0.1:1"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: log key "), result.output
    assert "set TRACEAPP_LOG_ORIGIN=truyxuat.ocop.example.vn/ledger" in result.output
    get_database(app).dispose()


def test_production_wsgi_refuses_a_log_key_of_another_origin(
    app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`gunicorn wsgi:app` stops as `traceapp serve` does (DESIGN §10), not 500s later."""
    settings = {
        **app_config,
        "ENV": "production",
        "LOG_ORIGIN": "new.example.vn/ocop-ledger",
        "KEY_ENCRYPTION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    }
    for name, value in settings.items():
        if name != "TESTING":
            monkeypatch.setenv(f"TRACEAPP_{name}", str(value))
    wsgi = Path(__file__).resolve().parent.parent / "wsgi.py"
    with pytest.raises(
        ConfigError, match=re.escape("set TRACEAPP_LOG_ORIGIN=truyxuat.ocop.example.vn/ledger")
    ):
        runpy.run_path(str(wsgi))
