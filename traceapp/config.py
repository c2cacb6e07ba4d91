"""Typed settings, read once from ``TRACEAPP_*`` environment variables (DESIGN §10)."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PREFIX = "TRACEAPP_"
Env = Literal["development", "production"]


class ConfigError(click.ClickException):
    """Bad or missing configuration; shown as one line by the CLI, never a traceback."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    public_url: str
    log_origin: str
    log_key_file: Path
    key_encryption_key: bytes | None
    graphiql: bool
    introspection: bool
    env: Env
    instance_path: Path
    testing: bool = False
    media_dir: Path = Path("instance/media")
    """Where photos and logos are stored (``TRACEAPP_MEDIA_DIR``; content-addressed files)."""
    # Witnessing (issue 18): witnesses we push to, how many must cosign, and our own witness
    # endpoint (its key file and the logs it witnesses); parsed in traceapp.witness.settings.
    witnesses: tuple[tuple[str, str], ...] = ()
    witness_quorum: int = 0
    witness_key_file: Path | None = None
    witness_logs: tuple[tuple[str, str], ...] = ()
    clock_skew_seconds: int = 300
    # PostgreSQL standbys for reads (issue 19; traceapp.db.replicas), and how far behind one
    # may be before it is skipped.
    replica_urls: tuple[str, ...] = ()
    replica_max_lag: int = 10
    # EPCIS capture jobs and subscription deliveries (docs/epcis.md): a worker thread in the web
    # app (`traceapp serve` and wsgi.py turn it on; tests run the worker themselves), and who
    # may be a webhook's dest.
    epcis_worker: bool = False
    epcis_allow_private_dest: bool = False
    epcis_max_attempts: int = 8
    epcis_retry_base_ms: int = 2000
    epcis_lease_seconds: int = 60
    ratelimit_storage_url: str | None = None
    """Where rate-limit counters live (``TRACEAPP_RATELIMIT_STORAGE_URL``): None for the
    database, ``redis://…`` for Redis, ``memory://`` for this process only (one-process dev)."""
    trusted_proxies: int = 0
    """How many reverse proxies in front set ``X-Forwarded-For``/``-Proto`` (``TRACEAPP_TRUSTED_
    PROXIES``): the client's address is then theirs to say (ProxyFix); 0 ignores the headers."""

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{PREFIX}{name} must be a boolean (1/0, true/false), got {raw!r}")


def _flag(name: str, raw: object) -> bool:
    return raw if isinstance(raw, bool) else _bool(name, str(raw))


def _database_url(raw: str, instance_path: Path) -> str:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(f"{PREFIX}DATABASE_URL is not a database URL: {raw!r}") from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not Path(database).is_absolute():
            # Relative SQLite paths are relative to the project root, like Flask's instance/.
            database = str(instance_path.parent / database)
        return url.set(database=database).render_as_string(hide_password=False)
    if backend == "postgresql":
        # psycopg 3 is the one PostgreSQL driver we support.
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise ConfigError(
        f"{PREFIX}DATABASE_URL must be sqlite:/// or postgresql://, got backend {backend!r}"
    )


def _replica_urls(raw: object, primary: str) -> tuple[str, ...]:
    """Zero or more PostgreSQL URLs, separated by white space or ``;``."""
    if isinstance(raw, list | tuple):
        raw = " ".join(raw)
    words = str(raw or "").replace(";", " ").split()
    if words and primary.startswith("sqlite"):
        raise ConfigError(
            f"{PREFIX}DATABASE_REPLICA_URLS needs a PostgreSQL {PREFIX}DATABASE_URL: "
            "SQLite stays on one host"
        )
    urls = []
    for word in words:
        try:
            url = make_url(word)
        except (ArgumentError, ValueError):
            raise ConfigError(
                f"{PREFIX}DATABASE_REPLICA_URLS: not a database URL: {word!r}"
            ) from None
        if url.get_backend_name() != "postgresql":
            raise ConfigError(
                f"{PREFIX}DATABASE_REPLICA_URLS: only postgresql:// URLs, got {word!r}"
            )
        urls.append(url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    return tuple(urls)


def _public_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"{PREFIX}PUBLIC_URL must be an absolute http(s) URL without query, got {raw!r}"
        )
    return raw.rstrip("/")


def _log_origin(raw: str) -> str:
    # C2SP tlog-checkpoint: the origin is a schema-less URL; it is also the log key's name,
    # and signed-note key names may not contain '+' or white space.
    if not raw or any(c.isspace() or c == "+" for c in raw):
        raise ConfigError(f"{PREFIX}LOG_ORIGIN must be non-empty, without spaces or '+': {raw!r}")
    return raw


