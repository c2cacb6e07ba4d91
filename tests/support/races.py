"""Two requests racing on PostgreSQL: the second plans while the first's write is still open.

The first runs in this app's write transaction; the second, in another app (its own engine and
writers' queue, as another worker process would have), plans before the first commits, so its
plan cannot see the first's rows; it then waits on the log's head lock, and inserts after the
first commits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

from traceapp import create_app
from traceapp.db.sessions import Database, get_database

T = TypeVar("T")

_WAITING_ON_A_LOCK = text(
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
    "AND datname = current_database()"
)


class Outcome(Generic[T]):
    """What the second request returned, or the exception it raised."""

    def __init__(self) -> None:
        self.value: T | None = None
        self.error: BaseException | None = None


def race(
    app_config: dict[str, Any],
    database: Database,
    first: Callable[[Session], object],
    second: Callable[[Flask], T],
) -> Outcome[T]:
    """Run ``first`` in a write transaction held open until ``second`` (in another app) waits
    on a lock; then commit it and return what ``second`` came to."""
    if database.engine.dialect.name != "postgresql":
        raise AssertionError("SQLite runs one write transaction at a time: no race")
    other = create_app(app_config)
    outcome: Outcome[T] = Outcome()

    def second_request() -> None:
        try:
            outcome.value = second(other)
        except BaseException as exc:
            outcome.error = exc

    racer = threading.Thread(target=second_request)
    try:
        with database.write() as session:
            first(session)
            racer.start()
            deadline = time.monotonic() + 30
            with database.read_sessions() as watcher:
                while watcher.execute(_WAITING_ON_A_LOCK).scalar_one() == 0:
                    assert time.monotonic() < deadline, "the second request never reached the lock"
                    watcher.rollback()
                    time.sleep(0.05)
        racer.join(timeout=60)
        assert not racer.is_alive(), "the second request did not finish"
    finally:
        get_database(other).engine.dispose()
    return outcome
