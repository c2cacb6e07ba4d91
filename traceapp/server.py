"""gunicorn embedded: sync-free gthread workers, recycled with jitter, app built after the fork."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]


class TraceappServer(BaseApplication):  # type: ignore[misc]  # untyped base
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        # Each worker builds its own app, engine and pool after the fork.
        from traceapp import create_app

        return create_app()


def run_gunicorn(bind: str, workers: int, threads: int) -> None:
    TraceappServer(
        {
            "bind": bind,
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "max_requests": 2000,
            "max_requests_jitter": 200,
            "timeout": 30,
            "graceful_timeout": 20,
            "keepalive": 5,
            "preload_app": False,
            "accesslog": "-",
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "traceapp",
        }
    ).run()