# 32 random bytes hold fewer than 8 distinct values with a probability below 10^-20.
MIN_DISTINCT_KEK_BYTES = 8


def _kek(raw: str | None) -> bytes | None:
    if raw is None or raw == "":
        return None
    try:
        key = base64.b64decode(raw, validate=True)
    except binascii.Error:
        raise ConfigError(f"{PREFIX}KEY_ENCRYPTION_KEY must be base64 of 32 bytes") from None
    if len(key) != 32:
        raise ConfigError(f"{PREFIX}KEY_ENCRYPTION_KEY must be base64 of 32 bytes, got {len(key)}")
    # Random bytes repeat few values; a key of zeros (or any few repeated bytes) is a mistake.
    if len(set(key)) < MIN_DISTINCT_KEK_BYTES:
        raise ConfigError(
            f"{PREFIX}KEY_ENCRYPTION_KEY is not random (too few distinct bytes): "
            "make one with `openssl rand -base64 32`"
        )
    return key


def _pairs(name: str, raw: object) -> tuple[tuple[str, str], ...]:
    """Pairs of two words, one a line or ``;``-separated (DESIGN §10)."""
    if isinstance(raw, list | tuple):
        raw = ";".join(" ".join(pair) for pair in raw)
    pairs: list[tuple[str, str]] = []
    for part in str(raw or "").replace("\n", ";").split(";"):
        words = part.split()
        if not words:
            continue
        if len(words) != 2:
            raise ConfigError(f"{PREFIX}{name}: expected two words a line, got {part.strip()!r}")
        pairs.append((words[0], words[1]))
    return tuple(pairs)


def _witnessing(raw: Mapping[str, Any]) -> dict[str, Any]:
    """``WITNESSES`` (``<vkey> <url>``), ``WITNESS_QUORUM`` (default 1 when witnesses are
    configured), ``WITNESS_KEY_FILE`` and ``WITNESS_LOGS`` (``<origin> <vkey>``) for our own
    witness endpoint. Keys and URLs are checked by traceapp.witness.settings."""
    witnesses = _pairs("WITNESSES", raw.get("WITNESSES"))
    quorum_raw = str(raw.get("WITNESS_QUORUM", "")).strip()
    if quorum_raw and not quorum_raw.isdigit():
        raise ConfigError(f"{PREFIX}WITNESS_QUORUM must be a whole number, got {quorum_raw!r}")
    quorum = int(quorum_raw) if quorum_raw else min(1, len(witnesses))
    if quorum > len(witnesses) or (witnesses and quorum == 0):
        raise ConfigError(
            f"{PREFIX}WITNESS_QUORUM={quorum} cannot work with {len(witnesses)} witness(es): "
            "it must be between 1 and the number of TRACEAPP_WITNESSES"
        )
    key_file = raw.get("WITNESS_KEY_FILE")
    return {
        "witnesses": witnesses,
        "witness_quorum": quorum,
        "witness_key_file": Path(key_file) if key_file else None,
        "witness_logs": _pairs("WITNESS_LOGS", raw.get("WITNESS_LOGS")),
    }


def _seconds(name: str, raw: object) -> int:
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ConfigError(
            f"{PREFIX}{name} must be a whole number of seconds, got {raw!r}"
        ) from None
    if not 0 <= value <= 86_400:
        raise ConfigError(f"{PREFIX}{name} must be between 0 and 86400 seconds, got {value}")
    return value


RATELIMIT_SCHEMES = ("redis", "rediss", "redis+unix", "memory")


