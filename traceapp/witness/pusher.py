"""The pusher: asks each configured witness to cosign our newest checkpoint (c2sp.org/tlog-witness
``add-checkpoint``), keeps the cosignatures it verifies, and records how each witness answers.

It never runs inside an append: it reads the newest checkpoint after the fact, so a witness that
hangs or fails delays only its own cosignatures. One pusher per deployment, whatever the number of
processes and hosts: a lease row in the database (holder, expiry) names the one that pushes; the
others wait for it to expire.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ledger.cosignature import verify_cosignature
from ledger.errors import LedgerError
from ledger.keys import b64encode
from ledger.note import parse_note
from traceapp.db.sessions import Database
from traceapp.errors import DomainError
from traceapp.ledger_store import reads
from traceapp.witness.models import (
    StoredCosignature,
    WitnessLease,
    WitnessPushStatus,
    insert_missing,
)
from traceapp.witness.settings import WitnessTarget

logger = logging.getLogger(__name__)
LEASE_NAME = "witness-pusher"
MAX_RESPONSE = 64 * 1024


class PushFailed(Exception):
    """A push that got no cosignature: what happened, for the status row and the log."""


@dataclass(frozen=True)
class _Cosigned:
    """A verified cosignature line of the checkpoint at ``size``."""

    size: int
    line: str
    timestamp: int


@dataclass
class _Progress:
    """What this pusher knows of one witness: the size it has, what it cosigned, when to retry."""

    size: int
    cosigned: int = -1
    failures: int = 0
    next_try: float = 0.0


@dataclass(frozen=True)
class _Outcome:
    """One push, to be recorded: the witness's size and failures after it, and what it gave."""

    target: WitnessTarget
    size: int
    failures: int
    error: str | None
    cosigned: _Cosigned | None


