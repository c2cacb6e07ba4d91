"""Label sheets: Vietnamese text survives, fonts are embedded, every QR Code scans."""

from __future__ import annotations

import dataclasses
import io
import unicodedata
from datetime import UTC, date, datetime
from typing import Any

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
import zxingcpp
from pypdf import PdfReader

from traceapp.gs1.digital_link import DigitalLink, format_uri
from traceapp.gs1.identifiers import new_serial, with_check_digit
from traceapp.labels.sheet import FONT_DIR, FONT_FILES, Label, SheetLayout, render_label_sheet

BASE = "https://truyxuat.ocop.example.vn"
TODAY = date(2026, 11, 28)
NAMES = ["Trà Shan tuyết Cổ thụ", "Mật ong bạc hà", "Nước mắm Phú Quốc"]
LOTS = ["TSH-2026/11", "MO+BH-07", "NM-PQ-0042"]
PT_TO_MM = 25.4 / 72


def make_labels(count: int, *, decompose_first_name: bool = False) -> list[Label]:
    labels = []
    for index in range(count):
        kind = index % len(NAMES)
        gtin = with_check_digit(f"089312345{kind:04d}")
        serial = new_serial()
        expiry = date(2027, 6 + kind, 30)
        uri = format_uri(BASE, DigitalLink(gtin, LOTS[kind], serial, expiry), today=TODAY)
        name = NAMES[kind]
        if decompose_first_name and kind == 0:
            name = unicodedata.normalize("NFD", name)  # as some keyboards and databases send it
        stars = (3, 4, 5)[kind] if index % 4 else None
        labels.append(Label(uri, name, LOTS[kind], serial, stars, expiry))
    return labels


@pytest.fixture(scope="module")
def labels() -> list[Label]:
    return make_labels(12, decompose_first_name=True)


@pytest.fixture(scope="module")
def pdf(labels: list[Label]) -> bytes:
    return render_label_sheet(labels)


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_vietnamese_names_come_back_intact_and_nfc(pdf: bytes) -> None:
    assert unicodedata.normalize("NFD", NAMES[0]) != NAMES[0]
    text = " ".join(page_texts(pdf)[0].split())  # names may wrap over two lines
    assert unicodedata.is_normalized("NFC", text)
    for name in NAMES:
        assert text.count(name) == 4
    assert unicodedata.normalize("NFD", NAMES[0]) not in text


def test_lots_serials_expiry_and_stars_are_printed(pdf: bytes, labels: list[Label]) -> None:
    text = page_texts(pdf)[0]
    lines = text.splitlines()
    for label in labels:
        assert f"Lô: {label.lot}" in lines
        assert f"SN: {label.serial}" in lines
        assert label.expiry is not None
        assert f"HSD: {label.expiry:%d/%m/%Y}" in lines
    for stars in (3, 4, 5):
        assert lines.count("★" * stars + "☆" * (5 - stars)) == 3
    assert text.count("★") == sum(label.stars or 0 for label in labels)


def test_font_sizes_are_legible() -> None:
    long_name = " ".join(["Bánh tráng phơi sương Trảng Bàng"] * 6)
    labels = [*make_labels(3), Label(BASE, long_name, "W" * 20, new_serial(), 5, TODAY)]
    sizes: dict[str, float] = {}

    def visit(text: str, cm: object, tm: object, font: object, size: float) -> None:
        if text.strip():
            sizes[text] = size

    PdfReader(io.BytesIO(render_label_sheet(labels))).pages[0].extract_text(visitor_text=visit)
    assert sizes[NAMES[1]] == 8.0
    assert sizes["★★★★☆"] == 7.0
    assert sizes[f"SN: {labels[0].serial}"] == 6.0
    assert min(sizes.values()) >= 4.0
    assert sizes[f"Lô: {'W' * 20}"] == 4.0


def test_fonts_are_embedded_truetype_subsets(pdf: bytes) -> None:
    resources: Any = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]
    fonts = [font.get_object() for font in resources["/Font"].values()]
    assert len(fonts) == len(FONT_FILES)
    for font in fonts:
        assert font["/Subtype"] == "/Type0"
        assert font["/BaseFont"].split("+")[1].startswith("DejaVuSansCondensed")
        descendant = font["/DescendantFonts"][0].get_object()
        assert "/FontFile2" in descendant["/FontDescriptor"].get_object()
    assert (FONT_DIR / "LICENSE").is_file()


def decode_pages(pdf: bytes, dpi: int = 300) -> list[set[str]]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [
            {
                result.text
                for result in zxingcpp.read_barcodes(page.render(scale=dpi / 72).to_pil())
                if result.format == zxingcpp.BarcodeFormat.QRCode
            }
            for page in document
        ]
    finally:
        document.close()


