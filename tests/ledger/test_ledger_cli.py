"""`python -m ledger` as a subprocess: exit status 0/1/2 and its single result line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ledger_support import OUTSIDER, PRODUCER, SampleLog, standard_log

from ledger import __main__ as ledger_main
from ledger.keys import b64encode

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ledger", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def log() -> SampleLog:
    return standard_log()


@pytest.fixture
def export_file(tmp_path: Path, log: SampleLog) -> Path:
    path = tmp_path / "ledger.jsonl"
    path.write_bytes(log.export())
    return path


def test_verify_log_ok(export_file: Path, log: SampleLog) -> None:
    result = run("verify-log", str(export_file), "--vkey", log.vkey)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        f"OK: {log.size} entries, checkpoint size {log.size}, root {b64encode(log.root())}\n"
    )


def test_verify_log_names_the_first_failure_on_one_line(tmp_path: Path, log: SampleLog) -> None:
    lines = log.export().split(b"\n")
    tampered = log.entries[6].replace(b'"seq":6', b'"seq":7')
    lines[1 + 6] = b'{"index":6,"entry":"%s"}' % b64encode(tampered).encode()
    path = tmp_path / "tampered.jsonl"
    path.write_bytes(b"\n".join(lines))
    result = run("verify-log", str(path), "--jobs", "1", "--vkey", log.vkey)
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "FAIL: entry 6: seq: expected 6, found 7\n",
        "",
    )


def test_verify_log_with_an_entry_by_an_unregistered_key(tmp_path: Path) -> None:
    log = standard_log()
    index = log.record(OUTSIDER)
    path = tmp_path / "ledger.jsonl"
    path.write_bytes(log.export())
    result = run("verify-log", str(path), "--vkey", log.vkey)
    assert result.returncode == 1
    assert result.stdout == (
        f"FAIL: entry {index}: trust chain: actor {OUTSIDER.key_name} is not registered by "
        "an earlier entry\n"
    )


@pytest.fixture(scope="module")
def long_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleLog]:
    """An export long enough for verify-log to use its process pool."""
    log = standard_log(0)
    while log.size < 2_100:
        log.record(PRODUCER)
    path = tmp_path_factory.mktemp("long") / "ledger.jsonl"
    path.write_bytes(log.export())
    return path, log


def test_verify_log_on_a_pool(long_export: tuple[Path, SampleLog]) -> None:
    path, log = long_export
    result = run("verify-log", str(path), "--jobs", "2", "--vkey", log.vkey)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(f"OK: {log.size} entries, checkpoint size {log.size}, ")


def test_verify_log_reports_progress_on_stderr(
    long_export: tuple[Path, SampleLog],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(ledger_main, "PROGRESS_STEP", 1_000)
    path, log = long_export
    assert ledger_main.main(["verify-log", str(path), "--jobs", "2", "--vkey", log.vkey]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("OK: 2100 entries")
    assert err.splitlines() == [
        "verified 2000 of 2100 entries (95%)",
        "verified 2100 of 2100 entries (100%)",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file"),
        (b"", "export line 1 (header): missing"),
        (b'{"type": "something-else/v1", "checkpoint": "", "vkey": ""}\n', "type: expected"),
    ],
)
def test_verify_log_unusable_input_is_exit_2(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "input.jsonl"
    if content is not None:
        path.write_bytes(content)
    result = run("verify-log", str(path), "--trust-embedded-key")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_verify_log_malformed_entry_line_is_a_failure(export_file: Path, log: SampleLog) -> None:
    data = export_file.read_bytes().split(b"\n")
    data[3] = b"not json"
    export_file.write_bytes(b"\n".join(data))
    result = run("verify-log", str(export_file), "--vkey", log.vkey)
    assert result.returncode == 1
    assert result.stdout.startswith("FAIL: entry 2: export line 4: JSON: not JSON")


def test_verify_bundle_ok_and_failing(tmp_path: Path, log: SampleLog) -> None:
    bundle = log.bundle([5])
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    result = run("verify-bundle", str(path), "--vkey", log.vkey)
    assert result.returncode == 0
    assert result.stdout == (
        f"OK: {len(bundle['entries'])} bundled entries, checkpoint size {log.size}, "
        f"root {b64encode(log.root())}\n"
    )
    bundle["entries"] = bundle["entries"][1:]
    path.write_text(json.dumps(bundle))
    result = run("verify-bundle", str(path), "--vkey", log.vkey)
    assert (result.returncode, result.stdout) == (
        1,
        "FAIL: bundle genesis: expected entry 0, found entry 1 first\n",
    )


def test_verify_bundle_unusable_input_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text("[]")
    result = run("verify-bundle", str(path), "--trust-embedded-key")
    assert result.returncode == 2 and "bundle: expected fields" in result.stderr


@pytest.mark.parametrize(
    "args",
    [(), ("verify-log",), ("unknown-command",), ("verify-log", "x", "--jobs", "0")],
)
def test_bad_usage_is_exit_2(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert (result.returncode, result.stdout) == (2, "")
    assert "usage:" in result.stderr
