"""The embedded gunicorn's start-up (traceapp.server), in a process of its own."""

from __future__ import annotations

import subprocess
import sys


def test_the_master_freezes_what_it_loaded_before_the_fork() -> None:
    """Modules and GraphQL schemas are loaded once in the master and frozen out of the
    collector's reach (``gc.freeze``): no worker pays a full collection over them mid-request,
    and the workers' inherited copies are not written by the collector."""
    script = "import gc; from traceapp import server; server._warm_master(); print(gc.get_freeze_count())"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert int(done.stdout) > 50_000
