"""`python -m ledger` pins the log key (--vkey), refuses without it unless told to trust the
embedded key, and checks witness cosignatures against a quorum (ledger.trust)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from ledger_support import SampleLog, make_signer, standard_log

from ledger import __main__ as ledger_main
from ledger.cosignature import CosignatureSigner, cosign
from ledger.errors import SignatureError
from ledger.trust import TrustError, TrustPolicy

WITNESSES = [
    CosignatureSigner(
        f"witness{n}.example",
        Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32),
        lambda: 1_700_000_000,
    )
    for n in (1, 2, 3)
]
W1, W2, W3 = (w.verifier.vkey for w in WITNESSES)


@pytest.fixture(scope="module")
def log() -> SampleLog:
    return standard_log()


def cosigned(log: SampleLog, *witnesses: CosignatureSigner) -> str:
    note = log.checkpoint()
    for witness in witnesses:
        note = cosign(note, witness)
    return note


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = ledger_main.main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def files(tmp_path: Path, log: SampleLog) -> dict[str, Path]:
    """A bundle and an export whose checkpoint witnesses 1 and 2 cosigned."""
    note = cosigned(log, WITNESSES[0], WITNESSES[1])
    bundle = log.bundle([5])
    bundle["checkpoint"] = note
    paths = {"verify-bundle": tmp_path / "bundle.json", "verify-log": tmp_path / "log.jsonl"}
    paths["verify-bundle"].write_text(json.dumps(bundle))
    header, rest = log.export().split(b"\n", 1)
    fields = json.loads(header)
    fields["checkpoint"] = note
    paths["verify-log"].write_bytes(json.dumps(fields).encode() + b"\n" + rest)
    return paths


COMMANDS = ["verify-bundle", "verify-log"]


@pytest.mark.parametrize("command", COMMANDS)
def test_without_a_key_the_input_is_refused(
    command: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, command, str(files[command]))
    assert (status, out) == (2, "")
    assert err.startswith("error: no log key given: pin it with --vkey VKEY")


@pytest.mark.parametrize("command", COMMANDS)
def test_trusting_the_embedded_key_says_so(
    command: str, files: dict[str, Path], log: SampleLog, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, command, str(files[command]), "--trust-embedded-key")
    assert status == 0
    first, second = out.splitlines()
    assert first == f"trusting the key embedded in the file: {log.vkey}"
    assert second.startswith("OK: ")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_pinned_key_must_be_the_embedded_one(
    command: str, files: dict[str, Path], log: SampleLog, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, command, str(files[command]), "--vkey", log.vkey)
    assert status == 0 and out.startswith("OK: ")
    other = make_signer(log.origin, 77).verifier.vkey
    status, out, _ = run(capsys, command, str(files[command]), "--vkey", other)
    assert status == 1
    assert out == f"FAIL: log vkey: expected the pinned {other}, found {log.vkey}\n"


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("witnesses", "quorum", "ok"),
    [
        ([W1, W2], None, True),
        ([W1, W3], "1", True),
        ([W1, W3], None, False),
        ([W3], None, False),
        ([W1, W2, W3], "2", True),
        ([W1, W2, W3], "3", False),
    ],
)
def test_witness_quorum(
    command: str,
    witnesses: list[str],
    quorum: str | None,
    ok: bool,
    files: dict[str, Path],
    log: SampleLog,
    capsys: pytest.CaptureFixture[str],
) -> None:
    extra = ["--quorum", quorum] if quorum else []
    args = [command, str(files[command]), "--vkey", log.vkey, "--witness", *witnesses, *extra]
    status, out, _ = run(capsys, *args)
    if ok:
        assert status == 0 and out.startswith("OK: ")
    else:
        assert status == 1
        assert out.startswith("FAIL: checkpoint cosignatures: expected at least ")
        assert "witness3.example" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quorum", "1"], "--quorum needs the witnesses' keys"),
        (["--witness", W1, "--quorum", "2"], "--quorum must be between 1 and the 1 witnesses"),
        (["--witness", W1, W1], "the same witness key is given twice"),
        (["--witness", "not-a-vkey"], "--witness not-a-vkey: "),
    ],
)
def test_bad_witness_options_are_exit_2(
    args: list[str],
    message: str,
    files: dict[str, Path],
    log: SampleLog,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(
        capsys, "verify-bundle", str(files["verify-bundle"]), "--vkey", log.vkey, *args
    )
    assert (status, out) == (2, "") and message in err


def test_the_log_key_is_no_witness_key(log: SampleLog, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(TrustError, match="--witness"):
        TrustPolicy.build(log.vkey, False, [log.vkey])


def test_a_forged_cosignature_does_not_count(log: SampleLog) -> None:
    note = cosigned(log, WITNESSES[0])
    forged = note.replace(note.splitlines()[-1][-8:], "AAAAAAA=")
    policy = TrustPolicy.build(log.vkey, False, [W1], 1)
    assert [c.cosigner for c in policy.check_cosignatures(note)] == [WITNESSES[0].key_name]
    with pytest.raises(SignatureError, match="expected at least 1 valid"):
        policy.check_cosignatures(forged)


def test_vkey_and_trust_exclude_each_other(
    files: dict[str, Path], log: SampleLog, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        ledger_main.main(
            ["verify-log", str(files["verify-log"]), "--vkey", log.vkey, "--trust-embedded-key"]
        )
    assert caught.value.code == 2
