"""QR Code symbols (error correction M) as a matrix, PNG and SVG.

The ``qrcode`` package encodes the data, picks the version and places the modules. Its mask
selection, though, builds and scores all eight masked symbols module by module and costs
about 80% of its run time (~15 ms a code here, too slow for a 1,000-label print run). So
``encode`` lets ``qrcode`` build the symbol once, with mask 0, then derives the other seven
masks by XOR and scores them with the penalty rules exactly as ``qrcode`` applies them
(``qrcode.util.lost_point``, on the symbol with its format and version information blank),
with the whole symbol held as one integer so that each rule is a few dozen big-integer
operations. The result is the very symbol ``qrcode`` would make; the tests compare the two.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import cache

import qrcode
import qrcode.util
from PIL import Image
from qrcode.image.svg import SvgPathImage

ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QUIET_ZONE = 4  # modules of light margin that ISO/IEC 18004 requires around a symbol
MASK_COUNT = 8

_DARK_RUN = re.compile(r"1+")
_BITS = bytes.maketrans(b"\x00\x01", b"01")


@dataclass(frozen=True, slots=True)
class QrSymbol:
    """An encoded QR Code without its quiet zone.

    ``rows[r]`` holds row ``r`` as an integer whose most significant of ``size`` bits is the
    leftmost module; a set bit is a dark module.
    """

    version: int
    mask: int
    rows: tuple[int, ...]

    @property
    def size(self) -> int:
        return 4 * self.version + 17

    def is_dark(self, row: int, col: int) -> bool:
        return bool(self.rows[row] >> (self.size - 1 - col) & 1)

    def to_matrix(self) -> list[list[bool]]:
        size = self.size
        return [[bit == "1" for bit in format(row, f"0{size}b")] for row in self.rows]

    def dark_rectangles(self) -> list[tuple[int, int, int, int]]:
        """Dark modules as few rectangles ``(col, row, width, height)``, in module units.

        Runs of dark modules in a row are joined, then identical runs in consecutive rows:
        a version 5 symbol needs ~300 rectangles instead of ~700 modules.
        """
        done: list[tuple[int, int, int, int]] = []
        growing: dict[tuple[int, int], tuple[int, int]] = {}  # (start, end) -> (top, height)
        bits = f"0{self.size}b"
        for row_index, row in enumerate(self.rows):
            below: dict[tuple[int, int], tuple[int, int]] = {}
            for match in _DARK_RUN.finditer(format(row, bits)):
                run = match.span()
                top, height = growing.pop(run, (row_index, 0))
                below[run] = (top, height + 1)
            done.extend(
                (start, top, end - start, height) for (start, end), (top, height) in growing.items()
            )
            growing = below
        done.extend(
            (start, top, end - start, height) for (start, end), (top, height) in growing.items()
        )
        return done


def encode(data: str) -> QrSymbol:
    """The QR Code (error correction M, smallest version, best mask) for ``data``."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=0, mask_pattern=0)
    qr.add_data(data)
    qr.best_fit()  # make(fit=True) would run this twice
    qr.make(fit=False)
    version: int = qr.version
    layout = _layout(version)
    # Bit r * size + (size - 1 - c) of the integer is the module at row r, column c.
    built = int(b"".join(bytes(row).translate(_BITS) for row in reversed(qr.get_matrix())), 2)
    unmasked = built ^ layout.masks[0]
    scores = [_penalty((unmasked ^ mask) & ~layout.info, layout) for mask in layout.masks]
    best = scores.index(min(scores))  # the first of equals, as qrcode picks
    symbol = (unmasked ^ layout.masks[best]) & ~layout.format_region | layout.format_bits[best]
    size, row_mask = layout.size, (1 << layout.size) - 1
    rows = tuple(symbol >> (row * size) & row_mask for row in range(size))
    return QrSymbol(version=version, mask=best, rows=rows)


def qr_matrix(data: str) -> list[list[bool]]:
    """The modules of ``data``'s QR Code (True = dark), without the quiet zone."""
    return encode(data).to_matrix()


