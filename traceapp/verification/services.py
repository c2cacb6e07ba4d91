"""verify_code: the shopper's view of a scanned code, every shown entry proven (DESIGN §3).

No Flask here: the resolver page, its JSON and GraphQL ``verifyItem`` all call this.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from traceapp.gs1.digital_link import DigitalLink
from traceapp.ledger_store.writer import Ledger
from traceapp.scans import services as scans
from traceapp.scans.clones import CloneFindings, RecentFacts, Tally, assess
from traceapp.scans.group import GroupCommit
from traceapp.verification.loading import CodeNotFound
from traceapp.verification.model import (
    CertificateView,
    CloneAssessment,
    Notice,
    ScanSummary,
    Verification,
)
from traceapp.verification.snapshot import Snapshot, snapshot

__all__ = [
    "CodeNotFound",
    "ViewBeforeScans",
    "finish",
    "observe_scans",
    "prepare",
    "record_scan",
    "scan_facts",
    "verify_code",
    "verify_scanned_item",
]

EXPIRY_SOON = timedelta(days=30)


def verify_code(
    session: Session,
    ledger: Ledger,
    link: DigitalLink,
    *,
    today: date,
    now: datetime,
    client: str | None,
    record_scan: bool,
) -> Verification:
    """The verified view of what ``link`` identifies (product, batch or item).

    ``client`` is the scanner's fingerprint (``scans.clones.client_fingerprint``), never an IP.
    With ``record_scan`` (items only) a Scan row is added to ``session``, which must then be
    a write session the caller commits. Raises CodeNotFound for an unknown code.
    """
    prepared = prepare(session, ledger, link, today=today)
    tally, recent = None, None
    if prepared.snapshot.item is not None:
        tally, recent = observe_scans(session, prepared, now=now, client=client, record=record_scan)
    return finish(prepared, now=now, tally=tally, recent=recent)


def verify_scanned_item(
    reads: Session,
    ledger: Ledger,
    link: DigitalLink,
    *,
    scan_writer: GroupCommit,
    today: date,
    now: datetime,
    client: str | None,
) -> Verification:
    """The view of a scanned item, its scan recorded (CodeNotFound for an unknown code).

    The view is prepared from the read session (cached per checkpoint), whose read transaction
    then ends; the scan's statements run in a write transaction shared with concurrent scans
    (``scan_writer``: one commit for all of them); what the clone rules read from the latest
    scans is read after it, outside the lock.
    """
    prepared = prepare(reads, ledger, link, today=today)
    scan_writer.database.end_read(reads)
    item = prepared.snapshot.item
    assert item is not None
    tally = scan_writer.run(
        lambda writes: record_scan(writes, prepared, now=now, client=client),
        order=item.public_id,
    )
    recent = scan_facts(reads, prepared, tally)
    return finish(prepared, now=now, tally=tally, recent=recent)


@dataclass(frozen=True)
class ViewBeforeScans:
    """The view as of the latest checkpoint and today's date, before the scans are read."""

    link: DigitalLink
    snapshot: Snapshot
    certificates: tuple[CertificateView, ...]
    ocop: CertificateView | None
    warnings: tuple[Notice, ...]

    @property
    def scan_result(self) -> str:
        return "warning" if self.warnings else "ok"


def prepare(session: Session, ledger: Ledger, link: DigitalLink, *, today: date) -> ViewBeforeScans:
    """Everything but the scans: the cached ledger snapshot (one query when cached), with
    certificate states and warnings as of ``today``. CodeNotFound for an unknown code."""
    snap = snapshot(session, ledger, link, today)
    certificates, ocop = snap.certificate_views(today)
    return ViewBeforeScans(link, snap, certificates, ocop, _warnings(snap, link, ocop, today))


def observe_scans(
    session: Session,
    prepared: ViewBeforeScans,
    *,
    now: datetime,
    client: str | None,
    record: bool,
) -> tuple[Tally, RecentFacts]:
    """The item's scan totals (after recording this scan when ``record``) and what the clone
    rules need from its latest scans. ``session`` must be a write session to record."""
    if record:
        tally = record_scan(session, prepared, now=now, client=client)
    else:
        snap = prepared.snapshot
        assert snap.item is not None
        tally = scans.tally(session, snap.item.public_id)
    return tally, scan_facts(session, prepared, tally)


