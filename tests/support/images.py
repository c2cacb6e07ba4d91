"""Real images made with Pillow for the media tests (nothing downloaded)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo(
    size: tuple[int, int] = (1600, 1200),
    fmt: str = "JPEG",
    *,
    orientation: int | None = None,
    gps: bool = False,
    mode: str = "RGB",
) -> bytes:
    """A two-colour picture: left half red, right half blue (so rotation can be seen)."""
    image = Image.new(mode, size, (200, 30, 30, 255) if mode == "RGBA" else (200, 30, 30))
    image.paste((30, 30, 200) if mode == "RGB" else (30, 30, 200, 255), (size[0] // 2, 0, *size))
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (21.0, 1.0, 42.0), 3: "E", 4: (105.0, 50.0, 1.0)}
    out = io.BytesIO()
    extra = {"exif": exif.tobytes()} if (orientation or gps) else {}
    image.save(out, format=fmt, **extra)
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header declares ``width``×``height`` pixels (10^10 by default)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )  # fmt: skip


def animated_gif_as_webp() -> bytes:
    frames = [Image.new("RGB", (64, 64), c) for c in ((255, 0, 0), (0, 255, 0))]
    out = io.BytesIO()
    frames[0].save(out, format="WEBP", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()
