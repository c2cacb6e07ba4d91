"""Demo photos: a coloured card with the product's name, drawn with Pillow at demo time.

Nothing is downloaded: each card is made from the product's name and group, the same bytes on
every run, so its renditions, their hashes and the ``product.photo_set`` statement are the same
too, and a second ``traceapp demo`` replays the upload and appends nothing.
"""

from __future__ import annotations

import io
import textwrap
from importlib.resources import files

from PIL import Image, ImageDraw, ImageFont

# Fonts shipped with the package (traceapp/labels/fonts, DejaVu licence there): read as data.
FONT = files("traceapp") / "labels" / "fonts" / "DejaVuSansCondensed-Bold.ttf"
SIZE = (1200, 900)
GROUP_COLOURS = {
    "food": (186, 92, 38),
    "drinks": (46, 110, 64),
    "herbal": (92, 120, 40),
    "textiles_garments": (120, 56, 120),
    "souvenirs_furnishing_decoration": (40, 90, 140),
    "community_tourism_services": (30, 120, 130),
}


def card(title: str, subtitle: str, group: str) -> bytes:
    """A PNG: the group's colour, a lighter panel, ``title`` large and ``subtitle`` below."""
    colour = GROUP_COLOURS.get(group, (90, 90, 90))
    image = Image.new("RGB", SIZE, colour)
    draw = ImageDraw.Draw(image)
    light = tuple(min(255, c + 150) for c in colour)
    draw.rounded_rectangle((60, 60, SIZE[0] - 60, SIZE[1] - 60), radius=48, fill=light)
    with FONT.open("rb") as handle:
        font_bytes = handle.read()
    big = ImageFont.truetype(io.BytesIO(font_bytes), 84)
    small = ImageFont.truetype(io.BytesIO(font_bytes), 44)
    y = 170
    for line in textwrap.wrap(title, width=20)[:4]:
        draw.text((SIZE[0] // 2, y), line, font=big, fill=colour, anchor="mt")
        y += 110
    draw.text((SIZE[0] // 2, SIZE[1] - 150), subtitle, font=small, fill=colour, anchor="mb")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
