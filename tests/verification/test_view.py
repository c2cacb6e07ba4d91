"""verify_code: every field the shopper sees, certificate states, warnings, journey, proofs."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import select
from support.scenario import Scenario
from verify_support import GTIN, LOT, TODAY, verify

from ledger.merkle import leaf_hash
from traceapp.db.sessions import get_database
from traceapp.events.models import Event
from traceapp.events.services import declare_error
from traceapp.gs1.digital_link import DigitalLink
from traceapp.keys.services import admin_key_name
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.store import SqlHashStore
from traceapp.products.services import revoke_certification
from traceapp.recalls.services import RecallInput, issue_recall
from traceapp.verification import proofs
from traceapp.verification.loading import CodeNotFound
from traceapp.verification.proofs import check_entries


def _admin(app: Flask) -> str:
    with get_database(app).read_sessions() as session:
        return admin_key_name(session)


def test_item_view_has_every_circular_02_field(
    app: Flask, scenario: Scenario, serials: list[str]
) -> None:
    view = verify(app, DigitalLink(GTIN, LOT, serials[0]))
    assert view.kind == "item"
    # Product name, image, applied standards, other (group).
    assert view.product.name_vi == "Trà Shan tuyết Cổ thụ"
    assert view.product.name_en == "Ancient Shan Tuyet tea"
    assert view.product.image_url is None
    assert view.product.standards == ("TCVN 12850:2019", "VietGAP")
    assert view.product.group == "drinks"
    assert view.product.gtin == GTIN
    # Producer and its address as recorded.
    assert view.producer.name == "Hợp tác xã Chè Shan Tuyết Bản Mế"
    assert view.producer.kind == "cooperative"
    assert view.producer.address.province == "Lào Cai"
    assert view.producer.address.commune == "Xã Bản Mế"
    assert view.producer.address.street == "Thôn Na Pá"
    assert view.producer.address.recorded_on == date(2025, 7, 1)
    # Production time, shelf life, batch details, origin.
    assert view.batch is not None
    assert view.batch.lot == LOT
    assert view.batch.production_date == date(2026, 11, 2)
    assert view.batch.expiry_date == date(2028, 11, 2)
    assert view.batch.quantity == Decimal("120.5")
    assert view.batch.unit == "kg"
    assert view.batch.origin == "Đồi chè Na Pá"
    # Traceability code.
    assert view.code == f"(01){GTIN}(10){LOT}(21){serials[0]}"
    assert view.path == f"/01/{GTIN}/10/{LOT}/21/{serials[0]}"
    # Item.
    assert view.item is not None
    assert view.item.serial == serials[0]
    assert view.item.public_id == scenario.items[0]
    assert (view.item.status, view.item.has_pin, view.item.claimed) == ("active", True, False)
    # OCOP rating with issuer, decision and validity.
    assert view.ocop is not None
    assert (view.ocop.stars, view.ocop.status) == (4, "valid")
    assert view.ocop.issuer == "UBND tỉnh Lào Cai"
    assert view.ocop.issuer_level == "province"
    assert view.ocop.decision_number == "1234/QĐ-UBND"
    assert (view.ocop.issued_on, view.ocop.valid_until) == (date(2025, 3, 15), date(2028, 3, 15))
    assert [c.public_id for c in view.certificates] == [scenario.certification]
    assert view.warnings == ()
    assert view.scans is not None and view.scans.count == 0
    assert view.clone is not None and view.clone.level == "none"


def test_journey_in_time_order_in_local_time_with_place_names(
    app: Flask, scenario: Scenario, serials: list[str]
) -> None:
    view = verify(app, DigitalLink(GTIN, LOT, serials[1]))
    assert [s.biz_step for s in view.journey] == ["harvesting", "packing", "shipping"]
    times = [s.local_time for s in view.journey]
    assert times == sorted(times)
    first = view.journey[0]
    assert first.time_zone == "+07:00"
    assert first.local_time.utcoffset() == timedelta(hours=7)
    assert (first.local_time.hour, first.local_time.minute) == (6, 30)
    assert first.read_point is not None and first.read_point.name == "Đồi chè Na Pá"
    shipping = view.journey[2]
    assert [d.name for d in shipping.destinations] == ["Cửa hàng OCOP Sa Pa"]
    assert not any(s.corrected for s in view.journey)


def test_every_shown_entry_is_proven_against_the_latest_checkpoint(
    app: Flask, scenario: Scenario, serials: list[str]
) -> None:
    view = verify(app, DigitalLink(GTIN, LOT, serials[0]))
    proofs = view.proofs
    assert proofs.checkpoint_verified and proofs.all_verified
    subjects = {e.subject for e in proofs.entries}
    assert {"producer", "product", "certification", "batch", "items_issued", "event"} <= subjects
    assert {"location"} <= subjects
    event_seqs = {s.ledger_seq for s in view.journey}
    assert event_seqs <= {e.seq for e in proofs.entries}
    with get_database(app).read_sessions() as session:
        size = session.execute(select(LedgerEntry.seq).order_by(LedgerEntry.seq.desc())).first()
        assert size is not None and proofs.checkpoint_size == size[0] + 1
        for proof in proofs.entries:
            row = session.get(LedgerEntry, (get_ledger(app).origin, proof.seq))
            assert row is not None and row.type == proof.type
            assert proof.leaf_hash == base64.b64encode(leaf_hash(row.entry)).decode()


def test_a_wrong_stored_hash_fails_the_proof(
    app: Flask, scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Corrupted(SqlHashStore):
        def get_many(self, keys):  # type: ignore[no-untyped-def]
            return [
                bytes(32) if key[0] > 0 else h
                for key, h in zip(keys, super().get_many(keys), strict=True)
            ]

    with get_database(app).read_sessions() as session:
        assert check_entries(session, get_ledger(app), {4: "product"}).all_verified
        monkeypatch.setattr(proofs, "SqlHashStore", Corrupted)
        report = check_entries(session, get_ledger(app), {4: "product"})
    assert report.checkpoint_verified and not report.all_verified
    assert not report.entries[0].verified and "inclusion proof" in (report.entries[0].error or "")


def test_a_checkpoint_with_a_bad_signature_is_not_verified(
    app: Flask, scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = proofs.latest

    def forged(session, ledger):  # type: ignore[no-untyped-def]
        row = real(session, ledger)
        head, _, signature = row.note.rpartition("— ")
        name, _, sig = signature.partition(" ")
        flipped = ("A" if sig[10] != "A" else "B").join((sig[:10], sig[11:]))
        return SimpleNamespace(
            note=f"{head}— {name} {flipped}", size=row.size, root_hash=row.root_hash
        )

    monkeypatch.setattr(proofs, "latest", forged)
    with get_database(app).read_sessions() as session:
        report = check_entries(session, get_ledger(app), {4: "product"})
    assert not report.checkpoint_verified and not report.all_verified


def test_batch_and_product_links_resolve(app: Flask, scenario: Scenario) -> None:
    batch = verify(app, DigitalLink(GTIN, LOT))
    assert batch.kind == "batch" and batch.item is None and batch.scans is None
    assert [s.biz_step for s in batch.journey] == ["harvesting", "packing", "shipping"]
    assert batch.proofs.all_verified
    product = verify(app, DigitalLink(GTIN))
    assert product.kind == "product" and product.batch is None and product.journey == ()
    assert product.ocop is not None and product.proofs.all_verified


def test_item_link_without_lot_resolves(app: Flask, scenario: Scenario, serials: list[str]) -> None:
    view = verify(app, DigitalLink(GTIN, serial=serials[2]))
    assert view.item is not None and view.item.serial == serials[2]
    assert view.batch is not None and view.batch.lot == LOT


@pytest.mark.parametrize(
    "link, field",
    [
        (DigitalLink("08938505974026"), "gtin"),
        (DigitalLink(GTIN, "NOPE"), "lot"),
        (DigitalLink(GTIN, LOT, "NOSUCHSERIAL"), "serial"),
        (DigitalLink(GTIN, serial="NOSUCHSERIAL"), "serial"),
    ],
)
def test_unknown_codes_raise_not_found(
    app: Flask, scenario: Scenario, link: DigitalLink, field: str
) -> None:
    with pytest.raises(CodeNotFound) as caught:
        verify(app, link)
    assert caught.value.field == field


def test_certificate_expired_and_revoked(
    app: Flask, scenario: Scenario, serials: list[str]
) -> None:
    link = DigitalLink(GTIN, LOT, serials[0])
    expired = verify(app, link, today=date(2028, 3, 16))
    assert expired.ocop is not None and expired.ocop.status == "expired"
    assert [w.code for w in expired.warnings] == ["ocop_expired"]
    assert expired.warnings[0].params == {"date": "2028-03-15"}
    with get_database(app).write() as session:
        revoke_certification(
            session, get_ledger(app), _admin(app), scenario.certification, "Vi phạm chất lượng"
        )
    revoked = verify(app, link)
    assert revoked.ocop is not None and revoked.ocop.status == "revoked"
    assert revoked.ocop.revoke_reason == "Vi phạm chất lượng"
    assert any(w.code == "ocop_revoked" and w.severity == "danger" for w in revoked.warnings)
    assert "certification_revoked" in {e.subject for e in revoked.proofs.entries}
    assert revoked.proofs.all_verified


def test_recall_warning(app: Flask, scenario: Scenario, serials: list[str]) -> None:
    with get_database(app).write() as session:
        issue_recall(
            session,
            get_ledger(app),
            scenario.producer_key,
            RecallInput(
                [scenario.batch],
                "Phát hiện nấm mốc",
                "high",
                datetime(2026, 11, 20, 3, 0, tzinfo=UTC),
            ),
        )
    view = verify(app, DigitalLink(GTIN, LOT, serials[0]))
    recall = [w for w in view.warnings if w.code == "recalled"]
    assert len(recall) == 1 and recall[0].severity == "danger"
    assert recall[0].params == {
        "reason": "Phát hiện nấm mốc",
        "severity": "high",
        "date": "2026-11-20",
    }
    assert view.item is not None and view.item.status == "recalled"
    assert "recall" in {e.subject for e in view.proofs.entries} and view.proofs.all_verified
    assert view.clone is not None
    assert view.clone.level == "none" and not view.clone.signals  # a recall is not a copy


@pytest.mark.parametrize(
    "today, printed, codes",
    [
        (date(2028, 11, 3), None, ["expired"]),
        (date(2028, 10, 20), None, ["expires_soon"]),
        (TODAY, date(2029, 1, 1), ["expiry_mismatch"]),
        (TODAY, date(2028, 11, 2), []),
    ],
)
def test_expiry_warnings(
    app: Flask,
    scenario: Scenario,
    serials: list[str],
    today: date,
    printed: date | None,
    codes: list[str],
) -> None:
    view = verify(app, DigitalLink(GTIN, LOT, serials[0], printed), today=today)
    assert [w.code for w in view.warnings if w.code.startswith("exp")] == codes


def test_corrected_event_is_shown_as_corrected(
    app: Flask, scenario: Scenario, serials: list[str]
) -> None:
    with get_database(app).read_sessions() as session:
        packing = session.execute(
            select(Event.event_id).where(Event.biz_step == "packing")
        ).scalar_one()
    with get_database(app).write() as session:
        declare_error(session, get_ledger(app), scenario.producer_key, packing, "incorrect_data")
    view = verify(app, DigitalLink(GTIN, LOT, serials[0]))
    packing_step = next(s for s in view.journey if s.biz_step == "packing")
    assert packing_step.corrected and packing_step.correction_reason == "incorrect_data"
    assert "event_correction" in {e.subject for e in view.proofs.entries}
    assert view.proofs.all_verified
