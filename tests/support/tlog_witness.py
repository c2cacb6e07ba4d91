"""A small tlog witness written from c2sp.org/tlog-witness, tlog-cosignature and signed-note,
independent of traceapp.witness and of ledger/: stdlib HTTP, ``hashlib`` and ``cryptography``.

It runs as a real HTTP server on a free port. ``mode`` makes it misbehave: "hang" (never answers
until ``release()``), "error" (500), or ``down()`` closes its socket. ``state`` is what it
cosigned last per origin: (size, root), so a test can give it a larger tree than the log's.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

EMPTY = hashlib.sha256(b"").digest()
DASH = "\u2014 "


def _key_id(name: str, kind: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()[:4]


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def consistent(m: int, n: int, old: bytes, new: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2, written out again."""
    if m == n:
        return not proof and old == new
    if m == 0:
        return not proof
    if m > n or (not proof and m != n):
        return False
    path = ([old] if m & (m - 1) == 0 else []) + proof
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old and sr == new


class TestWitness:
    """A witness for one log: its Ed25519 log key (type 0x01) under ``origin``."""

    __test__ = False  # not a pytest class

    def __init__(self, name: str, origin: str, log_public_key: bytes) -> None:
        self.name, self.origin = name, origin
        self._key = Ed25519PrivateKey.generate()
        public = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = _key_id(name, 0x04, public)
        self.vkey = (
            f"{name}+{self.key_id.hex()}+{base64.b64encode(bytes([0x04]) + public).decode()}"
        )
        self._log_key = Ed25519PublicKey.from_public_bytes(log_public_key)
        self._log_id = _key_id(origin, 0x01, log_public_key)
        self.state: dict[str, tuple[int, bytes]] = {}
        self.mode = "ok"
        self.requests: list[int] = []  # the status of each answer
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # --- the protocol --------------------------------------------------------------------------

    def answer(self, body: bytes) -> tuple[int, str, bytes]:
        try:
            text = body.decode()
            head, _, note = text.partition("\n\n")
            lines = head.split("\n")
            if not lines[0].startswith("old ") or not _:
                return 400, "text/plain", b"bad request\n"
            old = int(lines[0][4:])
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
            split = note.rindex("\n\n")
            msg, sigs = note[: split + 1], note[split + 2 :].splitlines()
            origin, size_line, root_line = msg.splitlines()[:3]
            size, root = int(size_line), base64.b64decode(root_line, validate=True)
        except (ValueError, UnicodeDecodeError):
            return 400, "text/plain", b"malformed\n"
        if origin != self.origin:
            return 404, "text/plain", b"unknown log\n"
        signed = False
        for line in sigs:
            name, _, b64 = line[len(DASH) :].partition(" ")
            raw = base64.b64decode(b64)
            if name == self.origin and raw[:4] == self._log_id:
                try:
                    self._log_key.verify(raw[4:], msg.encode())
                except InvalidSignature:
                    return 403, "text/plain", b"bad log signature\n"
                signed = True
        if not signed:
            return 403, "text/plain", b"not signed by the log\n"
        if old > size:
            return 400, "text/plain", b"old > size\n"
        with self._lock:  # the check and the update are one step
            have_size, have_root = self.state.get(origin, (0, EMPTY))
            if old != have_size:
                return 409, "text/x.tlog.size", f"{have_size}\n".encode()
            if not consistent(old, size, have_root, root, proof):
                return 422, "text/plain", b"inconsistent\n"
            self.state[origin] = (size, root)
        stamp = int(time.time())
        signature = self._key.sign(f"cosignature/v1\ntime {stamp}\n{msg}".encode())
        payload = self.key_id + struct.pack(">Q", stamp) + signature
        return (
            200,
            "text/plain",
            f"{DASH}{self.name} {base64.b64encode(payload).decode()}\n".encode(),
        )

    # --- serving -------------------------------------------------------------------------------

    def start(self) -> str:
        """Serve on a free port; the submission prefix."""
        witness = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if witness.mode == "hang":
                    witness._released.wait(30)
                status, kind, data = (
                    (500, "text/plain", b"boom\n")
                    if witness.mode == "error"
                    else witness.answer(body)
                    if self.path == "/add-checkpoint"
                    else (404, "text/plain", b"no such path\n")
                )
                witness.requests.append(status)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.url

    def release(self) -> None:
        self._released.set()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
