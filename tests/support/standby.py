"""A streaming standby of the local PostgreSQL, for the tests and CI (issue 19).

``pg_basebackup -R -X stream`` copies the primary (127.0.0.1:5432, user postgres, trust) into a
temporary directory, and Debian's ``pg_ctl`` starts it as a hot standby on another port. The
primary needs ``wal_level`` replica or logical, WAL senders, and a ``replication`` line in
``pg_hba.conf`` for 127.0.0.1: ``ensure_primary`` sets what is missing (idempotent; run as root
or as postgres on the machine of the primary). PostgreSQL's server programs refuse to run as
root: as root they run as ``postgres`` (``runuser``).

Command line (used by ``.ci/run``)::

    python tests/support/standby.py ensure-primary
    python tests/support/standby.py start DIR PORT     # PORT 0: a free one; prints the port
    python tests/support/standby.py stop DIR           # stops it and removes DIR
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

PRIMARY_HOST = "127.0.0.1"
PRIMARY_PORT = 5432
SUPERUSER = "postgres"
HBA_LINE = "host replication all 127.0.0.1/32 trust"
# A physical replication slot keeps the WAL the standby has not received yet: without one, the
# primary's frequent checkpoints (every CREATE/DROP DATABASE of the tests makes one) recycle it
# before a standby that started slowly asks for it. Slots of standbys that did not stop cleanly
# (not active, older than STALE_SLOT_SECONDS) are dropped, lest they keep WAL for ever.
SLOT_PREFIX = "traceapp_standby_"
STALE_SLOT_SECONDS = 3600
# A hot standby refuses to start with less of these than its primary has.
MATCHED_SETTINGS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


class StandbyError(RuntimeError):
    """The standby could not be made, started or reached."""


def _primary(dsn: str | None = None) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        dsn or f"host={PRIMARY_HOST} port={PRIMARY_PORT} user={SUPERUSER} dbname=postgres",
        autocommit=True,
        connect_timeout=5,
    )


def _show(conn: psycopg.Connection[tuple[object, ...]], name: str) -> str:
    row = conn.execute(f"SHOW {name}").fetchone()  # type: ignore[arg-type]
    assert row is not None
    return str(row[0])


def bin_dir() -> Path:
    """Debian's server programs of the newest installed version (/usr/lib/postgresql/N/bin)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[4])
    )
    if not found:
        pg_ctl = shutil.which("pg_ctl")
        if pg_ctl is None:
            raise StandbyError("pg_ctl not found (Debian: /usr/lib/postgresql/<ver>/bin)")
        return Path(pg_ctl).parent
    return Path(found[-1]).parent


