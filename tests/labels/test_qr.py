"""QR symbols: identical to qrcode's own, and readable by a real decoder (zxing-cpp)."""

from __future__ import annotations

import io
import random
import re
import string
import xml.etree.ElementTree as ET

import pytest
import qrcode  # type: ignore[import-untyped]
import qrcode.util  # type: ignore[import-untyped]
import zxingcpp
from PIL import Image, ImageDraw

from traceapp.labels.qr import (
    QUIET_ZONE,
    _layout,
    _penalty,
    encode,
    qr_matrix,
    qr_png,
    qr_svg,
)

ITEM_URI = (
    "https://truyxuat.ocop.example.vn/01/09521234543213/10/LOT-2026-001/21/7K3M9Q2XWZ4P?17=271231"
)
ESCAPED_URI = "https://truyxuat.ocop.example.vn/01/09521234543213/10/A%2FB%2BC%25D%26E/21/7K3M9Q2X"


def reference_matrix(data: str) -> list[list[bool]]:
    """What qrcode itself makes, with its own (slow) mask selection."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(data)
    qr.make(fit=True)
    matrix: list[list[bool]] = qr.get_matrix()
    return matrix


def sample_data(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%"
    lengths = [1, 5, 17, 40, 90, 150, 250, 400]
    return ["".join(rng.choice(alphabet) for _ in range(rng.choice(lengths))) for _ in range(count)]


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize("data", [ITEM_URI, ESCAPED_URI, "0", *sample_data(60, seed=7)])
def test_symbol_is_exactly_what_qrcode_makes(data: str) -> None:
    assert qr_matrix(data) == reference_matrix(data)


def test_every_mask_and_version_with_version_information_is_covered() -> None:
    symbols = [encode(data) for data in sample_data(120, seed=11)]
    assert {symbol.mask for symbol in symbols} == set(range(8))
    assert max(symbol.version for symbol in symbols) >= 7  # version information blocks


@pytest.mark.parametrize("data", [ITEM_URI, *sample_data(4, seed=3)])
def test_penalties_equal_qrcode_lost_point_for_all_masks(data: str) -> None:
    symbol = encode(data)
    layout = _layout(symbol.version)
    for mask in range(8):
        qr = qrcode.QRCode(
            version=symbol.version, error_correction=qrcode.constants.ERROR_CORRECT_M
        )
        qr.add_data(data)
        qr.makeImpl(True, mask)  # the trial symbol qrcode scores: format information blank
        bits = "".join("1" if module else "0" for row in reversed(qr.modules) for module in row)
        assert _penalty(int(bits, 2), layout) == qrcode.util.lost_point(qr.modules)


def test_matrix_shape_has_no_quiet_zone() -> None:
    symbol = encode(ITEM_URI)
    matrix = qr_matrix(ITEM_URI)
    assert len(matrix) == symbol.size == 4 * symbol.version + 17
    assert all(len(row) == symbol.size for row in matrix)
    assert matrix[0][:7] == [True] * 7  # finder pattern in the corner
    assert all(isinstance(module, bool) for row in matrix for module in row)


def test_dark_rectangles_cover_the_dark_modules_exactly() -> None:
    symbol = encode(ITEM_URI)
    covered: list[tuple[int, int]] = []
    for col, row, width, height in symbol.dark_rectangles():
        covered.extend((r, c) for r in range(row, row + height) for c in range(col, col + width))
    dark = {(r, c) for r in range(symbol.size) for c in range(symbol.size) if symbol.is_dark(r, c)}
    assert len(covered) == len(set(covered))  # no overlaps
    assert set(covered) == dark
    assert len(symbol.dark_rectangles()) < len(dark) / 2


@pytest.mark.parametrize("uri", [ITEM_URI, ESCAPED_URI])
def test_png_decodes_to_the_exact_uri(uri: str) -> None:
    png = qr_png(uri)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert decode(image) == [uri]


def test_png_geometry_and_quiet_zone() -> None:
    symbol = encode(ITEM_URI)
    image = Image.open(io.BytesIO(qr_png(ITEM_URI, box_size=3, border=QUIET_ZONE))).convert("L")
    width = (symbol.size + 2 * QUIET_ZONE) * 3
    assert image.size == (width, width)
    pixels = image.load()
    assert pixels is not None
    for row in range(symbol.size):
        for col in range(symbol.size):
            x, y = (col + QUIET_ZONE) * 3 + 1, (row + QUIET_ZONE) * 3 + 1
            assert (pixels[x, y] == 0) == symbol.is_dark(row, col)
    margin = [pixels[x, y] for x in range(width) for y in range(QUIET_ZONE * 3)]
    assert set(margin) == {255}


def test_png_is_deterministic_and_checks_arguments() -> None:
    assert qr_png(ITEM_URI) == qr_png(ITEM_URI)
    assert qr_png(ITEM_URI) != qr_png(ESCAPED_URI)
    assert Image.open(io.BytesIO(qr_png(ITEM_URI, box_size=1, border=0))).size == (37, 37)
    with pytest.raises(ValueError):
        qr_png(ITEM_URI, box_size=0)
    with pytest.raises(ValueError):
        qr_png(ITEM_URI, border=-1)


SUBPATH = re.compile(r"M(\d+),(\d+)H(\d+)V(\d+)H(\d+)z")


def svg_squares(svg: bytes) -> tuple[int, list[tuple[int, int, int, int]]]:
    """The viewBox size and the (x0, y0, x1, y1) squares of qrcode's single-path SVG."""
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    paths = root.findall("{http://www.w3.org/2000/svg}path")
    assert len(paths) == 1
    d = paths[0].attrib["d"]
    squares = [tuple(map(int, match.groups()[:4])) for match in SUBPATH.finditer(d)]
    assert "".join(match.group(0) for match in SUBPATH.finditer(d)) == d  # nothing else
    _, _, width, height = root.attrib["viewBox"].split()
    assert width == height
    return int(width), squares  # type: ignore[return-value]


@pytest.mark.parametrize("uri", [ITEM_URI, ESCAPED_URI])
def test_svg_modules_equal_the_matrix_and_decode(uri: str) -> None:
    svg = qr_svg(uri)
    assert svg.startswith(b"<?xml")
    size, squares = svg_squares(svg)
    matrix = qr_matrix(uri)
    assert size == len(matrix) + 2 * QUIET_ZONE
    drawn = {(y0 - QUIET_ZONE, x0 - QUIET_ZONE) for x0, y0, x1, y1 in squares}
    assert all((x1 - x0, y1 - y0) == (1, 1) for x0, y0, x1, y1 in squares)
    dark = {(r, c) for r, row in enumerate(matrix) for c, module in enumerate(row) if module}
    assert drawn == dark

    # Rasterise the SVG's own geometry and let the decoder read it.
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x0, y0, x1, y1 in squares:
        draw.rectangle((x0 * scale, y0 * scale, x1 * scale - 1, y1 * scale - 1), fill=0)
    assert decode(image) == [uri]


def test_svg_is_deterministic() -> None:
    assert qr_svg(ITEM_URI) == qr_svg(ITEM_URI)
