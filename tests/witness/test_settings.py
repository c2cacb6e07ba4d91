"""Witness settings (DESIGN §10): parsing, refusals with reasons, the witness key file."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.checkpoint import Checkpoint
from ledger.cosignature import CosignatureSigner, cosign, verify_cosignature
from ledger.signing import Signer, sign_checkpoint
from traceapp.config import ConfigError, load_settings
from traceapp.witness.settings import (
    create_witness_key,
    load_witness_key,
    witness_targets,
    witnessed_logs,
)

LOG = Signer.generate("log.example/l")


def _vkey(name: str) -> str:
    return CosignatureSigner(name, Ed25519PrivateKey.generate()).verifier.vkey


def test_witnesses_one_a_line_or_semicolon_separated() -> None:
    a, b = _vkey("w1.example/a"), _vkey("w2.example/b")
    for raw in (
        f"{a} http://w1.example/\n{b} https://w2.example/x",
        f"{a} http://w1.example/ ; {b} https://w2.example/x",
    ):
        settings = load_settings(environ={"TRACEAPP_WITNESSES": raw}, instance_path=Path("/tmp/x"))
        targets = witness_targets(settings)
        assert [t.url for t in targets] == ["http://w1.example", "https://w2.example/x"]
        assert [t.verifier.vkey for t in targets] == [a, b]
        assert settings.witness_quorum == 1
    quorum = load_settings(
        environ={
            "TRACEAPP_WITNESSES": f"{a} http://a/;{b} http://b/",
            "TRACEAPP_WITNESS_QUORUM": "2",
        },
        instance_path=Path("/tmp/x"),
    )
    assert quorum.witness_quorum == 2
    assert load_settings(environ={}, instance_path=Path("/tmp/x")).witness_quorum == 0


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"TRACEAPP_WITNESSES": "just-one-word"}, "two words"),
        ({"TRACEAPP_WITNESS_QUORUM": "1"}, "between 1 and the number"),
        ({"TRACEAPP_WITNESSES": "{a} http://a/", "TRACEAPP_WITNESS_QUORUM": "2"}, "between 1"),
        ({"TRACEAPP_WITNESSES": "{a} http://a/", "TRACEAPP_WITNESS_QUORUM": "x"}, "whole number"),
    ],
)
def test_settings_that_cannot_work_are_refused(env: dict[str, str], reason: str) -> None:
    a = _vkey("w1.example/a")
    env = {k: v.format(a=a) for k, v in env.items()}
    with pytest.raises(ConfigError, match=reason):
        load_settings(environ=env, instance_path=Path("/tmp/x"))


def test_a_witness_vkey_must_be_a_cosignature_key() -> None:
    settings = load_settings(
        environ={"TRACEAPP_WITNESSES": f"{LOG.vkey} http://a/"}, instance_path=Path("/tmp/x")
    )
    with pytest.raises(ConfigError, match="type 0x04"):
        witness_targets(settings)
    settings = load_settings(
        environ={"TRACEAPP_WITNESSES": f"{_vkey('w.example/a')} ftp://a/"},
        instance_path=Path("/tmp/x"),
    )
    with pytest.raises(ConfigError, match="http"):
        witness_targets(settings)
    logs = load_settings(
        environ={"TRACEAPP_WITNESS_LOGS": f"log.example/l {LOG.vkey}"}, instance_path=Path("/tmp/x")
    )
    assert witnessed_logs(logs) == {"log.example/l": LOG.verifier}


def test_the_witness_key_file(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "witness.key"
    signer = create_witness_key(path, "witness.example/w")
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(ConfigError, match="refusing to overwrite"):
        create_witness_key(path, "witness.example/w")
    loaded = load_witness_key(path, production=True)
    assert loaded.verifier == signer.verifier and loaded.verifier.vkey.startswith(
        "witness.example/w+"
    )
    note = sign_checkpoint(Checkpoint("log.example/l", 3, b"\x05" * 32), LOG)
    assert verify_cosignature(cosign(note, loaded), signer.verifier).checkpoint.size == 3
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="accessible by others"):
        load_witness_key(path, production=True)
    load_witness_key(path, production=False)
    path.write_text("PRIVATE+KEY+witness.example/w+00000000+AAAA\n")
    with pytest.raises(ConfigError, match="not a valid cosignature key"):
        load_witness_key(path, production=False)
    with pytest.raises(ConfigError, match="not found"):
        load_witness_key(tmp_path / "missing.key", production=False)
