"""TRACEAPP_DATABASE_REPLICA_URLS and TRACEAPP_DATABASE_REPLICA_MAX_LAG (issue 19)."""

from __future__ import annotations

import pytest

from traceapp.config import ConfigError, load_settings


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
