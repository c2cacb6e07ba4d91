"""A PostgreSQL server of the benchmark's own, configured as docs/deployment.md sizes a primary.

The machine's server (127.0.0.1:5432) is CI's: the compiled-in ``shared_buffers`` of 128 MB and
autovacuum off (``/etc/postgresql/*/main/conf.d/90-ci.conf``), fine for the tests' small
databases. At 10^6 entries a database of 2.7 GB then reads most pages from the OS cache through
a 128 MB buffer pool, and no table is ever analysed. ``--pg-server tuned`` (bench_growth) runs
``initdb`` in a temporary directory and starts a server with ``TUNED`` on a free port, as
``postgres`` (the server programs refuse root), and removes it afterwards (bench_office
``--keep`` keeps it in a folder of its own instead); the figures then measure the application
on a server set as a deployment would set it.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.standby import SUPERUSER, _as_postgres, bin_dir, free_port

# docs/deployment.md, *PostgreSQL: primary and standbys* (a 16 GB primary): a quarter of the
# memory as buffers, checkpoints spaced by time rather than forced by WAL volume, full-page
# images compressed, autovacuum on (PostgreSQL's default).
TUNED = {
    "shared_buffers": "4GB",
    "effective_cache_size": "12GB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "15min",
    "wal_compression": "on",
    "autovacuum": "on",
    "jit": "off",
}


@contextmanager
def tuned_server(settings: dict[str, str] = TUNED, keep: Path | None = None) -> Iterator[str]:
    """Start a fresh server with ``settings``; yields its admin DSN (trust, user postgres).
    With ``keep`` the server's files stay in that folder: a later call with the same folder
    starts the same cluster again (bench_office ``--keep``), on a free port."""
    directory = keep or Path(tempfile.mkdtemp(prefix="bench-pg-"))
    directory.mkdir(parents=True, exist_ok=True)
    shutil.chown(directory, SUPERUSER, SUPERUSER)
    data, port = directory / "data", free_port()
    bin_ = bin_dir()
    try:
        if not (data / "PG_VERSION").exists():
            initdb = [str(bin_ / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust"]
            made = _as_postgres([*initdb, "-E", "UTF8"])
            if made.returncode:
                raise RuntimeError(f"initdb failed: {made.stderr}")
            conf = "".join(f"{name} = '{value}'\n" for name, value in settings.items())
            with (data / "postgresql.conf").open("a") as out:
                out.write(f"\n# bench/pg_server.py\nlisten_addresses = '127.0.0.1'\n{conf}")
        log = directory / "server.log"
        where = f"-p {port} -k {directory}"
        pg_ctl = [str(bin_ / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", where]
        started = _as_postgres([*pg_ctl, "-w", "-t", "60", "start"])
        if started.returncode:
            raise RuntimeError(f"the server did not start: {started.stderr} {log.read_text()}")
        yield f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres"
    finally:
        # A kept cluster shuts down cleanly (a checkpoint), to start again without recovery.
        mode = "fast" if keep else "immediate"
        _as_postgres([str(bin_ / "pg_ctl"), "-D", str(data), "-m", mode, "-w", "stop"])
        if keep is None:
            shutil.rmtree(directory, ignore_errors=True)
