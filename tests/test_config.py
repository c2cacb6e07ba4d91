from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from flask import Flask

from traceapp import create_app
from traceapp.config import DEVELOPMENT_KEK, ConfigError, get_settings, load_settings

KEK = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # base64 of 32 bytes


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(environ={}, instance_path=tmp_path / "instance")
    assert settings.database_url == f"sqlite:///{tmp_path}/instance/traceapp.db"
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.log_origin == "127.0.0.1:8000/ocop-ledger"
    assert settings.log_key_file == tmp_path / "instance" / "log.key"
    assert settings.env == "development"
    assert settings.graphiql and settings.introspection
    assert settings.key_encryption_key == DEVELOPMENT_KEK


def test_environment_prefix_and_overrides() -> None:
    settings = load_settings(
        environ={
            "TRACEAPP_DATABASE_URL": "postgresql://u:p%40ss@db:5432/ocop",
            "TRACEAPP_PUBLIC_URL": "https://truyxuat.example.vn/",
            "TRACEAPP_GRAPHIQL": "off",
            "DATABASE_URL": "ignored-without-prefix",
        },
        overrides={"introspection": False},
    )
    assert settings.database_url == "postgresql+psycopg://u:p%40ss@db:5432/ocop"
    assert settings.public_url == "https://truyxuat.example.vn"
    assert settings.log_origin == "truyxuat.example.vn/ocop-ledger"
    assert not settings.graphiql and not settings.introspection


def test_production_defaults_are_closed_and_require_secrets() -> None:
    with pytest.raises(ConfigError, match="TRACEAPP_KEY_ENCRYPTION_KEY"):
        load_settings(environ={"TRACEAPP_ENV": "production"})
    settings = load_settings(
        environ={
            "TRACEAPP_ENV": "production",
            "TRACEAPP_DATABASE_URL": "postgresql://db/ocop",
            "TRACEAPP_PUBLIC_URL": "https://truyxuat.example.vn",
            "TRACEAPP_LOG_ORIGIN": "truyxuat.example.vn/ledger",
            "TRACEAPP_KEY_ENCRYPTION_KEY": KEK,
        }
    )
    assert settings.is_production
    assert not settings.graphiql and not settings.introspection


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_URL", "not a url", "not a database URL"),
        ("DATABASE_URL", "mysql://db/x", "must be sqlite"),
        ("PUBLIC_URL", "ftp://x", "absolute http"),
        ("PUBLIC_URL", "https://x/?a=1", "absolute http"),
        ("LOG_ORIGIN", "has space", "LOG_ORIGIN"),
        ("LOG_ORIGIN", "a+b", "LOG_ORIGIN"),
        ("KEY_ENCRYPTION_KEY", "c2hvcnQ=", "32 bytes"),
        ("KEY_ENCRYPTION_KEY", "!!!", "base64"),
        ("GRAPHIQL", "maybe", "boolean"),
        ("ENV", "staging", "development"),
    ],
)
def test_bad_values_give_one_clear_message(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(environ={f"TRACEAPP_{name}": value})
    assert "\n" not in info.value.message


@pytest.mark.parametrize("key", [bytes(32), b"\xff" * 32, b"ab" * 16])
def test_a_key_encryption_key_that_is_not_random_is_refused(key: bytes) -> None:
    with pytest.raises(ConfigError, match="not random"):
        load_settings(environ={"TRACEAPP_KEY_ENCRYPTION_KEY": base64.b64encode(key).decode()})


def test_the_default_database_is_in_the_apps_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not in the working directory: a command run from another folder finds the same data."""
    for name in list(os.environ):
        if name.startswith("TRACEAPP_"):
            monkeypatch.delenv(name)
    instance = tmp_path / "app" / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda _self: str(instance))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    app = create_app({"TESTING": True})
    try:
        settings = get_settings(app)
        assert settings.database_url == f"sqlite:///{instance}/traceapp.db"
        assert settings.log_key_file == instance / "log.key"
        assert not list(elsewhere.iterdir())
    finally:
        app.extensions["traceapp.db"].dispose()


def test_clock_skew_is_whole_seconds_within_a_day() -> None:
    assert load_settings({}).clock_skew_seconds == 300
    assert load_settings({"TRACEAPP_CLOCK_SKEW_SECONDS": "60"}).clock_skew_seconds == 60
    for bad in ("5m", "-1", "86401"):
        with pytest.raises(ConfigError, match="CLOCK_SKEW_SECONDS"):
            load_settings({"TRACEAPP_CLOCK_SKEW_SECONDS": bad})


def test_the_rate_limit_store_is_the_database_unless_redis_or_memory_is_named() -> None:
    assert load_settings({}).ratelimit_storage_url is None
    assert load_settings({"TRACEAPP_RATELIMIT_STORAGE_URL": " "}).ratelimit_storage_url is None
    for good in ("redis://127.0.0.1:6379/0", "rediss://:pw@cache.internal:6380/2", "memory://"):
        assert load_settings({"TRACEAPP_RATELIMIT_STORAGE_URL": good}).ratelimit_storage_url == good
    for bad in ("memcached://127.0.0.1:11211", "127.0.0.1:6379", "redis://h:99999/0", "redis:///0"):
        with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URL") as refused:
            load_settings({"TRACEAPP_RATELIMIT_STORAGE_URL": bad})
        assert "pw" not in str(refused.value)
