"""``traceapp witness init-key NAME | push [--watch]``: our witness key, and the pusher that asks
the configured witnesses to cosign the log's checkpoints (docs/operations.md, "Witnesses")."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click
from flask.cli import with_appcontext

from traceapp.cli.common import EXIT_FAILED, require_schema
from traceapp.config import ConfigError, get_settings
from traceapp.db.sessions import get_database
from traceapp.ledger_runtime import get_ledger
from traceapp.witness.pusher import Pusher
from traceapp.witness.runtime import get_witnessing
from traceapp.witness.settings import create_witness_key


@click.group("witness", help="Our witness key, and pushing checkpoints to witnesses.")
def witness_group() -> None:
    pass


@witness_group.command("init-key")
@click.argument("name")
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write it (default: TRACEAPP_WITNESS_KEY_FILE).",
)
@with_appcontext
def witness_init_key(name: str, key_file: Path | None) -> None:
    """Create the witness's cosignature key (mode 0600) and print its vkey (type 0x04)."""
    path = key_file or get_settings().witness_key_file
    if path is None:
        raise ConfigError("set TRACEAPP_WITNESS_KEY_FILE or pass --key-file")
    try:
        signer = create_witness_key(path, name)
    except ValueError as exc:  # a key name the signed-note format refuses
        raise ConfigError(f"bad witness name {name!r}: {exc}") from None
    click.echo(f"witness key: {path}")
    click.echo(f"witness vkey: {signer.verifier.vkey}")


@witness_group.command("push")
@click.option("--watch", is_flag=True, help="Keep pushing every new checkpoint until stopped.")
@click.option(
    "--interval", default=0.2, show_default=True, help="Seconds between reads of the log's size."
)
@click.option(
    "--min-interval",
    default=1.0,
    show_default=True,
    help="Seconds at least between two pushes to a witness (the newest checkpoint each time).",
)
@click.option("--timeout", default=5.0, show_default=True, help="Seconds to wait for a witness.")
@with_appcontext
def witness_push(watch: bool, interval: float, min_interval: float, timeout: float) -> None:
    """Ask every configured witness to cosign the newest checkpoint (once, or --watch)."""
    require_schema()
    witnessing = get_witnessing()
    if not witnessing.witnesses:
        raise ConfigError("no witnesses configured: set TRACEAPP_WITNESSES")
    pusher = Pusher(
        get_database(),
        get_ledger().origin,
        witnessing.witnesses,
        timeout=timeout,
        min_interval=min_interval,
    )
    if not watch:
        if not pusher.hold_lease():
            click.echo("another pusher holds the lease (traceapp witness push --watch?)")
            raise SystemExit(EXIT_FAILED)
        try:
            done = pusher.run_once()
        finally:
            pusher.release_lease()
        click.echo(f"cosigned by {len(done)} of {len(witnessing.witnesses)} witnesses")
        if len(done) < len(witnessing.witnesses):
            raise SystemExit(EXIT_FAILED)
        return
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"pushing to {len(witnessing.witnesses)} witnesses as {pusher.holder}")
    pusher.watch(stop, interval)