def _as_postgres(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a server program, as ``postgres`` when we are root (they refuse to run as root)."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", SUPERUSER, "--", *args]
    return subprocess.run(args, check=False, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def ensure_primary(dsn: str | None = None) -> list[str]:
    """Make the local primary accept a streaming standby; what was changed (empty: nothing)."""
    changed: list[str] = []
    with _primary(dsn) as conn:
        if _show(conn, "wal_level") not in {"replica", "logical"}:
            raise StandbyError("wal_level is minimal: set it to replica and restart PostgreSQL")
        if int(_show(conn, "max_wal_senders")) < 2:
            # Takes effect only after a restart: say so rather than restart a shared server.
            conn.execute("ALTER SYSTEM SET max_wal_senders = 10")
            raise StandbyError("max_wal_senders was < 2: set to 10, restart PostgreSQL")
        hba = Path(_show(conn, "hba_file"))
        lines = [line.split("#", 1)[0].split() for line in hba.read_text().splitlines()]
        wanted = HBA_LINE.split()
        if wanted not in lines:
            with hba.open("a") as out:
                out.write("\n# streaming standbys of the tests (tests/support/standby.py)\n")
                out.write(HBA_LINE + "\n")
            conn.execute("SELECT pg_reload_conf()")
            changed.append(f"{hba}: {HBA_LINE}")
    return changed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((PRIMARY_HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Standby:
    directory: Path
    port: int

    @property
    def dsn(self) -> str:
        return f"postgresql://{SUPERUSER}@{PRIMARY_HOST}:{self.port}/postgres"

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@{PRIMARY_HOST}:{self.port}/{dbname}"

    def sql(self, statement: str, dbname: str = "postgres") -> object:
        """One statement on the standby; its first column of its first row."""
        with psycopg.connect(
            f"host={PRIMARY_HOST} port={self.port} user={SUPERUSER} dbname={dbname}",
            autocommit=True,
            connect_timeout=5,
        ) as conn:
            row = conn.execute(statement).fetchone()  # type: ignore[arg-type]
            return None if row is None else row[0]

    def pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _as_postgres([str(bin_dir() / "pg_ctl"), "-D", str(self.directory), *args])

    def pause(self) -> None:
        """Stop replaying (WAL is still received): rows written from now on are not there."""
        self.sql("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 10
        while self.sql("SELECT pg_get_wal_replay_pause_state()") != "paused":
            if time.monotonic() > deadline:
                raise StandbyError("the standby did not pause its replay")
            time.sleep(0.02)

    def resume(self) -> None:
        self.sql("SELECT pg_wal_replay_resume()")

    def stop(self) -> None:
        """Stop the server (its directory stays: ``start_again``)."""
        stopped = self.pg_ctl("-m", "fast", "-w", "stop")
        if stopped.returncode != 0:
            raise StandbyError(f"the standby did not stop: {stopped.stderr.strip()}")

    def start_again(self, timeout: float = 60.0) -> None:
        log = self.directory / "standby.log"
        started = self.pg_ctl("-l", str(log), "-w", "-t", str(int(timeout)), "start")
        if started.returncode != 0:
            raise StandbyError(f"the standby did not start: {started.stderr.strip()}")
        _wait_streaming(self, timeout)


def _drop_stale_slots(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    rows = conn.execute(
        "SELECT slot_name FROM pg_replication_slots WHERE NOT active AND slot_name LIKE %s",
        (SLOT_PREFIX + "%",),
    ).fetchall()
    for (name,) in rows:
        made = str(name)[len(SLOT_PREFIX) :].split("_", 1)[0]
        if made.isdigit() and time.time() - int(made) > STALE_SLOT_SECONDS:
            conn.execute("SELECT pg_drop_replication_slot(%s)", (name,))


def _drop_slot(name: str) -> None:
    with _primary() as conn:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # its WAL sender goes a moment after the standby
            active = conn.execute(
                "SELECT active FROM pg_replication_slots WHERE slot_name = %s", (name,)
            ).fetchone()
            if active is None:
                return
            if not active[0]:
                conn.execute("SELECT pg_drop_replication_slot(%s)", (name,))
                return
            time.sleep(0.1)


def start(directory: Path, port: int, *, timeout: float = 60.0) -> Standby:
    """Base-back-up the primary into ``directory`` (new or empty) and start it on ``port``."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.geteuid() == 0:
        owner = pwd.getpwnam(SUPERUSER)
        os.chown(directory, owner.pw_uid, owner.pw_gid)
    directory.chmod(0o700)
    with _primary() as conn:
        matched = {name: _show(conn, name) for name in MATCHED_SETTINGS}
        _drop_stale_slots(conn)
    slot = f"{SLOT_PREFIX}{int(time.time())}_{port}"
    (directory.parent / f"{directory.name}.slot").write_text(slot)
    backup = _as_postgres(
        [
            str(bin_dir() / "pg_basebackup"),
            *("-R", "-X", "stream", "-C", "-S", slot, "-c", "fast", "-D", str(directory)),
            *("-h", PRIMARY_HOST, "-p", str(PRIMARY_PORT), "-U", SUPERUSER),
        ],
        timeout=timeout,
    )
    if backup.returncode != 0:
        _drop_slot(slot)
        raise StandbyError(f"pg_basebackup failed: {backup.stderr.strip()}")
    settings = {
        "port": str(port),
        "listen_addresses": f"'{PRIMARY_HOST}'",
        "unix_socket_directories": f"'{directory}'",
        "hot_standby": "on",
        # A test standby: its data is a copy; a crash loses nothing worth the fsyncs.
        "fsync": "off",
        "logging_collector": "off",
        **matched,
    }
    conf = "".join(f"{name} = {value}\n" for name, value in settings.items())
    _write_as_postgres(directory / "postgresql.conf", conf)
    hba = "local all all trust\nhost all all 127.0.0.1/32 trust\n"
    _write_as_postgres(directory / "pg_hba.conf", hba)
    standby = Standby(directory, port)
    log = directory / "standby.log"
    started = standby.pg_ctl("-l", str(log), "-w", "-t", str(int(timeout)), "start")
    if started.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise StandbyError(f"the standby did not start: {started.stderr.strip()} {tail}")
    _wait_streaming(standby, timeout)
    return standby


def _write_as_postgres(path: Path, content: str) -> None:
    path.write_text(content)
    if os.geteuid() == 0:
        owner = pwd.getpwnam(SUPERUSER)
        os.chown(path, owner.pw_uid, owner.pw_gid)


def _wait_streaming(standby: Standby, timeout: float) -> None:
    """Until the standby answers, is in recovery, and its WAL receiver streams."""
    deadline = time.monotonic() + timeout
    problem = "not tried"
    while time.monotonic() < deadline:
        try:
            if standby.sql("SELECT pg_is_in_recovery()") is not True:
                raise StandbyError("the standby is not in recovery (no standby.signal?)")
            status = standby.sql("SELECT status FROM pg_stat_wal_receiver")
            if status == "streaming":
                return
            problem = f"WAL receiver: {status}"
        except psycopg.OperationalError as exc:
            problem = str(exc)
        time.sleep(0.2)
    raise StandbyError(f"the standby on port {standby.port} is not streaming: {problem}")


def stop(directory: Path) -> None:
    """Stop the standby in ``directory`` (if running), drop its slot, remove the directory."""
    if (directory / "postmaster.pid").exists():
        _as_postgres([str(bin_dir() / "pg_ctl"), "-D", str(directory), "-m", "immediate", "stop"])
    shutil.rmtree(directory, ignore_errors=True)
    slot_file = directory.parent / f"{directory.name}.slot"
    if slot_file.exists():
        _drop_slot(slot_file.read_text().strip())
        slot_file.unlink()


@contextlib.contextmanager
def running_standby(port: int | None = None) -> Iterator[Standby]:
    """A standby in a temporary directory for the block's duration, removed after."""
    ensure_primary()
    # Not under pytest's tmp_path: postgres must reach it, and root's /tmp/pytest-of-root is 0700.
    directory = Path(tempfile.mkdtemp(prefix="traceapp-standby-"))
    try:
        yield start(directory, port or free_port())
    finally:
        stop(directory)


def wait_replayed(standby: Standby, timeout: float = 120.0) -> None:
    """Until the standby has replayed everything the primary had written when called."""
    with _primary() as conn:
        row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        assert row is not None
        target = str(row[0])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = standby.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")
        if done is True:
            return
        time.sleep(0.05)
    raise StandbyError(f"the standby did not replay up to {target} in {timeout} s")


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["ensure-primary"]:
            for change in ensure_primary():
                print(f"changed: {change}")
            return 0
        if argv[:1] == ["start"] and len(argv) == 3:
            print(start(Path(argv[1]), int(argv[2]) or free_port()).port)
            return 0
        if argv[:1] == ["stop"] and len(argv) == 2:
            stop(Path(argv[1]))
            return 0
    except StandbyError as exc:
        print(f"standby: {exc}", file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
