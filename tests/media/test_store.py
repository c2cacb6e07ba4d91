"""The directory store: content addressing, atomic writes, and only SHA-256 names."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from traceapp.config import load_settings
from traceapp.media.store import DirectoryStore, is_sha256, open_store


def test_put_get_exists(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path / "media")
    digest = store.put(b"hello")
    assert digest == hashlib.sha256(b"hello").hexdigest()
    assert store.exists(digest) and store.get(digest) == b"hello"
    path = tmp_path / "media" / digest[:2] / digest
    assert path.read_bytes() == b"hello"
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    assert store.put(b"hello") == digest  # the same bytes twice: one object
    assert [p.name for p in path.parent.iterdir()] == [digest]  # no temporary left behind


def test_unknown_and_unsafe_names(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path / "media")
    (tmp_path / "secret").write_bytes(b"secret")
    for name in ("0" * 64, "../secret", "/etc/passwd", "A" * 64, "0" * 63, "", "0" * 64 + "/"):
        assert store.get(name) is None
        assert not store.exists(name)
    assert not is_sha256("../" + "0" * 61)


def test_a_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = DirectoryStore(tmp_path)

    def broken(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        store.put(b"data")
    digest = hashlib.sha256(b"data").hexdigest()
    assert not store.exists(digest)
    assert list((tmp_path / digest[:2]).iterdir()) == []


def test_media_dir_setting(tmp_path: Path) -> None:
    default = load_settings(environ={}, instance_path=tmp_path)
    assert default.media_dir == tmp_path / "media"
    chosen = load_settings(environ={"TRACEAPP_MEDIA_DIR": str(tmp_path / "m")})
    assert isinstance(open_store(chosen), DirectoryStore)
    assert chosen.media_dir == tmp_path / "m"
