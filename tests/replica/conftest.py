"""A real streaming standby of the test PostgreSQL (issue 19), and apps that read from it.

The standby is made once per session by ``support.standby`` (``pg_basebackup -R``), or taken
from ``TRACEAPP_TEST_STANDBY_PORT`` when CI made it (``.ci/run``). It cannot be made: skipped,
unless ``TRACEAPP_TEST_REQUIRE_POSTGRES=1``, which makes it a failure. Every test database the
suite creates on the primary reaches the standby by replication (CREATE DATABASE is logged).
Test modules here run on PostgreSQL only (``pytestmark`` in each: a standby has no SQLite
counterpart).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.engine import make_url
from support import standby as standby_support
from support.standby import Standby, StandbyError

from traceapp import create_app

REQUIRE_POSTGRES = os.environ.get("TRACEAPP_TEST_REQUIRE_POSTGRES") == "1"


def _fail_or_skip(message: str) -> None:
    if REQUIRE_POSTGRES:
        pytest.fail(message)
    pytest.skip(message)


def _made(context: AbstractContextManager[Standby]) -> Iterator[Standby]:
    try:
        made = context.__enter__()
    except (StandbyError, OSError) as exc:
        _fail_or_skip(f"no streaming standby of the test PostgreSQL: {exc}")
        return
    try:
        yield made
    finally:
        context.__exit__(None, None, None)


@pytest.fixture(scope="session")
def standby() -> Iterator[Standby]:
    """The session's standby (CI's, when it made one). Tests that pause it resume it."""
    port = os.environ.get("TRACEAPP_TEST_STANDBY_PORT")
    if not port:
        yield from _made(standby_support.running_standby())
        return
    made = Standby(Path(os.environ.get("TRACEAPP_TEST_STANDBY_DIR", "")), int(port))
    try:
        made.sql("SELECT 1")
    except Exception as exc:
        _fail_or_skip(f"the standby at TRACEAPP_TEST_STANDBY_PORT={port} is unreachable: {exc}")
    yield made


@pytest.fixture
def own_standby() -> Iterator[Standby]:
    """A standby of this test alone: to stop it."""
    yield from _made(standby_support.running_standby())


def database_name(database_url: str) -> str:
    name = make_url(database_url).database
    assert name
    return name


ReplicaApp = Callable[..., Flask]


@pytest.fixture
def replica_app(
    app_config: dict[str, Any], database_url: str, standby: Standby
) -> Iterator[ReplicaApp]:
    """Makes apps on the test database that read from a standby (default: the session's),
    once it has replayed the database; disposed after the test. Settings override."""
    made: list[Flask] = []

    def make(on: Standby = standby, **settings: Any) -> Flask:
        standby_support.wait_replayed(on)
        config = {
            **app_config,
            "DATABASE_REPLICA_URLS": on.url(database_name(database_url)),
            **settings,
        }
        app = create_app(config)
        made.append(app)
        return app

    try:
        yield make
    finally:
        standby.resume()  # a test that paused it and failed
        for app in made:
            app.extensions["traceapp.db"].dispose()
