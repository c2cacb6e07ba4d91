"""Fixtures in the flaskr style: ``app``, ``client``, ``runner``, plus the databases under them.

Tests that use ``database_url`` (and so ``app``) run once on SQLite and once on a PostgreSQL
database created for the run and dropped after. PostgreSQL being unreachable skips its half,
unless ``TRACEAPP_TEST_REQUIRE_POSTGRES=1``, which turns it into a failure (CI sets it).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import settings
from support.scenario import Scenario, build_scenario
from support.statements import StatementCounter, counting_statements

from traceapp import create_app, migrate
from traceapp.clients import STORE_KEY
from traceapp.db.sessions import Database, get_database
from traceapp.keys.services import admin_key_name, init_ledger
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.log import create_log_key
from traceapp.ledger_store.writer import Ledger
from traceapp.verification.ratelimit_store import DatabaseStore

# CI explores a fixed sequence of examples, so a red run is reproducible; developers' runs
# keep exploring new ones.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

PG_ADMIN_DSN = os.environ.get(
    "TRACEAPP_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("TRACEAPP_TEST_REQUIRE_POSTGRES") == "1"
TEST_PUBLIC_URL = "https://truyxuat.ocop.example.vn"


def pg_url(dbname: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(PG_ADMIN_DSN)
    user = info.get("user", "postgres")
    host = info.get("host", "127.0.0.1")
    port = info.get("port", 5432)
    password = f":{info['password']}" if info.get("password") else ""
    return f"postgresql+psycopg://{user}{password}@{host}:{port}/{dbname}"


def pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _require_postgres() -> None:
    try:
        pg_admin("SELECT 1")
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL unreachable at {PG_ADMIN_DSN}: {exc}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(autouse=True)
def _epcis_worker_setting_kept() -> Iterator[None]:
    """`traceapp serve` and wsgi.py turn the EPCIS worker on in their own process's
    environment; run inside a test, that must not leak into every later test's apps (each
    would start a worker thread polling a dropped database)."""
    before = os.environ.get("TRACEAPP_EPCIS_WORKER")
    yield
    if before is None:
        os.environ.pop("TRACEAPP_EPCIS_WORKER", None)
    else:
        os.environ["TRACEAPP_EPCIS_WORKER"] = before


@pytest.fixture
def postgres_server_url() -> str:
    """The server's maintenance database: for tests of connections, not of tables."""
    _require_postgres()
    return pg_url("postgres")


TEST_LOG_ORIGIN = "truyxuat.ocop.example.vn/ledger"


@pytest.fixture(scope="session")
def log_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One log key for the session; each test gets a copy beside its database."""
    path = tmp_path_factory.mktemp("keys") / "log.key"
    create_log_key(path, TEST_LOG_ORIGIN)
    return path


def _initialise(database_url: str, log_key: Path) -> None:
    """Migrate to head and write the genesis (what `db upgrade` + `keys init` do)."""
    migrate.upgrade(database_url)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "LOG_KEY_FILE": str(log_key),
            "LOG_ORIGIN": TEST_LOG_ORIGIN,
        }
    )
    database = get_database(app)
    with database.write() as session:
        init_ledger(session, get_ledger(app))
    database.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_template(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, log_key_file: Path
) -> Iterator[tuple[str, str]]:
    """A database migrated to head with its genesis, made once per session, copied per test."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        _initialise(f"sqlite:///{path}", log_key_file)
        yield "sqlite", str(path)
        return
    _require_postgres()
    name = f"traceapp_tpl_{secrets.token_hex(4)}"
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        _initialise(pg_url(name), log_key_file)
        yield "postgresql", name
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(database_template: tuple[str, str], tmp_path: Path) -> Iterator[str]:
    """A fresh database at head with a genesis entry, on this parametrisation's backend."""
    backend, template = database_template
    if backend == "sqlite":
        path = tmp_path / "traceapp.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    name = f"traceapp_test_{secrets.token_hex(6)}"
    pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield pg_url(name)
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def app_config(database_url: str, tmp_path: Path, log_key_file: Path) -> dict[str, Any]:
    key = tmp_path / "instance" / "log.key"
    key.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(log_key_file, key)
    key.chmod(0o600)
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "LOG_KEY_FILE": str(key),
        "PUBLIC_URL": TEST_PUBLIC_URL,
        "LOG_ORIGIN": TEST_LOG_ORIGIN,
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(app_config)
    yield app
    app.extensions["traceapp.db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def database(app: Flask) -> Database:
    return get_database(app)


@pytest.fixture
def ledger(app: Flask) -> Ledger:
    return get_ledger(app)


@pytest.fixture
def admin(database: Database) -> str:
    """The genesis admin key's name."""
    with database.read_sessions() as session:
        return admin_key_name(session)


@pytest.fixture
def scenario(database: Database, ledger: Ledger, admin: str) -> Scenario:
    """A tea cooperative in Lào Cai with a product, a batch, items and a journey."""
    return build_scenario(database, ledger, admin)


@pytest.fixture
def still_clock(app: Flask) -> Callable[[], None]:
    """Rate limits counted in the database store at one instant, mid-window: the store's
    windows are aligned to the wall clock, and a test's few requests would otherwise start a
    new window when they straddle the end of a minute. Calling the result moves the clock to
    the next window (every count starts again)."""
    instant = [1_000_020.0]

    def next_window() -> None:
        instant[0] += 3600.0
        app.extensions[STORE_KEY] = DatabaseStore(get_database(app), clock=lambda: instant[0])

    app.extensions[STORE_KEY] = DatabaseStore(get_database(app), clock=lambda: instant[0])
    return next_window


@pytest.fixture
def count_statements(database: Database) -> Iterator[StatementCounter]:
    with counting_statements(database) as counter:
        yield counter