def test_every_qr_code_scans_to_its_uri(pdf: bytes, labels: list[Label]) -> None:
    assert decode_pages(pdf) == [{label.uri for label in labels}]


def test_a_full_sheet_and_a_second_page_all_scan() -> None:
    labels = make_labels(43)
    pdf = render_label_sheet(labels)
    pages = decode_pages(pdf, dpi=200)
    assert len(pages) == 2
    assert pages[0] == {label.uri for label in labels[:40]}
    assert pages[1] == {label.uri for label in labels[40:]}


def test_text_stays_inside_its_label_beside_the_qr_code(pdf: bytes) -> None:
    assert_text_inside(pdf)


def assert_text_inside(pdf: bytes) -> None:
    layout = SheetLayout()
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        page_height = page.get_height()
        text_page = page.get_textpage()
        boxes = [text_page.get_charbox(i) for i in range(text_page.count_chars())]
    finally:
        document.close()
    inked = [box for box in boxes if box[2] > box[0] and box[3] > box[1]]
    assert len(inked) > 400
    for left, bottom, right, top in inked:
        x0, x1 = left * PT_TO_MM, right * PT_TO_MM
        y0, y1 = (page_height - top) * PT_TO_MM, (page_height - bottom) * PT_TO_MM
        column = int((x0 - layout.margin_left_mm) // layout.label_width_mm)
        row = int((y0 - layout.margin_top_mm) // layout.label_height_mm)
        label_x, label_y = layout.origin(row * layout.columns + column)
        assert 0 <= column < layout.columns and 0 <= row < layout.rows
        assert x0 >= label_x + layout.padding_mm + layout.qr_size_mm - 0.2
        assert x1 <= label_x + layout.label_width_mm - layout.padding_mm + 0.2
        assert y0 >= label_y + layout.padding_mm - 0.5
        assert y1 <= label_y + layout.label_height_mm - layout.padding_mm + 0.5


def test_pins_print_in_a_scratch_box_with_the_scan_line() -> None:
    hint = "Quét để kiểm tra / Scan to verify"
    labels = [
        dataclasses.replace(label, pin=f"{index:08d}", hint=hint)
        for index, label in enumerate(make_labels(6))
    ]
    pdf = render_label_sheet(labels)
    assert_text_inside(pdf)
    lines = page_texts(pdf)[0].splitlines()
    for label in labels:
        assert label.pin in lines and f"SN: {label.serial}" in lines
    assert lines.count(hint) == lines.count("Cào lớp phủ / Scratch") == 6
    assert decode_pages(pdf) == [{label.uri for label in labels}]
    sizes: dict[str, float] = {}

    def visit(text: str, cm: object, tm: object, font: object, size: float) -> None:
        if text.strip():
            sizes[text] = size

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    assert sizes["00000001"] == 7.0 and min(sizes.values()) >= 4.0


def test_long_names_and_lots_still_fit() -> None:
    serial = new_serial()
    uri = format_uri(BASE, DigitalLink(with_check_digit("0893123450001"), "W" * 20, serial))
    long_name = " ".join(["Bánh tráng phơi sương Trảng Bàng"] * 6)
    pdf = render_label_sheet([Label(uri, long_name, "W" * 20, serial, 5)])
    text = page_texts(pdf)[0]
    assert "…" in text
    assert f"Lô: {'W' * 20}" in text.splitlines()
    assert decode_pages(pdf, dpi=200) == [{uri}]


def test_reproducible_with_a_fixed_creation_date(labels: list[Label]) -> None:
    created = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
    first = render_label_sheet(labels[:3], creation_date=created)
    assert first == render_label_sheet(labels[:3], creation_date=created)
    assert first.startswith(b"%PDF-")


def test_custom_layout() -> None:
    layout = SheetLayout(columns=2, rows=3, label_width_mm=70, label_height_mm=36, qr_size_mm=30)
    labels = make_labels(7)
    pdf = render_label_sheet(labels, layout)
    pages = decode_pages(pdf, dpi=150)
    assert [len(page) for page in pages] == [6, 1]
    assert layout.labels_per_page == 6


def test_invalid_input() -> None:
    with pytest.raises(ValueError):
        render_label_sheet([])
    with pytest.raises(ValueError):
        Label(BASE, "Mật ong", stars=6)
    with pytest.raises(ValueError):
        Label(BASE, "  ")
    with pytest.raises(ValueError):
        Label("", "Mật ong")
    with pytest.raises(ValueError):
        SheetLayout(columns=5)  # 5 x 48 mm is wider than A4
    with pytest.raises(ValueError):
        SheetLayout(qr_size_mm=26)  # taller than the label
    with pytest.raises(ValueError):
        SheetLayout(qr_size_mm=20, label_width_mm=25, label_height_mm=25)
