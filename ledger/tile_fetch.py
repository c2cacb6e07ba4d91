"""Reading a tlog-tiles log (c2sp.org/tlog-tiles) at a URL prefix or in a directory.

Over HTTP(S) with urllib alone, each request bounded by a timeout and a size limit. Entry
bundles may come compressed ("Logs MAY use Content-Encoding: gzip with no negotiation"), so
every request says ``Accept-Encoding: gzip, identity`` and a gzip body is inflated, within the
same size limit. A directory is a static mirror as ``traceapp ledger publish`` writes it; a
bundle stored only as ``<path>.gz`` (precompressed) is read too.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
import zlib
from pathlib import Path

from ledger.errors import FormatError, LedgerError
from ledger.tiles import MAX_ENTRY_SIZE, TILE_WIDTH, TileId, decode_bundle, split_hashes

ACCEPT_ENCODING = "gzip, identity"
MAX_NOTE_BYTES = 1 << 16
"""A checkpoint with a few dozen cosignatures is about 4 KiB."""
MAX_BUNDLE_BYTES = TILE_WIDTH * (2 + MAX_ENTRY_SIZE)


class FetchError(LedgerError):
    """The log could not be read: network failure, timeout, an HTTP error status, an
    unreadable file, or an answer that is too large or badly encoded."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        """The HTTP status, when the server answered one."""


class Missing(FetchError):
    """The resource does not exist (HTTP 404, no such file)."""


def gunzip(data: bytes, limit: int, what: str) -> bytes:
    """The content of a gzip stream (one or more members), at most `limit` bytes."""
    out = bytearray()
    while data:
        inflater = zlib.decompressobj(wbits=31)
        try:
            out += inflater.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            raise FetchError(f"{what}: bad gzip content: {exc}") from None
        if len(out) > limit:
            raise FetchError(f"{what}: more than {limit} bytes once inflated")
        if not inflater.eof:
            raise FetchError(f"{what}: truncated gzip content")
        data = inflater.unused_data
    return bytes(out)


class TileSource:
    """Where a log's checkpoint, tiles and entry bundles are read from."""

    where: str
    """The prefix or directory, as messages name it."""

    def read(self, path: str, limit: int) -> bytes:
        """The bytes at `path` below the prefix; Missing or FetchError."""
        raise NotImplementedError

    def text(self, path: str) -> str:
        try:
            return self.read(path, MAX_NOTE_BYTES).decode("utf-8")
        except UnicodeDecodeError:
            raise FetchError(f"{self.where}/{path}: not UTF-8 text") from None

    def checkpoint(self) -> str:
        return self.text("checkpoint")

    def tile(self, tile: TileId) -> list[bytes]:
        """The hashes of a hash tile; FormatError unless it has `tile.width` of them."""
        return split_hashes(self.read(tile.path, TILE_WIDTH * 32), tile)

    def bundle(self, tile: TileId) -> list[bytes]:
        """The entries of an entry bundle; FormatError unless it holds `tile.width`."""
        entries = decode_bundle(self.read(tile.path, MAX_BUNDLE_BYTES))
        if len(entries) != tile.width:
            raise FormatError(f"{tile.path}: expected {tile.width} entries, found {len(entries)}")
        return entries


class HttpSource(TileSource):
    """GETs below an http(s) URL prefix."""

    def __init__(self, prefix: str, timeout: float) -> None:
        self.where = prefix.rstrip("/")
        self.timeout = timeout
        self.fetched: dict[str, bytes] = {}
        """Answers read while finding the prefix, each handed out once."""

    def read(self, path: str, limit: int) -> bytes:
        if path in self.fetched:
            return self.fetched.pop(path)
        url = f"{self.where}/{path}"
        request = urllib.request.Request(
            url, headers={"Accept-Encoding": ACCEPT_ENCODING, "User-Agent": "ocop-ledger-audit"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body: bytes = response.read(limit + 1)
                encoding = (response.headers.get("Content-Encoding") or "identity").lower()
        except urllib.error.HTTPError as exc:
            with exc:
                error = Missing if exc.code == 404 else FetchError
                raise error(f"GET {url}: HTTP {exc.code} {exc.reason}", exc.code) from None
        except (OSError, ValueError) as exc:  # URLError, refused, reset, timed out, bad URL
            raise FetchError(f"GET {url}: {getattr(exc, 'reason', exc)}") from None
        encoding = encoding.strip()
        if encoding in ("gzip", "x-gzip"):
            return gunzip(body, limit, f"GET {url}")
        if encoding != "identity":
            raise FetchError(f"GET {url}: unsupported Content-Encoding {encoding!r}")
        if len(body) > limit:
            raise FetchError(f"GET {url}: answer larger than {limit} bytes")
        return body


class DirectorySource(TileSource):
    """Files of a static mirror in a local directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.where = str(directory)

    def read(self, path: str, limit: int) -> bytes:
        file = self.directory / path
        try:
            try:
                data = _read_at_most(file, limit)
            except FileNotFoundError:
                return gunzip(_read_at_most(file.with_name(file.name + ".gz"), limit), limit, path)
        except FileNotFoundError:
            raise Missing(f"{file}: no such file") from None
        except OSError as exc:
            raise FetchError(f"{file}: {exc}") from None
        if len(data) > limit:
            raise FetchError(f"{file}: larger than {limit} bytes")
        return data


def _read_at_most(file: Path, limit: int) -> bytes:
    with file.open("rb") as fp:
        return fp.read(limit + 1)


def open_source(location: str, timeout: float = 30.0) -> TileSource:
    """The log at `location`: an http(s) URL prefix, a ``file:`` URL or a directory.

    A URL whose ``checkpoint`` answers a client error (4xx) but whose ``ledger/checkpoint`` does
    not (the base URL of the application rather than its ``/ledger`` prefix) is read below
    ``/ledger``.
    """
    scheme = urllib.parse.urlsplit(location).scheme.lower()
    if scheme in ("http", "https"):
        source = HttpSource(location, timeout)
        if source.where.endswith("/ledger"):
            return source
        for candidate in (source, HttpSource(source.where + "/ledger", timeout)):
            try:
                candidate.fetched["checkpoint"] = candidate.read("checkpoint", MAX_NOTE_BYTES)
            except FetchError as exc:
                if exc.status is not None and 400 <= exc.status < 500:
                    continue
                raise
            return candidate
        return source  # whose checkpoint the caller then reports missing
    if scheme == "file":
        return DirectorySource(
            Path(urllib.request.url2pathname(urllib.parse.urlsplit(location).path))
        )
    if scheme and len(scheme) > 1:  # "C:" is a drive, not a scheme
        raise FetchError(f"{location}: expected an http(s) URL, a file: URL or a directory")
    directory = Path(location)
    if not directory.is_dir():
        raise FetchError(f"{location}: no such directory")
    return DirectorySource(directory)
