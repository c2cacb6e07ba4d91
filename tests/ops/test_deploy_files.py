"""deploy/systemd/*.service as shipped: systemd accepts them, every `traceapp` command line in
them parses (commands, options and values), and nginx proxies to the address `serve` binds."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from traceapp import create_app

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
INSTALLED = "/srv/ocop-trace/.venv/bin/traceapp"


def _commands(unit: Path) -> list[list[str]]:
    lines = re.findall(r"^Exec(?:Start|StartPre)=(.+)$", unit.read_text(), re.MULTILINE)
    return [shlex.split(line)[1:] for line in lines if line.startswith(INSTALLED)]


def test_the_units_run_the_three_long_running_commands() -> None:
    names = {unit.name: _commands(unit) for unit in UNITS}
    assert [args[:2] for args in names["ocop-trace.service"]] == [["serve", "--bind"]]
    assert [args[:2] for args in names["ocop-trace-witness.service"]] == [["witness", "push"]]
    assert [args[:2] for args in names["ocop-trace-publish.service"]] == [["ledger", "publish"]]


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_every_traceapp_command_line_parses(unit: Path) -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    for args in _commands(unit):
        command: click.Command = app.cli
        ctx = click.Context(command)
        while isinstance(command, click.Group):
            found = command.get_command(ctx, args[0])
            assert found is not None, args
            command, args = found, args[1:]
        # Parses and converts every option and argument (a typo or a bad value raises here).
        command.make_context(command.name, list(args))


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_systemd_accepts_the_unit(unit: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # The one machine-specific path: the installed traceapp, here this environment's.
    copy = tmp_path / unit.name
    copy.write_text(
        unit.read_text().replace(INSTALLED, str(Path(sys.executable).parent / "traceapp"))
    )
    checked = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True)
    assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr


def test_nginx_proxies_to_the_address_serve_binds() -> None:
    (serve,) = _commands(DEPLOY / "systemd" / "ocop-trace.service")
    bind = serve[serve.index("--bind") + 1]
    upstream = re.search(
        r"upstream ocop_trace \{\s*server ([^;]+);",
        (DEPLOY / "nginx" / "ocop-trace.conf").read_text(),
    )
    assert upstream is not None and upstream.group(1) == bind
