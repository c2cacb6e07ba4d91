"""Checking an uploaded photo and making what the pages serve from it.

An upload is taken by its content, never its name or declared type: the first bytes must be
JPEG, PNG or WebP, and Pillow must read it as that same format. Its size is checked twice before
any pixel is decoded: the bytes (``MAX_UPLOAD_BYTES``) and the pixel count its header declares
(``MAX_PIXELS``), so a small file that unpacks to gigabytes (a decompression bomb) is refused
unread. Animations are refused (a product photo is one picture).

What is kept is never the upload itself: it is decoded, turned upright (EXIF orientation),
flattened to RGB and re-encoded, so no metadata (EXIF with GPS position, XMP, ICC, comments)
survives. Two sizes (``PHOTO_SIDE`` for phones, ``THUMB_SIDE`` for lists), each as WebP and as a
JPEG fallback, every one stored under its own SHA-256.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from traceapp.media.errors import (
    AnimatedImage,
    DamagedImage,
    NotAnImage,
    TooManyPixels,
    UploadTooLarge,
)
from traceapp.media.store import MediaStore, sha256_hex

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
"""40 megapixels: above what phone cameras save by default, and about 120 MB once decoded."""
PHOTO_SIDE = 1080
THUMB_SIDE = 320
WEBP = "image/webp"
JPEG = "image/jpeg"
EXTENSIONS = {WEBP: "webp", JPEG: "jpg"}

# Magic numbers of the formats we take, and the Pillow format each must decode as.
_PNG = b"\x89PNG\r\n\x1a\n"


def sniff(data: bytes) -> str | None:
    """The Pillow format name the bytes start like, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(_PNG):
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def stored_type(data: bytes) -> str | None:
    """The content type of stored bytes (our renditions are WebP or JPEG), or None."""
    kind = sniff(data)
    return {"WEBP": WEBP, "JPEG": JPEG}.get(kind or "")


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    webp: bytes
    jpeg: bytes


@dataclass(frozen=True)
class Renditions:
    photo: Rendition
    thumb: Rendition


@dataclass(frozen=True)
class StoredPhoto:
    """Where each rendition is stored: the statement's ``photo`` (or ``logo``) object."""

    sha256: str
    width: int
    height: int
    jpeg: str
    thumb_sha256: str
    thumb_width: int
    thumb_height: int
    thumb_jpeg: str

    @classmethod
    def from_statement(cls, value: dict[str, Any]) -> StoredPhoto:
        """The inverse of ``statement()`` (a JSON column holding one reads back as this)."""
        thumb = value["thumb"]
        return cls(
            sha256=value["sha256"],
            width=value["width"],
            height=value["height"],
            jpeg=value["jpeg"],
            thumb_sha256=thumb["sha256"],
            thumb_width=thumb["width"],
            thumb_height=thumb["height"],
            thumb_jpeg=thumb["jpeg"],
        )

    def statement(self) -> dict[str, Any]:
        """As the ledger records it (docs/ledger-format.md, ``product.photo_set``)."""
        return {
            "sha256": self.sha256,
            "type": WEBP,
            "width": self.width,
            "height": self.height,
            "jpeg": self.jpeg,
            "thumb": {
                "sha256": self.thumb_sha256,
                "type": WEBP,
                "width": self.thumb_width,
                "height": self.thumb_height,
                "jpeg": self.thumb_jpeg,
            },
        }


