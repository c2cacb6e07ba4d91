"""A webhook receiver for the subscription tests: a small threaded HTTP server that keeps
every delivery it got and answers as the test says (status, delay)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from traceapp.subscriptions.sender import sign


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: bool = False
    received_at: float = 0.0  # time.time() when the request arrived

    @property
    def document(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded

    @property
    def events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.document["epcisBody"]["queryResults"]["resultsBody"][
            "eventList"
        ]
        return events

    def signed_with(self, secret: str) -> bool:
        return self.headers.get("gs1-signature") == sign(secret, self.body)


@dataclass
class Receiver:
    url: str = ""
    status: int = 200
    delay: float = 0.0  # seconds before answering (a slow subscriber)
    got: list[Delivery] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acknowledged(self) -> list[Delivery]:
        with self.lock:
            return [d for d in self.got if d.answered]


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            headers = {k.lower(): v for k, v in self.headers.items()}  # names are case-blind
            delivery = Delivery(self.path, headers, self.rfile.read(length), False, time.time())
            with receiver.lock:
                receiver.got.append(delivery)
                status, delay = receiver.status, receiver.delay
            receiver.arrived.set()
            if delay:
                threading.Event().wait(delay)
            delivery.answered = 200 <= status < 300  # before the sender can see the answer
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                delivery.answered = False  # the sender is gone (killed)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server
