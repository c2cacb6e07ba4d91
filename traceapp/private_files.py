"""Files that hold secrets stay private (issue 14, item 12): the SQLite database (PIN salts and
digests, custodial keys) and the log key.

SQLite's unix VFS creates a database's ``-wal`` and ``-shm`` files with the database file's own
mode, so creating the database 0600 before SQLite does keeps all three private.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

from traceapp.config import ConfigError, Settings

logger = logging.getLogger(__name__)
OTHERS = 0o077  # any access by the group or the world


def create_sqlite_database(settings: Settings) -> None:
    """Create the SQLite database file, mode 0600, unless it exists (or lives in memory)."""
    if not settings.is_sqlite:
        return
    database = make_url(settings.database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    # An existing file stays as it is; one that cannot be made is SQLite's to report, as before.
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def check_log_key_mode(settings: Settings) -> None:
    """Production refuses a log key others may read; development says so loudly."""
    path = settings.log_key_file
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return  # loading the key says why it cannot be read
    if not mode & OTHERS:
        return
    message = f"log key {path} is accessible by others (mode {mode:04o}): run `chmod 600 {path}`"
    if settings.is_production:
        raise ConfigError(message)
    logger.warning("warning: %s", message)