def _ratelimit_storage_url(raw: object) -> str | None:
    value = str(raw or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in RATELIMIT_SCHEMES or (port is not None and port <= 0):
        raise ConfigError(
            f"{PREFIX}RATELIMIT_STORAGE_URL must be redis://HOST:PORT/DB (or rediss://, "
            f"redis+unix://, memory://), got {parts.scheme or value!r}"
        )
    if parts.scheme in {"redis", "rediss"} and not parts.hostname:
        raise ConfigError(f"{PREFIX}RATELIMIT_STORAGE_URL has no host: {parts.scheme}://…")
    return value


MAX_TRUSTED_PROXIES = 5


def _proxies(raw: object) -> int:
    text = str(raw).strip()
    if not text.isdigit() or int(text) > MAX_TRUSTED_PROXIES:
        raise ConfigError(
            f"{PREFIX}TRUSTED_PROXIES must be a whole number from 0 to {MAX_TRUSTED_PROXIES} "
            f"(the reverse proxies in front of the app), got {raw!r}"
        )
    return int(text)


def get_settings(app: Flask | None = None) -> Settings:
    """The settings ``create_app`` loaded into ``app`` (default: the current app)."""
    settings: Settings = (app or current_app).config["TRACEAPP"]
    return settings


# A fixed, clearly non-secret key so development works out of the box; production refuses it.
DEVELOPMENT_KEK = b"ocop-trace-ledger-dev-only-kek!!"


def load_settings(
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    instance_path: Path | None = None,
) -> Settings:
    """Build settings from defaults, then ``TRACEAPP_*`` variables, then ``overrides``."""
    env_vars = dict(os.environ if environ is None else environ)
    raw: dict[str, Any] = {k[len(PREFIX) :]: v for k, v in env_vars.items() if k.startswith(PREFIX)}
    raw.update({k.upper(): v for k, v in (overrides or {}).items()})

    instance = Path(raw.get("INSTANCE_PATH") or instance_path or Path.cwd() / "instance")
    env = str(raw.get("ENV", "development")).strip().lower()
    if env not in {"development", "production"}:
        raise ConfigError(f"{PREFIX}ENV must be 'development' or 'production', got {env!r}")
    production = env == "production"

    public_url = _public_url(str(raw.get("PUBLIC_URL", "http://127.0.0.1:8000")))
    default_origin = urlsplit(public_url).netloc + "/ocop-ledger"
    dev_default = "0" if production else "1"

    def flag(name: str) -> bool:
        value = raw.get(name, dev_default)
        return value if isinstance(value, bool) else _bool(name, str(value))

    kek_raw = raw.get("KEY_ENCRYPTION_KEY")
    kek = kek_raw if isinstance(kek_raw, bytes) else _kek(kek_raw)
    database_url = _database_url(
        str(raw.get("DATABASE_URL", f"sqlite:///{instance / 'traceapp.db'}")), instance
    )
    settings = Settings(
        database_url=database_url,
        public_url=public_url,
        log_origin=_log_origin(str(raw.get("LOG_ORIGIN", default_origin))),
        log_key_file=Path(raw.get("LOG_KEY_FILE") or instance / "log.key"),
        key_encryption_key=kek,
        graphiql=flag("GRAPHIQL"),
        introspection=flag("INTROSPECTION"),
        env="production" if production else "development",
        instance_path=instance,
        testing=bool(raw.get("TESTING", False)),
        media_dir=Path(raw.get("MEDIA_DIR") or instance / "media"),
        **_witnessing(raw),
        clock_skew_seconds=_seconds("CLOCK_SKEW_SECONDS", raw.get("CLOCK_SKEW_SECONDS", 300)),
        replica_urls=_replica_urls(raw.get("DATABASE_REPLICA_URLS"), database_url),
        replica_max_lag=_seconds(
            "DATABASE_REPLICA_MAX_LAG", raw.get("DATABASE_REPLICA_MAX_LAG", 10)
        ),
        epcis_worker=_flag("EPCIS_WORKER", raw.get("EPCIS_WORKER", False)),
        epcis_allow_private_dest=_flag(
            "EPCIS_ALLOW_PRIVATE_DEST", raw.get("EPCIS_ALLOW_PRIVATE_DEST", False)
        ),
        epcis_max_attempts=max(1, _seconds("EPCIS_MAX_ATTEMPTS", raw.get("EPCIS_MAX_ATTEMPTS", 8))),
        epcis_retry_base_ms=_seconds("EPCIS_RETRY_BASE_MS", raw.get("EPCIS_RETRY_BASE_MS", 2000)),
        epcis_lease_seconds=max(
            1, _seconds("EPCIS_LEASE_SECONDS", raw.get("EPCIS_LEASE_SECONDS", 60))
        ),
        ratelimit_storage_url=_ratelimit_storage_url(raw.get("RATELIMIT_STORAGE_URL")),
        trusted_proxies=_proxies(raw.get("TRUSTED_PROXIES", 0)),
    )
    if production:
        _check_production(settings, raw)
    elif settings.key_encryption_key is None:
        settings = replace(settings, key_encryption_key=DEVELOPMENT_KEK)
    return settings


def _check_production(settings: Settings, raw: Mapping[str, Any]) -> None:
    missing = [
        f"{PREFIX}{name}"
        for name in ("DATABASE_URL", "PUBLIC_URL", "LOG_ORIGIN", "KEY_ENCRYPTION_KEY")
        if not raw.get(name)
    ]
    if missing:
        raise ConfigError(
            "production configuration is missing required settings: " + ", ".join(missing)
        )
    if settings.key_encryption_key == DEVELOPMENT_KEK:
        raise ConfigError(f"{PREFIX}KEY_ENCRYPTION_KEY must not be the development key")
