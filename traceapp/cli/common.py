"""What every command module shares: the database checks, progress bars and exit statuses.

Command modules import this module and the layers below (domains, ``ledger_store``, ``api``),
never each other; ``traceapp.cli`` assembles them into the ``traceapp`` group.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

import click
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from traceapp import migrate
from traceapp.config import ConfigError, Settings, get_settings
from traceapp.db.sessions import get_database

# DESIGN §9: 0 on success, 1 when a verification fails, 2 on bad usage (click's own).
EXIT_FAILED = 1


def check_database() -> None:
    """Fail with one clear line when the database cannot be reached."""
    settings = get_settings()
    try:
        with get_database().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ConfigError(f"cannot reach the database ({redacted(settings)}): {reason}") from None


def require_schema() -> None:
    """Fail with one clear line unless the database is reachable and at the migrations' head."""
    check_database()
    with get_database().engine.connect() as conn:
        current = migrate.current_revision(conn)
    head = migrate.head_revision()
    if current != head:
        raise ConfigError(
            f"database schema is at {current or 'nothing'}, not {head}: run `traceapp db upgrade`"
        )


def redacted(settings: Settings) -> str:
    """The database URL without its password, for messages."""
    return make_url(settings.database_url).render_as_string(hide_password=True)


class StageBars:
    """One progress bar on stderr for each stage of a long command, as ``progress(stage, done,
    total)`` reports it. A stage that does not know its total (``0``) is measured against
    ``default_total``, the size of the log the command reads."""

    def __init__(self, default_total: int, verb: str = "verifying") -> None:
        self._default_total = default_total
        self._verb = verb
        self._bars: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        bar = self._bars.get(stage)
        if bar is None:
            bar = self._bars[stage] = click.progressbar(
                length=total or self._default_total, label=f"{self._verb} {stage}", file=sys.stderr
            )
            bar.__enter__()
        bar.update(done - bar.pos)

    def __enter__(self) -> StageBars:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        _trace: TracebackType | None,
    ) -> None:
        for bar in self._bars.values():
            bar.__exit__(None, None, None)
        self._bars.clear()


def producer_id_option(value: str) -> str:
    """A producer's public ID (``pro_…``), or its GraphQL global ID as the API shows it."""
    from traceapp.api.ids import decode_global_id

    if value.startswith("pro_"):
        return value
    decoded = decode_global_id(value)
    if decoded is None or decoded[0] != "Producer":
        raise click.UsageError(
            f"--producer: {value!r} is neither a producer ID (pro_…) nor a Producer's GraphQL ID"
        )
    return decoded[1]
