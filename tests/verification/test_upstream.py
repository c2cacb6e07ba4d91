"""One step back: a processed product's page shows its input batches, proven like the rest."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session
from support.story import demo_links, processed_link
from verify_support import verify

from traceapp.batches.models import Batch
from traceapp.batches.services import BatchInput, create_batch
from traceapp.db.sessions import get_database
from traceapp.gs1.digital_link import DigitalLink
from traceapp.ledger_runtime import get_ledger
from traceapp.locations.models import Location
from traceapp.producers.models import Producer
from traceapp.producers.services import producer_key
from traceapp.products.models import Product
from traceapp.verification.upstream import MAX_INPUTS


def test_processed_product_shows_its_input_batch(app: Flask, runner: FlaskCliRunner) -> None:
    link = processed_link(app, runner)
    view = verify(app, link)
    up = view.upstream
    assert up is not None and up.more == 0
    (raw,) = up.inputs
    assert raw.product.name_vi == "Củ đảng sâm tươi (nguyên liệu)"
    assert raw.batch is not None and raw.batch.lot == "DS2610R"
    assert raw.batch.origin == "Vùng trồng đảng sâm A Xan"
    assert raw.producer.name == view.producer.name
    steps = [s.biz_step for s in raw.journey]
    assert steps == ["harvesting"]
    assert raw.journey[0].biz_location is not None
    assert raw.journey[0].biz_location.name == "Vùng trồng đảng sâm A Xan"
    # The raw-material area comes from the input, the workshop is where it was processed.
    assert view.batch is not None
    assert view.batch.origin == "Vùng trồng đảng sâm A Xan"
    assert view.batch.processed_at == "Xưởng chế biến HTX Tây Giang"
    # Every input entry is proven against the checkpoint.
    subjects = {e.subject for e in view.proofs.entries}
    assert {"input_batch", "input_event", "input_product", "input_location"} <= subjects
    assert view.proofs.all_verified
    assert not view.warnings or all(w.code != "projection_mismatch" for w in view.warnings)


def test_a_product_made_from_nothing_has_no_upstream(app: Flask, runner: FlaskCliRunner) -> None:
    others = [link for name, link in demo_links(app, runner).items() if "đảng sâm" not in name]
    assert others
    for link in others:
        view = verify(app, link)
        assert view.upstream is None
        assert view.batch is None or view.batch.processed_at is None


def test_page_shows_one_step_back(app: Flask, runner: FlaskCliRunner) -> None:
    link = processed_link(app, runner)
    page = app.test_client().get(link.path, headers={"Accept": "text/html"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="upstream"' in html
    assert "Củ đảng sâm tươi (nguyên liệu)" in html
    assert "DS2610R" in html
    upstream = html[html.index('id="upstream"') :]
    assert "Vùng trồng đảng sâm A Xan" in upstream
    assert "Xưởng chế biến HTX Tây Giang" in html
    data = app.test_client().get(link.path, headers={"Accept": "application/json"}).get_json()
    assert data["batch"]["origin"] == "Vùng trồng đảng sâm A Xan"
    assert data["upstream"]["inputs"][0]["batch"]["lot"] == "DS2610R"


def test_bundle_proves_the_inputs(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    link = processed_link(app, runner)
    view = verify(app, link)
    response = app.test_client().get("/ledger/bundle" + link.path)
    assert response.status_code == 200
    bundle = response.get_json()
    bundled = {e["index"] for e in bundle["entries"]}
    inputs = {e.seq for e in view.proofs.entries if e.subject.startswith("input_")}
    assert inputs and inputs <= bundled
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    vkey = app.test_client().get("/ledger/vkey").get_data(as_text=True).strip()
    done = subprocess.run(
        [sys.executable, "-m", "ledger", "verify-bundle", str(path), "--vkey", vkey],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _raw_and_tea(session: Session) -> tuple[Product, Product, str, str]:
    """The demo's raw-material product, the tea made from it, a place of theirs, their key."""
    raw = session.execute(
        select(Product).where(Product.name_vi == "Củ đảng sâm tươi (nguyên liệu)")
    ).scalar_one()
    tea = session.execute(select(Product).where(Product.name_vi == "Trà đảng sâm")).scalar_one()
    place = session.execute(
        select(Location.public_id)
        .join(Batch, Batch.origin_location_id == Location.id)
        .where(Batch.product_id == raw.id)
    ).scalar_one()
    producer = session.execute(
        select(Producer.public_id).where(Producer.id == raw.producer_id)
    ).scalar_one()
    return raw, tea, place, producer_key(session, producer)


def test_many_inputs_show_ten_and_say_how_many_more(app: Flask, runner: FlaskCliRunner) -> None:
    processed_link(app, runner)
    ledger = get_ledger(app)
    with get_database(app).write() as session:
        raw, tea, place, key = _raw_and_tea(session)
        inputs = [
            create_batch(
                session, ledger, key,
                BatchInput(raw.public_id, f"R{n:02d}", date(2026, 10, 1), None, "10", "kg", place),
            ).public_ids[0]
            for n in range(12)
        ]  # fmt: skip
        create_batch(
            session, ledger, key,
            BatchInput(tea.public_id, "TMIX", date(2026, 11, 2), None, "50", "hộp", place, inputs),
        )  # fmt: skip
        tea_gtin = tea.gtin
    link = DigitalLink(tea_gtin, "TMIX")
    view = verify(app, link)
    assert view.upstream is not None
    assert len(view.upstream.inputs) == MAX_INPUTS and view.upstream.more == 2
    assert [i.batch.lot for i in view.upstream.inputs if i.batch] == [
        f"R{n:02d}" for n in range(10)
    ]
    assert view.proofs.all_verified
    assert all(w.code != "projection_mismatch" for w in view.warnings)
    html = app.test_client().get(link.path, headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "và 2 lô nguyên liệu khác" in html
    english = app.test_client().get(link.path + "?lang=en", headers={"Accept": "text/html"})
    assert "and 2 more input batches" in english.get_data(as_text=True)


def test_one_step_only_and_never_forward(app: Flask, runner: FlaskCliRunner) -> None:
    """The raw lot's own page shows no inputs: the tea that consumed it is a step forward."""
    processed_link(app, runner)
    with get_database(app).read_sessions() as session:
        raw, _, _, _ = _raw_and_tea(session)
        raw_gtin = raw.gtin
    view = verify(app, DigitalLink(raw_gtin, "DS2610R"))
    assert view.upstream is None
    assert view.batch is not None and view.batch.processed_at is None