def qr_png(data: str, box_size: int = 10, border: int = QUIET_ZONE) -> bytes:
    """A 1-bit PNG of ``data``'s QR Code, ``box_size`` pixels a module, ``border`` modules
    of quiet zone. Identical input gives identical bytes."""
    if box_size < 1 or border < 0:
        raise ValueError("box_size must be >= 1 and border >= 0")
    image = symbol_image(encode(data), border)
    if box_size > 1:
        image = image.resize(
            (image.width * box_size, image.height * box_size), Image.Resampling.NEAREST
        )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def symbol_image(symbol: QrSymbol, border: int = QUIET_ZONE) -> Image.Image:
    """``symbol`` as a 1-bit image, one pixel a module, with ``border`` light modules."""
    size = symbol.size
    width = size + 2 * border
    light_border = (1 << border) - 1
    padding = -width % 8  # raw 1-bit rows are padded to whole bytes
    row_bytes = (width + padding) // 8
    blank_row = ((1 << width) - 1) << padding
    lines = [blank_row] * border
    full = (1 << size) - 1
    for row in symbol.rows:
        light = ~row & full  # in mode "1" a set bit is white
        lines.append(
            ((light_border << (size + border)) | (light << border) | light_border) << padding
        )
    lines.extend([blank_row] * border)
    raw = b"".join(line.to_bytes(row_bytes, "big") for line in lines)
    return Image.frombytes("1", (width, width), raw)


def qr_svg(data: str, border: int = QUIET_ZONE) -> bytes:
    """An SVG document (one ``<path>``, 1 mm a module) of ``data``'s QR Code."""
    symbol = encode(data)
    # With version and mask fixed, qrcode skips its slow mask search and draws the same
    # symbol through its own SVG writer.
    qr = qrcode.QRCode(
        version=symbol.version,
        error_correction=ERROR_CORRECTION,
        mask_pattern=symbol.mask,
        border=border,
        image_factory=SvgPathImage,
    )
    qr.add_data(data)
    qr.make(fit=False)
    buffer = io.BytesIO()
    qr.make_image().save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class _Layout:
    """Per-version constants, each a whole-symbol integer laid out as in ``encode``."""

    size: int
    masks: tuple[int, ...]  # each mask pattern, restricted to data modules
    info: int  # format and version information and the dark module
    format_region: int
    format_bits: tuple[int, ...]  # dark format modules, per mask pattern
    # Where a comparison of a module with its right neighbour, the module below, its 2x2
    # block, or an 11-module run to the right or downwards stays inside the symbol:
    pairs_right: int
    pairs_below: int
    blocks: int
    elevens_right: int
    elevens_below: int


@cache
def _layout(version: int) -> _Layout:
    size = 4 * version + 17
    reserved = [[False] * size for _ in range(size)]

    def reserve(row: int, col: int) -> None:
        reserved[row][col] = True

    for top, left in ((0, 0), (0, size - 8), (size - 8, 0)):  # finders with separators
        for row in range(top, top + 8):
            for col in range(left, left + 8):
                reserve(row, col)
    centres = qrcode.util.pattern_position(version)
    for centre_row in centres:
        for centre_col in centres:
            if reserved[centre_row][centre_col]:  # would overlap a finder
                continue
            for row in range(centre_row - 2, centre_row + 3):
                for col in range(centre_col - 2, centre_col + 3):
                    reserve(row, col)
    for i in range(size):  # timing patterns, after alignment: they cross some of them
        reserve(6, i)
        reserve(i, 6)
    format_cells = _format_cells(size)
    info_cells = [*format_cells, (size - 8, 8), *_version_cells(version)]
    for row, col in info_cells:
        reserve(row, col)

    def cells_to_int(cells: list[tuple[int, int]]) -> int:
        return sum(1 << (row * size + size - 1 - col) for row, col in cells)

    masks = []
    for pattern in range(MASK_COUNT):
        flips = qrcode.util.mask_func(pattern)
        masks.append(
            cells_to_int(
                [
                    (row, col)
                    for row in range(size)
                    for col in range(size)
                    if not reserved[row][col] and flips(row, col)
                ]
            )
        )
    format_bits = []
    for pattern in range(MASK_COUNT):
        bits = qrcode.util.BCH_type_info((ERROR_CORRECTION << 3) | pattern)
        format_bits.append(
            cells_to_int([cell for i, cell in enumerate(format_cells) if bits >> (i % 15) & 1])
        )

    def every_row(row_bits: int, rows: int = size) -> int:
        return sum(row_bits << (row * size) for row in range(rows))

    return _Layout(
        size=size,
        masks=tuple(masks),
        info=cells_to_int(info_cells),
        format_region=cells_to_int(format_cells),
        format_bits=tuple(format_bits),
        pairs_right=every_row((1 << (size - 1)) - 1),
        pairs_below=every_row((1 << size) - 1, size - 1),
        blocks=every_row((1 << (size - 1)) - 1, size - 1),
        elevens_right=every_row((1 << (size - 10)) - 1),
        elevens_below=every_row((1 << size) - 1, size - 10),
    )


