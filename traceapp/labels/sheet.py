"""Printable A4 sheets of QR labels (PDF) for OCOP items, batches or products.

Each label carries the QR Code of its Digital Link URI, drawn as vector rectangles (sharp
at any printer resolution and far cheaper than embedding 1,000 images), and beside it the
product name with its Vietnamese diacritics, the OCOP stars, lot, serial and expiry, set
in DejaVu Sans Condensed, which is embedded (subset) so any viewer or printer shows it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import RenderStyle

from traceapp.labels.qr import QUIET_ZONE, encode

FONT_DIR = Path(__file__).parent / "fonts"
FONT_FAMILY = "DejaVuSansCondensed"
FONT_FILES = {"": "DejaVuSansCondensed.ttf", "B": "DejaVuSansCondensed-Bold.ttf"}

MAX_STARS = 5
PT_TO_MM = 25.4 / 72
LINE_SPACING = 1.15  # line height as a multiple of the font size
NAME_SIZES_PT = (8.0, 7.5, 7.0, 6.5, 6.0, 5.5, 5.0)
STARS_SIZE_PT = 7.0
DETAIL_SIZE_PT = 6.0
MIN_DETAIL_SIZE_PT = 4.0
PIN_SIZE_PT = 7.0
SCRATCH_CAPTION = "Cào lớp phủ / Scratch"
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class Label:
    """What one label shows. ``uri`` is the Digital Link the QR Code encodes."""

    uri: str
    product_name: str
    lot: str | None = None
    serial: str | None = None
    stars: int | None = None  # OCOP rating, 1-5 (programme levels are 3, 4 and 5)
    expiry: date | None = None
    hint: str | None = None  # one short line, e.g. "Quét để kiểm tra / Scan to verify"
    pin: str | None = None  # printed in a box under the scratch-off layer

    def __post_init__(self) -> None:
        if not self.uri:
            raise ValueError("a label needs the URI its QR Code encodes")
        if not self.product_name.strip():
            raise ValueError("a label needs a product name")
        if self.stars is not None and not 1 <= self.stars <= MAX_STARS:
            raise ValueError(f"OCOP stars must be 1..{MAX_STARS}, not {self.stars}")


@dataclass(frozen=True, slots=True)
class SheetLayout:
    """A grid of labels on a page; all lengths in millimetres.

    The default suits A4 sheets of 4 x 10 labels of 48 x 27 mm. ``qr_size_mm`` includes
    the QR Code's quiet zone of four modules, so the text may start right beside it.
    """

    columns: int = 4
    rows: int = 10
    label_width_mm: float = 48.0
    label_height_mm: float = 27.0
    margin_left_mm: float = 9.0
    margin_top_mm: float = 13.5
    gap_x_mm: float = 0.0
    gap_y_mm: float = 0.0
    qr_size_mm: float = 22.0
    padding_mm: float = 1.5
    page_width_mm: float = 210.0
    page_height_mm: float = 297.0
    outline: bool = False  # thin grey cut lines, for sheets that are not pre-cut

    def __post_init__(self) -> None:
        if self.columns < 1 or self.rows < 1:
            raise ValueError("a sheet needs at least one column and one row")
        right = (
            self.margin_left_mm
            + self.columns * self.label_width_mm
            + (self.columns - 1) * self.gap_x_mm
        )
        bottom = (
            self.margin_top_mm + self.rows * self.label_height_mm + (self.rows - 1) * self.gap_y_mm
        )
        if right > self.page_width_mm or bottom > self.page_height_mm:
            raise ValueError("the labels do not fit on the page")
        if self.qr_size_mm + 2 * self.padding_mm > min(self.label_height_mm, self.label_width_mm):
            raise ValueError("the QR Code does not fit in the label")
        if self.text_width_mm < 8:
            raise ValueError("the label leaves no room for text beside the QR Code")

    @property
    def labels_per_page(self) -> int:
        return self.columns * self.rows

    @property
    def text_width_mm(self) -> float:
        return self.label_width_mm - self.qr_size_mm - 2 * self.padding_mm

    def origin(self, index_on_page: int) -> tuple[float, float]:
        """Top-left corner of the label at ``index_on_page``, filled row by row."""
        row, column = divmod(index_on_page, self.columns)
        return (
            self.margin_left_mm + column * (self.label_width_mm + self.gap_x_mm),
            self.margin_top_mm + row * (self.label_height_mm + self.gap_y_mm),
        )


def render_label_sheet(
    labels: Sequence[Label],
    layout: SheetLayout = SheetLayout(),
    *,
    creation_date: datetime | None = None,
) -> bytes:
    """A PDF with ``labels`` laid out on as many pages as they need.

    ``creation_date`` fixes the PDF's date (otherwise now), making the output reproducible.
    """
    if not labels:
        raise ValueError("no labels to print")
    writer = _SheetWriter(layout, creation_date)
    for index, label in enumerate(labels):
        writer.add(label, index)
    return writer.output()


class _SheetWriter:
    """Draws labels onto one PDF document.

    Text widths are remembered: the labels of a batch repeat one name, rating, lot and
    expiry, and fpdf2 takes ~0.1 ms to measure a string.
    """

    def __init__(self, layout: SheetLayout, creation_date: datetime | None) -> None:
        self.layout = layout
        self.pdf = FPDF(unit="mm", format=(layout.page_width_mm, layout.page_height_mm))
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margin(0)
        self.pdf.set_title("OCOP labels")
        self.pdf.set_creator("traceapp")
        if creation_date is not None:
            self.pdf.set_creation_date(creation_date)
        for style, file_name in FONT_FILES.items():
            self.pdf.add_font(FONT_FAMILY, style, FONT_DIR / file_name)
        self.pdf.set_text_color(0)
        self.pdf.set_draw_color(190)
        self.pdf.set_line_width(0.1)
        self._unit_widths: dict[tuple[str, str], float] = {}  # (style, text) -> mm at 1 pt
        self._names: dict[tuple[str, float], tuple[float, list[str]]] = {}

    def output(self) -> bytes:
        return bytes(self.pdf.output())

    def add(self, label: Label, index: int) -> None:
        layout = self.layout
        index_on_page = index % layout.labels_per_page
        if index_on_page == 0:
            self.pdf.add_page()
        x, y = layout.origin(index_on_page)
        if layout.outline:
            self.pdf.rect(x, y, layout.label_width_mm, layout.label_height_mm, style=RenderStyle.D)
        self._draw_qr(label.uri, x + layout.padding_mm, y + layout.label_height_mm / 2)
        self._draw_text(label, x + layout.padding_mm + layout.qr_size_mm, y)

    def _draw_qr(self, uri: str, left: float, middle: float) -> None:
        symbol = encode(uri)
        pdf = self.pdf
        module = self.layout.qr_size_mm / (symbol.size + 2 * QUIET_ZONE)
        left += QUIET_ZONE * module
        top = middle - symbol.size * module / 2
        # fpdf2 has no public call that appends several path operators at once, and
        # FPDF.rect() costs ~10 us a call, ~300 calls a symbol: a third of the time budget
        # of a print run. So each symbol is one content-stream chunk in module units under
        # a "cm" transform (y grows downwards, as in the matrix), filled as one path, which
        # also leaves no hairline seams between touching rectangles. q/Q keeps fpdf2's
        # graphics state intact.
        scale = module * pdf.k
        operators = [
            f"q 0 g {scale:.5f} 0 0 {-scale:.5f} {left * pdf.k:.3f} {(pdf.h - top) * pdf.k:.3f} cm"
        ]
        operators.extend(
            f"{col} {row} {width} {height} re"
            for col, row, width, height in symbol.dark_rectangles()
        )
        operators.append("f Q")
        pdf._out("\n".join(operators))

    def _draw_text(self, label: Label, x: float, label_y: float) -> None:
        layout = self.layout
        top = label_y + layout.padding_mm
        bottom = label_y + layout.label_height_mm - layout.padding_mm
        if label.pin is not None:
            bottom = self._draw_pin(label.pin, x, bottom)
        details = [
            label.hint,
            f"Lô: {label.lot}" if label.lot is not None else None,
            f"SN: {label.serial}" if label.serial is not None else None,
            f"HSD: {label.expiry:%d/%m/%Y}" if label.expiry is not None else None,
        ]
        detail_lines = [line for line in details if line is not None]
        details_top = bottom - len(detail_lines) * _line_height(DETAIL_SIZE_PT)
        stars_height = _line_height(STARS_SIZE_PT) if label.stars is not None else 0.0

        size, name_lines = self._fit_name(label.product_name, details_top - top - stars_height)
        for line in name_lines:
            self._draw_line(line, x, top, "B", size)
            top += _line_height(size)
        if label.stars is not None:
            stars = "★" * label.stars + "☆" * (MAX_STARS - label.stars)
            self._draw_line(stars, x, top, "", STARS_SIZE_PT)
        for line in detail_lines:
            # A long lot shrinks first (down to 4 pt) and only then is squeezed: never cut.
            fitting = layout.text_width_mm / self._unit_width(line, "")
            self._draw_line(
                line, x, details_top, "", max(MIN_DETAIL_SIZE_PT, min(DETAIL_SIZE_PT, fitting))
            )
            details_top += _line_height(DETAIL_SIZE_PT)

    def _draw_pin(self, pin: str, x: float, bottom: float) -> float:
        """The PIN in an outlined box at the foot of the text column (the scratch-off sticker
        goes over the box), its caption above; returns the top of the caption."""
        box_height = _line_height(PIN_SIZE_PT) + 0.6
        box_top = bottom - box_height
        self.pdf.set_draw_color(0)
        self.pdf.rect(x, box_top, self.layout.text_width_mm, box_height, style=RenderStyle.D)
        self.pdf.set_draw_color(190)
        self._draw_line(pin, x + 0.6, box_top + 0.3, "B", PIN_SIZE_PT)
        caption_top = box_top - _line_height(MIN_DETAIL_SIZE_PT + 0.5)
        self._draw_line(SCRATCH_CAPTION, x, caption_top, "", MIN_DETAIL_SIZE_PT + 0.5)
        return caption_top

    def _fit_name(self, product_name: str, height: float) -> tuple[float, list[str]]:
        """The largest font size at which the name wraps into ``height``, and its lines.

        If even the smallest size overflows, the last line that fits ends with an ellipsis.
        """
        name = unicodedata.normalize("NFC", product_name)
        key = (name, round(height, 3))
        fitted = self._names.get(key)
        if fitted is None:
            fitted = self._names[key] = self._wrap_to_height(name, height)
        return fitted

    def _wrap_to_height(self, name: str, height: float) -> tuple[float, list[str]]:
        for size in NAME_SIZES_PT:
            lines = self._wrap(name, self.layout.text_width_mm / size)
            if len(lines) * _line_height(size) <= height:
                return size, lines
        smallest = NAME_SIZES_PT[-1]
        room = max(1, int(height // _line_height(smallest)))
        return smallest, [*lines[: room - 1], lines[room - 1] + ELLIPSIS]

    def _wrap(self, text: str, unit_width: float) -> list[str]:
        """Greedy word wrap to ``unit_width`` (the column width at 1 pt, in mm)."""
        lines: list[str] = []
        current = ""
        for word in text.split():
            candidate = f"{current} {word}" if current else word
            if current and self._unit_width(candidate, "B") > unit_width:
                lines.append(current)
                current = word
            else:
                current = candidate
        lines.append(current)
        return lines

    def _draw_line(self, text: str, x: float, top: float, style: str, size: float) -> None:
        """Draw ``text`` with its baseline one ascent below ``top``; a line wider than the
        column (one very long word) is squeezed horizontally rather than cut."""
        # Composed form: fpdf2 maps code points to glyphs one by one, and a decomposed
        # "ế" would print its accents as loose marks.
        text = unicodedata.normalize("NFC", text)
        pdf = self.pdf
        width = self._unit_width(text, style) * size  # measures at 1 pt: before set_font
        pdf.set_font(FONT_FAMILY, style, size)
        squeeze = width > self.layout.text_width_mm
        if squeeze:
            pdf.set_stretching(100 * self.layout.text_width_mm / width)
        pdf.text(x, top + 0.8 * size * PT_TO_MM, text)
        if squeeze:
            pdf.set_stretching(100)

    def _unit_width(self, text: str, style: str) -> float:
        """Width of ``text`` at 1 pt, in mm; widths scale linearly with the font size."""
        key = (style, text)
        width = self._unit_widths.get(key)
        if width is None:
            self.pdf.set_font(FONT_FAMILY, style, 1)
            width = self._unit_widths[key] = self.pdf.get_string_width(text)
        return width


def _line_height(size_pt: float) -> float:
    return size_pt * PT_TO_MM * LINE_SPACING
