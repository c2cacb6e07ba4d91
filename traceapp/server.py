"""gunicorn embedded: gthread workers, recycled with jitter; modules and schemas loaded before
the fork, the app (engine, pool) built after it."""

from __future__ import annotations

import gc
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]
from gunicorn.util import import_app  # type: ignore[import-untyped]

APP_FACTORY = "traceapp:create_app()"


class TraceappServer(BaseApplication):  # type: ignore[misc]  # untyped base
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        # Each worker builds its own app, engine and pool after the fork; the factory is
        # named, not imported, so that nothing below the app imports it.
        app: Flask = import_app(APP_FACTORY)
        return app


def _warm_master() -> None:
    """Import the app and build its GraphQL schemas once, in the master, before any fork.

    Pure Python objects, no connection: every worker, and every worker started to replace a
    recycled one, inherits them instead of spending a second of CPU on them.
    """
    from traceapp.api.schema import get_schema

    get_schema(introspection=True)
    get_schema(introspection=False)
    freeze_heap()


def freeze_heap() -> None:
    """Move every object alive now out of the collector's reach (``gc.freeze``): a full
    collection walks every tracked object, ~145,000 once the modules and schemas are loaded
    (~100 ms), and a request that set one off waited for it. Frozen in the master before the
    fork (the workers' copies stay shared, not written by the collector) and again in each
    worker once its app is built."""
    gc.collect()
    gc.freeze()


def _post_worker_init(_worker: object) -> None:
    freeze_heap()


def run_gunicorn(bind: str, workers: int, threads: int) -> None:
    _warm_master()
    TraceappServer(
        {
            "bind": bind,
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            # Recycling bounds a leak's growth; at hundreds of requests a second, every 2,000
            # restarted a worker every few seconds, each start costing caches and CPU.
            "max_requests": 20_000,
            "max_requests_jitter": 2_000,
            "timeout": 30,
            "graceful_timeout": 20,
            "keepalive": 5,
            "preload_app": False,
            "accesslog": "-",
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "traceapp",
            "post_worker_init": _post_worker_init,
        }
    ).run()