def _format_cells(size: int) -> list[tuple[int, int]]:
    """Cells of format bits 0..14 beside the top-left finder, then of the second copy."""
    first = [(i if i < 6 else i + 1 if i < 8 else size - 15 + i, 8) for i in range(15)]
    second = [(8, size - 1 - i if i < 8 else 15 - i if i == 8 else 14 - i) for i in range(15)]
    return first + second


def _version_cells(version: int) -> list[tuple[int, int]]:
    if version < 7:
        return []
    size = 4 * version + 17
    cells = [(i // 3, size - 11 + i % 3) for i in range(18)]
    return cells + [(col, row) for row, col in cells]


def _penalty(symbol: int, layout: _Layout) -> int:
    """ISO/IEC 18004 mask penalty, scored exactly as ``qrcode.util.lost_point`` does.

    ``x >> 1`` moves each module's right neighbour onto it and ``x >> size`` the module
    below; the layout's masks keep only the comparisons that stay inside the symbol.
    """
    below = layout.size
    score = 0

    # Rule 1: a run of k >= 5 modules of one colour scores k - 2, that is one point per
    # 5-module window inside the run (k - 4) plus two per run (where its windows end).
    same = ~(symbol ^ symbol >> 1) & layout.pairs_right
    window = same & same >> 1 & same >> 2 & same >> 3
    score += window.bit_count() + 2 * (window & ~(window >> 1)).bit_count()
    same_below = ~(symbol ^ symbol >> below) & layout.pairs_below
    window = same_below & same_below >> below & same_below >> 2 * below & same_below >> 3 * below
    score += window.bit_count() + 2 * (window & ~(window >> below)).bit_count()

    # Rule 2: 3 points per 2x2 block of one colour.
    lower = symbol >> below
    block = same_below & ~(symbol ^ symbol >> 1) & ~(lower ^ lower >> 1) & layout.blocks
    score += 3 * block.bit_count()

    # Rule 3: 40 points per dark-light-dark-dark-dark-light-dark "core" with four light
    # modules after it (10111010000) or before it (00001011101), across or down.
    finder_like = 0
    for step, starts in ((1, layout.elevens_right), (below, layout.elevens_below)):
        core = (
            symbol
            & ~symbol >> step
            & symbol >> 2 * step
            & symbol >> 3 * step
            & symbol >> 4 * step
            & ~symbol >> 5 * step
            & symbol >> 6 * step
        )
        light = ~(symbol | symbol >> step | symbol >> 2 * step | symbol >> 3 * step)
        finder_like += (core & light >> 7 * step & starts).bit_count()
        finder_like += (light & core >> 4 * step & starts).bit_count()
    score += 40 * finder_like

    # Rule 4: 10 points per 5% that the share of dark modules strays from 50%.
    dark = symbol.bit_count()
    return score + int(abs(float(dark) / below**2 * 100 - 50) / 5) * 10
