"""`traceapp labels`: a printable sheet whose every QR Code scans to its item's URI."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
import zxingcpp
from flask import Flask
from flask.testing import FlaskCliRunner
from pypdf import PdfReader
from sqlalchemy import select
from support.scenario import Scenario

from traceapp.batches.models import Item
from traceapp.db.sessions import get_database

BATCH_PATH = "/01/08938505974019/10/L2026-11A"


def item_uris(app: Flask, scenario: Scenario) -> set[str]:
    base = app.config["TRACEAPP"].public_url
    with get_database(app).read_sessions() as session:
        serials = session.execute(
            select(Item.serial).where(Item.public_id.in_(scenario.items))
        ).scalars()
        return {f"{base}{BATCH_PATH}/21/{serial}?17=281102" for serial in serials}


def decode_pages(pdf: bytes, dpi: int = 300) -> set[str]:
    document = pdfium.PdfDocument(pdf)
    found: set[str] = set()
    for page in document:
        image = page.render(scale=dpi / 72).to_pil()
        found.update(result.text for result in zxingcpp.read_barcodes(image))
    return found


@pytest.mark.parametrize("reference", ["public_id", BATCH_PATH])
def test_sheet_for_the_scenario_batch(
    app: Flask, runner: FlaskCliRunner, scenario: Scenario, tmp_path: Path, reference: str
) -> None:
    output = tmp_path / "labels.pdf"
    batch = scenario.batch if reference == "public_id" else reference
    result = runner.invoke(args=["labels", batch, "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "wrote 5 labels on 1 page(s)" in result.output
    pdf = output.read_bytes()
    pages = PdfReader(io.BytesIO(pdf)).pages
    text = " ".join(" ".join(page.extract_text().split()) for page in pages)  # names may wrap
    assert text.count("Trà Shan tuyết Cổ thụ") == 5  # Vietnamese intact, NFC as stored
    assert text.count("★★★★☆") == 5  # the product's valid 4-star OCOP certificate
    assert text.count("L2026-11A") == 5
    assert decode_pages(pdf) == item_uris(app, scenario)


def test_custom_layout(
    app: Flask, runner: FlaskCliRunner, scenario: Scenario, tmp_path: Path
) -> None:
    output = tmp_path / "big.pdf"
    args = ["labels", scenario.batch, "-o", str(output), "--columns", "2", "--rows", "2"]
    args += ["--label-width", "90", "--label-height", "60", "--qr-size", "50"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    pdf = output.read_bytes()
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2  # 5 labels, 4 a page
    assert decode_pages(pdf, dpi=150) == item_uris(app, scenario)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bat_nope"], "no batch bat_nope"),
        (["/01/08938505974019/10/NOPE"], "no batch"),
        (["/01/08938505974019"], "batch link"),
        (["/01/08938505974018/10/X"], "last digit"),
        (["bat_x", "--qr-size", "30"], "QR Code does not fit"),
    ],
)
def test_bad_usage_exits_2(
    runner: FlaskCliRunner, scenario: Scenario, tmp_path: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(args=["labels", *args, "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "x.pdf").exists()
