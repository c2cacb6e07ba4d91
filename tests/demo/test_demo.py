"""`traceapp demo`: realistic, idempotent, and every sample URL names a real item."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from traceapp import create_app
from traceapp.batches.models import Batch, BatchInput
from traceapp.batches.targets import find_target
from traceapp.config import get_settings
from traceapp.db.sessions import get_database
from traceapp.demo.data import load_samples
from traceapp.events.models import Event
from traceapp.gs1.digital_link import parse_uri
from traceapp.gs1.identifiers import is_valid_gtin
from traceapp.i18n import vietnam_today
from traceapp.ledger_store.models import LedgerEntry
from traceapp.media.store import open_store
from traceapp.producers.models import Producer
from traceapp.products.models import Certification, Product
from traceapp.recalls.models import Recall, RecallBatch

URI = re.compile(r"https?://\S+/01/\S+")


def entries(app: Flask) -> int:
    with get_database(app).read_sessions() as session:
        return session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()


@pytest.fixture
def demo_output(app: Flask, runner: FlaskCliRunner) -> str:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def session(app: Flask, demo_output: str) -> Session:
    with get_database(app).read_sessions() as session:
        yield session


def test_second_run_appends_nothing(app: Flask, runner: FlaskCliRunner, demo_output: str) -> None:
    assert "appended" in demo_output
    before = entries(app)
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert "nothing appended" in again.output
    assert entries(app) == before
    # The same sample items, minus the PINs that are shown only once.
    assert URI.findall(again.output) == URI.findall(demo_output)


def test_printed_urls_name_existing_items(app: Flask, demo_output: str, session: Session) -> None:
    base = app.config["TRACEAPP"].public_url
    uris = URI.findall(demo_output)
    assert len(uris) == 4
    client = app.test_client()
    for uri in uris:
        link = parse_uri(uri, base_url=base)
        target = find_target(session, link)
        assert target is not None and target.item is not None, uri
        assert client.get("/qr" + link.path + ".png").status_code == 200
    assert "--role admin" in demo_output and "auditor" in demo_output


def test_catalogue(session: Session) -> None:
    kinds = set(session.execute(select(Producer.kind)).scalars())
    assert kinds == {"enterprise", "cooperative", "household_business"}
    products = session.execute(select(Product)).scalars().all()
    assert len(products) == len(load_samples()) + 1  # the raw material of the transformation
    assert all(is_valid_gtin(p.gtin) and p.gtin.startswith("0893") for p in products)
    assert all(unicodedata.is_normalized("NFC", p.name_vi) for p in products)
    assert any(p.name_vi == "Bánh dừa nướng Quý Thu" for p in products)


def test_certificates(session: Session) -> None:
    today = vietnam_today()
    certificates = session.execute(select(Certification, Product.name_vi).join(Product)).all()
    status = {name: cert.status(today) for cert, name in certificates}
    assert status["Trà Sâm dây Ngọc Linh Lâm Thịnh"] == "expired"  # rated in 2020
    assert status["Bánh dừa nướng Quý Thu"] == "valid"  # QĐ 377 of 17/1/2025
    quy_thu = next(c for c, name in certificates if name == "Bánh dừa nướng Quý Thu")
    assert (quy_thu.stars, quy_thu.issuer_level) == (5, "national")
    assert quy_thu.issued_on == date(2025, 1, 17)
    # Rows rated "tiềm năng 5 sao" (not final) get no certificate.
    assert "Rượu Quốc tửu K5" not in status


def test_recall_transformation_and_correction(session: Session) -> None:
    recalled = (
        session.execute(select(Batch.lot).join(RecallBatch, RecallBatch.batch_id == Batch.id))
        .scalars()
        .all()
    )
    assert recalled == ["HT2610B"]
    assert session.execute(select(func.count()).select_from(Recall)).scalar_one() == 1
    transformations = (
        session.execute(select(Event).where(Event.type == "TransformationEvent")).scalars().all()
    )
    assert len(transformations) == 1
    assert "inputQuantityList" in transformations[0].document
    assert "outputEPCList" in transformations[0].document
    assert session.execute(select(func.count()).select_from(BatchInput)).scalar_one() == 1
    shipping = (
        session.execute(select(Event).where(Event.biz_step.like("%shipping"))).scalars().all()
    )
    wrong = [e for e in shipping if e.error_declared_seq is not None]
    # Three journeys ship once; the coconut cakes' shipment was recorded twice: wrong, fixed.
    assert len(shipping) == 4 and len(wrong) == 1
    fixed = [e for e in shipping if e.event_time == wrong[0].event_time and e is not wrong[0]]
    assert len(fixed) == 1 and fixed[0].ledger_seq > wrong[0].ledger_seq
    assert (
        session.execute(
            select(func.count()).select_from(Event).where(Event.error_declared_seq.is_not(None))
        ).scalar_one()
        == 1
    )


def test_sets_up_an_empty_database(tmp_path: Path) -> None:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
            "LOG_KEY_FILE": str(tmp_path / "log.key"),
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    try:
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        assert "upgrading to head" in result.output and "genesis" in result.output
        assert (tmp_path / "log.key").stat().st_mode & 0o777 == 0o600
        assert entries(app) > 50
    finally:
        get_database(app).dispose()


def test_products_with_sample_items_have_a_proven_photo(
    app: Flask, session: Session, demo_output: str
) -> None:
    store = open_store(get_settings(app))
    photographed = session.execute(select(Product).where(Product.photo_seq.is_not(None)))
    rows = photographed.scalars().all()
    assert rows
    for row in rows:
        assert row.photo is not None and row.photo_sha256 == row.photo["sha256"]
        for digest in (row.photo["sha256"], row.photo["jpeg"], row.photo["thumb"]["sha256"]):
            assert store.exists(digest)
    logos = session.execute(select(Producer).where(Producer.logo_seq.is_not(None)))
    assert logos.scalars().first() is not None
    first = URI.search(demo_output)
    assert first is not None
    page = app.test_client().get(urlsplit(first.group(0)).path, headers={"Accept": "text/html"})
    assert "<picture" in page.get_data(as_text=True)


def test_descriptions_are_clean_vietnamese_and_sources_kept_apart() -> None:
    """The shopper reads Vietnamese; where the data came from is in SOURCE.txt."""
    source = (Path(__file__).resolve().parents[2] / "traceapp/demo/SOURCE.txt").read_text("utf-8")
    english = re.compile(r"\b(inferred|stated|group|unknown|note|source|http|www)\b", re.I)
    for sample in load_samples():
        text = sample.description
        assert unicodedata.is_normalized("NFC", text)
        assert "://" not in text and not english.search(text), text
        assert "Ghi chú dữ liệu" not in text and "Nguồn:" not in text
        assert f"- {sample.gtin} {sample.name}\n  source: {sample.source_url}\n" in source
        if sample.quality_note:
            assert f"  note: {sample.quality_note}\n" in source