def _open(data: bytes, field: str) -> Image.Image:
    """The upload opened (header only, nothing decoded yet) and checked."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadTooLarge(
            f"is {len(data):,} bytes; a photo may be at most {MAX_UPLOAD_BYTES:,}", field=field
        )
    kind = sniff(data)
    if kind is None:
        raise NotAnImage("is not a JPEG, PNG or WebP image", field=field)
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check warns below twice its limit: make that a refusal too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooManyPixels(f"declares more than {MAX_PIXELS:,} pixels", field=field) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise DamagedImage(f"is not a readable {kind} image", field=field) from None
    width, height = image.size
    if width < 1 or height < 1:
        raise DamagedImage("has no pixels", field=field)
    if width * height > MAX_PIXELS:
        raise TooManyPixels(
            f"declares {width}×{height} pixels; at most {MAX_PIXELS:,} are taken", field=field
        )
    if getattr(image, "n_frames", 1) > 1:
        raise AnimatedImage("is animated; upload a single picture", field=field)
    return image


# EXIF orientation -> the transpose that turns the stored pixels upright (EXIF 2.3, tag 0x0112).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_ORIENTATION = 0x0112


def _decoded(image: Image.Image, field: str) -> Image.Image:
    """Decoded, cut down to about twice the phone size, upright, RGB, without metadata."""
    # A JPEG can be decoded at 1/2, 1/4 or 1/8 scale: enough pixels for the photo, far less work.
    image.draft("RGB", (PHOTO_SIDE, PHOTO_SIDE))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            orientation = image.getexif().get(_ORIENTATION)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombWarning):
        raise DamagedImage("is truncated or damaged", field=field) from None
    alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    work = image if image.mode in ("RGB", "RGBA") else image.convert("RGBA" if alpha else "RGB")
    # A box reduction by a whole factor first (cheap), so that the resizes and copies below
    # handle a few megapixels, not forty; LANCZOS then makes the renditions from >= 2x their size.
    factor = max(work.size) // (2 * PHOTO_SIDE)
    if factor >= 2:
        work = work.reduce(factor)
    if orientation in _UPRIGHT:
        work = work.transpose(_UPRIGHT[orientation])
    clean = Image.new("RGB", work.size, (255, 255, 255))
    # A new image: no info, EXIF, ICC or XMP carried over; transparency flattened on white.
    clean.paste(work, mask=work.getchannel("A") if work.mode == "RGBA" else None)
    return clean


def _rendition(image: Image.Image, side: int) -> Rendition:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)  # never enlarges
    webp, jpeg = io.BytesIO(), io.BytesIO()
    copy.save(webp, format="WEBP", quality=80, method=4)
    copy.save(jpeg, format="JPEG", quality=82, optimize=True, progressive=True)
    return Rendition(copy.width, copy.height, webp.getvalue(), jpeg.getvalue())


def process(data: bytes, field: str = "file") -> Renditions:
    """The checked upload's renditions; raises a ``MediaRefused`` error for a bad upload."""
    image = _open(data, field)
    with image:
        clean = _decoded(image, field)
    return Renditions(_rendition(clean, PHOTO_SIDE), _rendition(clean, THUMB_SIDE))


def store_photo(store: MediaStore, data: bytes, field: str = "file") -> StoredPhoto:
    """Check and process the upload, then store its four renditions. A refused upload stores
    nothing: every check runs before the first put."""
    return store_renditions(store, process(data, field))


def store_renditions(store: MediaStore, made: Renditions) -> StoredPhoto:
    """Store renditions made by ``process`` (checked earlier, e.g. outside a transaction)."""
    for blob in (made.photo.webp, made.photo.jpeg, made.thumb.webp, made.thumb.jpeg):
        store.put(blob)
    return StoredPhoto(
        sha256=sha256_hex(made.photo.webp),
        width=made.photo.width,
        height=made.photo.height,
        jpeg=sha256_hex(made.photo.jpeg),
        thumb_sha256=sha256_hex(made.thumb.webp),
        thumb_width=made.thumb.width,
        thumb_height=made.thumb.height,
        thumb_jpeg=sha256_hex(made.thumb.jpeg),
    )


def read_upload(stream: io.RawIOBase | io.BufferedIOBase | Any, field: str = "file") -> bytes:
    """At most ``MAX_UPLOAD_BYTES`` read from an upload's stream; more is ``UploadTooLarge``."""
    data = stream.read(MAX_UPLOAD_BYTES + 1)
    if not isinstance(data, bytes):
        raise NotAnImage("is not a file", field=field)
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadTooLarge(f"is larger than {MAX_UPLOAD_BYTES:,} bytes", field=field)
    return data


def media_path(sha256: str, content_type: str = WEBP) -> str:
    """Where the app serves a stored rendition: ``/media/<sha256>.<webp|jpg>``."""
    return f"/media/{sha256}.{EXTENSIONS[content_type]}"