def record_scan(
    session: Session, prepared: ViewBeforeScans, *, now: datetime, client: str | None
) -> Tally:
    """Record this scan of the item (``session``: a write session); its totals including it."""
    item = prepared.snapshot.item
    assert item is not None
    return scans.record(
        session,
        item.public_id,
        at=now,
        client=client or "unknown",
        agent=None,
        result=prepared.scan_result,
    )


def scan_facts(session: Session, prepared: ViewBeforeScans, tally: Tally) -> RecentFacts:
    """What the clone rules need from the item's latest scans (``scans.stored_facts``)."""
    snap = prepared.snapshot
    assert snap.item is not None
    return scans.stored_facts(
        session,
        snap.item.public_id,
        status=snap.item.status,
        status_changed_at=snap.status_changed_at,
        tally=tally,
    )


def finish(
    prepared: ViewBeforeScans,
    *,
    now: datetime,
    tally: Tally | None,
    recent: RecentFacts | None,
) -> Verification:
    """The Verification: the prepared view plus the scan summary and clone signals."""
    snap, link = prepared.snapshot, prepared.link
    summary, clone = None, None
    if snap.item is not None and tally is not None and recent is not None:
        summary = ScanSummary(tally.count, tally.first_at, tally.clients)
        clone = _clone_view(
            assess(
                status=snap.item.status,
                status_changed_at=snap.status_changed_at,
                count=tally.count,
                clients=tally.clients,
                recent=recent,
            )
        )
    return Verification(
        kind=link.kind,
        code=link.element_string,
        path=link.path,
        product=snap.product,
        producer=snap.producer,
        certificates=prepared.certificates,
        ocop=prepared.ocop,
        batch=snap.batch,
        item=snap.item,
        journey=snap.journey,
        warnings=prepared.warnings,
        scans=summary,
        clone=clone,
        proofs=snap.proofs,
        checked_at=now,
        upstream=snap.upstream,
    )


def _clone_view(findings: CloneFindings) -> CloneAssessment:
    """The clone rules' findings as the view's notices (the page translates their codes)."""
    if not findings.signals:
        return CloneAssessment(findings.level, ())
    notices = tuple(Notice(s.code, s.severity, s.params) for s in findings.signals)
    return CloneAssessment(findings.level, notices)


def _warnings(
    snap: Snapshot, link: DigitalLink, ocop: CertificateView | None, today: date
) -> tuple[Notice, ...]:
    warnings: list[Notice] = [*snap.integrity, *snap.recalls]
    if snap.suspension is not None:
        warnings.append(snap.suspension)
    item = snap.item
    if item is not None and item.status == "destroyed":
        warnings.append(Notice("destroyed", "danger"))
    if item is not None and item.status == "claimed":
        warnings.append(Notice("claimed", "warning"))
    batch = snap.batch
    if batch is not None and batch.expiry_date is not None:
        expiry = batch.expiry_date.isoformat()
        if today > batch.expiry_date:
            warnings.append(Notice("expired", "danger", {"date": expiry}))
        elif batch.expiry_date - today <= EXPIRY_SOON:
            days = str((batch.expiry_date - today).days)
            warnings.append(Notice("expires_soon", "warning", {"date": expiry, "days": days}))
    printed = link.expiry
    if batch is not None and printed is not None and printed != batch.expiry_date:
        recorded = batch.expiry_date.isoformat() if batch.expiry_date else ""
        warnings.append(
            Notice(
                "expiry_mismatch", "warning", {"printed": printed.isoformat(), "recorded": recorded}
            )
        )
    if ocop is None:
        warnings.append(Notice("no_ocop", "warning"))
    elif ocop.status in ("expired", "revoked"):
        revoked = ocop.status == "revoked"
        warnings.append(
            Notice(
                f"ocop_{ocop.status}",
                "danger" if revoked else "warning",
                {"date": ocop.valid_until.isoformat()},
            )
        )
    return tuple(warnings)