class Pusher:
    """Pushes our log's newest checkpoint to witnesses while it holds the lease."""

    def __init__(
        self,
        database: Database,
        origin: str,
        witnesses: Sequence[WitnessTarget],
        *,
        holder: str | None = None,
        lease_seconds: float = 15.0,
        timeout: float = 5.0,
        max_backoff: float = 60.0,
        min_interval: float = 1.0,
    ) -> None:
        self.database, self.origin, self.witnesses = database, origin, tuple(witnesses)
        self.min_interval = min_interval
        self._pushed_at = float("-inf")  # when a watching round last pushed
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.lease_seconds, self.timeout, self.max_backoff = lease_seconds, timeout, max_backoff
        self._lease_until = 0.0
        self._progress: dict[str, _Progress] = {}

    # --- the lease -----------------------------------------------------------------------------

    def hold_lease(self) -> bool:
        """Take or renew the lease; False while another live pusher holds it."""
        if time.monotonic() < self._lease_until - self.lease_seconds * 2 / 3:
            return True  # renewed recently: no write
        now = datetime.now(UTC)
        expires = now + timedelta(seconds=self.lease_seconds)
        # Unsynced: a renewal lost to a power cut only lets the lease expire sooner.
        with self.database.write_unsynced() as session:
            insert_missing(
                session, WitnessLease, name=LEASE_NAME, holder=self.holder, expires_at=now
            )
            lease = session.execute(
                select(WitnessLease).where(WitnessLease.name == LEASE_NAME).with_for_update()
            ).scalar_one()
            if lease.holder != self.holder and lease.expires_at > now:
                self._lease_until = 0.0
                return False
            lease.holder, lease.expires_at = self.holder, expires
        self._lease_until = time.monotonic() + self.lease_seconds
        return True

    def release_lease(self) -> None:
        """Let another pusher take over at once (on a clean stop)."""
        with self.database.write() as session:
            lease = session.get(WitnessLease, LEASE_NAME, with_for_update=True)
            if lease is not None and lease.holder == self.holder:
                lease.expires_at = datetime.now(UTC)
        self._lease_until = 0.0

    # --- pushing -------------------------------------------------------------------------------

    def _progress_of(self, target: WitnessTarget) -> _Progress:
        progress = self._progress.get(target.name)
        if progress is None:
            with self.database.read_sessions() as session:
                row = session.get(WitnessPushStatus, target.name)
            progress = _Progress(size=row.size if row is not None else 0)
            self._progress[target.name] = progress
        return progress

    def due(self, target: WitnessTarget, size: int) -> bool:
        """Whether ``target`` has not cosigned ``size`` yet and is not backing off."""
        progress = self._progress_of(target)
        return progress.cosigned != size and time.monotonic() >= progress.next_try

    def _head(self) -> tuple[int, str]:
        """The newest checkpoint's size and signed note (one indexed read)."""
        with self.database.read_sessions() as session:
            size, _root, note = reads.latest_checkpoint_head(session, self.origin)
        return size, note

    def push(self, target: WitnessTarget, head: tuple[int, str] | None = None) -> int:
        """Push ``head`` (by default the newest checkpoint) to ``target``; the size it cosigned.
        Records the outcome; raises PushFailed (after recording it) when no cosignature came
        back."""
        outcome = self._attempt(target, head or self._head())
        self._record([outcome])
        if outcome.cosigned is None:
            raise PushFailed(outcome.error)
        return outcome.cosigned.size

    def _attempt(self, target: WitnessTarget, head: tuple[int, str]) -> _Outcome:
        """Push once and update what this pusher knows of ``target``; nothing is written."""
        progress = self._progress_of(target)
        try:
            cosigned = self._push(target, progress, head)
        except PushFailed as exc:
            progress.failures += 1
            delay = min(self.max_backoff, 0.5 * 2 ** (progress.failures - 1))
            progress.next_try = time.monotonic() + delay
            logger.warning("witness %s: %s (retry in %.1fs)", target.name, exc, delay)
            return _Outcome(target, progress.size, progress.failures, str(exc), None)
        progress.failures, progress.next_try, progress.cosigned = 0, 0.0, cosigned.size
        return _Outcome(target, progress.size, 0, None, cosigned)

    def _push(self, target: WitnessTarget, progress: _Progress, head: tuple[int, str]) -> _Cosigned:
        size, note = head
        for _attempt in range(3):  # a 409 says the size the witness has: resend from it
            if progress.size > size:
                raise PushFailed(
                    f"the witness has size {progress.size}, larger than this log's {size}: "
                    "it saw another tree of this origin"
                )
            with self.database.read_sessions() as session:
                proof = reads.consistency(session, self.origin, progress.size, size)
            body = "".join(
                [f"old {progress.size}\n", *(b64encode(h) + "\n" for h in proof), "\n", note]
            )
            status, content_type, answer = self._post(target, body.encode())
            if status == 409 and content_type.startswith("text/x.tlog.size"):
                progress.size = _size_of(answer)
                continue
            if status != 200:
                raise PushFailed(f"answered {status}: {answer[:200]!r}")
            cosigned = self._verified(target, note, size, answer)
            progress.size = size
            return cosigned
        raise PushFailed("the witness kept answering 409")

    def _post(self, target: WitnessTarget, body: bytes) -> tuple[int, str, bytes]:
        request = urllib.request.Request(
            target.url + "/add-checkpoint",
            data=body,
            method="POST",
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return (
                    response.status,
                    response.headers.get_content_type(),
                    response.read(MAX_RESPONSE),
                )
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.headers.get_content_type(), exc.read(MAX_RESPONSE)
        except (OSError, TimeoutError) as exc:  # URLError, refused, reset, timed out
            raise PushFailed(f"unreachable: {getattr(exc, 'reason', exc)}") from None

    def _verified(self, target: WitnessTarget, note: str, size: int, answer: bytes) -> _Cosigned:
        """The witness's cosignature on ``note``, verified; PushFailed when it does not verify."""
        try:
            cosigned = note + answer.decode("utf-8")
            cosignature = verify_cosignature(cosigned, target.verifier)
            ours = [
                s
                for s in parse_note(cosigned).signatures
                if (s.name, s.key_id) == (target.verifier.name, target.verifier.key_id)
            ]
        except (UnicodeDecodeError, LedgerError) as exc:
            raise PushFailed(f"its cosignature does not verify: {exc}") from None
        if cosignature.checkpoint.size != size:
            raise PushFailed("it cosigned another checkpoint")
        return _Cosigned(size, ours[0].line(), cosignature.timestamp)

    def _record(self, outcomes: Sequence[_Outcome]) -> None:
        """Store the cosignatures and the witnesses' status, in one transaction for all the
        pushes given (a watching pusher records a round's at once: one write, not one per
        witness). Unsynced on SQLite: both are re-made by the next push if a power cut loses
        them, and the write lock is released sooner for the appends."""
        if not outcomes:
            return
        now = datetime.now(UTC)
        with self.database.write_unsynced() as session:
            for outcome in outcomes:
                name, cosigned = outcome.target.name, outcome.cosigned
                if cosigned is not None:
                    insert_missing(
                        session,
                        StoredCosignature,
                        log=self.origin,
                        size=cosigned.size,
                        witness=name,
                        line=cosigned.line,
                        timestamp=cosigned.timestamp,
                    )
                insert_missing(session, WitnessPushStatus, witness=name, size=0, failures=0)
                row = session.get(WitnessPushStatus, name, with_for_update=True)
                assert row is not None
                row.size, row.failures = outcome.size, outcome.failures
                if outcome.error is None:
                    row.last_ok_at = now
                else:
                    row.last_error, row.last_error_at = outcome.error[:1000], now

    # --- running -------------------------------------------------------------------------------

    def run_once(self) -> list[str]:
        """One round, in this thread: if this pusher holds the lease, push the newest checkpoint
        to every witness that has not cosigned it; the names of the witnesses that did."""
        if not self.hold_lease():
            return []
        try:
            head = self._head()
        except DomainError:
            return []
        done: list[str] = []
        for target in self.witnesses:
            if not self.due(target, head[0]):
                continue
            try:
                self.push(target, head)
            except PushFailed:
                continue
            done.append(target.name)
        return done

    def watch(self, stop: threading.Event, interval: float = 0.2) -> None:
        """Push until ``stop`` is set: each witness in its own thread, so one that hangs delays
        only itself; the lease is renewed between rounds and released at the end.

        A round every ``interval`` reads the newest checkpoint (one indexed read). At most once
        per ``min_interval`` it is pushed, the same checkpoint to every witness that has not
        cosigned it (the quorum needs cosignatures on one checkpoint), so a busy log costs each
        witness one push a second, not one per append; the round's outcomes are written in one
        transaction."""
        running: dict[str, Future[_Outcome]] = {}
        with ThreadPoolExecutor(max_workers=max(1, len(self.witnesses))) as pool:
            while not stop.is_set():
                began = time.monotonic()
                try:
                    self._round(pool, running)
                    if running:  # record the pushes as soon as they all answer, in one write
                        futures.wait(list(running.values()), timeout=interval)
                    finished = [name for name, future in running.items() if future.done()]
                    self._record([running[name].result() for name in finished])
                    for name in finished:
                        del running[name]
                except Exception:  # the database may be away for a while: keep watching
                    logger.exception("witness pusher round failed")
                stop.wait(max(0.0, interval - (time.monotonic() - began)))
            for future in running.values():
                future.cancel()
        self.release_lease()

    def _round(self, pool: ThreadPoolExecutor, running: dict[str, Future[_Outcome]]) -> None:
        now = time.monotonic()
        if not self.hold_lease() or now < self._pushed_at + self.min_interval:
            return
        try:
            head = self._head()
        except DomainError:
            return  # no checkpoint yet
        for target in self.witnesses:
            if target.name not in running and self.due(target, head[0]):
                running[target.name] = pool.submit(self._attempt, target, head)
                self._pushed_at = now


def _size_of(answer: bytes) -> int:
    """The body of a 409: the witness's tree size in decimal and a newline (text/x.tlog.size)."""
    text = answer.decode("ascii", errors="replace").strip()
    if not text.isdigit() or len(text) > 19:
        raise PushFailed(f"answered 409 without a tree size: {answer[:50]!r}")
    return int(text)
