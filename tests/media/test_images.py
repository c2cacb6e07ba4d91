"""Checking and processing uploads with real images: formats by content, bombs, EXIF, sizes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from support.images import GPS_IFD, animated_gif_as_webp, photo, png_bomb

from traceapp.errors import DomainError
from traceapp.media.errors import (
    AnimatedImage,
    DamagedImage,
    NotAnImage,
    TooManyPixels,
    UploadTooLarge,
)
from traceapp.media.images import (
    MAX_UPLOAD_BYTES,
    PHOTO_SIDE,
    THUMB_SIDE,
    process,
    read_upload,
    store_photo,
)
from traceapp.media.store import DirectoryStore, sha256_hex


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_each_format_gives_webp_and_jpeg_at_two_sizes(fmt: str) -> None:
    made = process(photo((2000, 1500), fmt))
    assert (made.photo.width, made.photo.height) == (PHOTO_SIDE, 810)
    assert (made.thumb.width, made.thumb.height) == (THUMB_SIDE, 240)
    for rendition in (made.photo, made.thumb):
        assert opened(rendition.webp).format == "WEBP"
        assert opened(rendition.jpeg).format == "JPEG"
        assert opened(rendition.jpeg).size == (rendition.width, rendition.height)


def test_small_pictures_are_not_enlarged() -> None:
    made = process(photo((200, 100), "PNG"))
    assert (made.photo.width, made.photo.height) == (200, 100)
    assert (made.thumb.width, made.thumb.height) == (200, 100)


def test_gps_and_all_exif_are_stripped() -> None:
    upload = photo((800, 600), "JPEG", gps=True, orientation=1)
    assert GPS_IFD in opened(upload).getexif()  # the upload really carries a position
    made = process(upload)
    for blob in (made.photo.webp, made.photo.jpeg, made.thumb.webp, made.thumb.jpeg):
        image = opened(blob)
        assert not image.getexif()
        assert "exif" not in image.info and "icc_profile" not in image.info
        assert b"Exif" not in blob


def test_exif_orientation_is_applied() -> None:
    # Orientation 6: the stored pixels are to be turned 90° clockwise to be seen upright.
    made = process(photo((800, 400), "JPEG", orientation=6))
    assert (made.photo.width, made.photo.height) == (400, 800)
    upright = opened(made.photo.jpeg).convert("RGB")
    # The left (red) half of the stored pixels is now the top half.
    red, blue = upright.getpixel((200, 100)), upright.getpixel((200, 700))
    assert red[0] > 150 and red[2] < 100
    assert blue[2] > 150 and blue[0] < 100


def test_transparency_is_flattened_on_white() -> None:
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    made = process(out.getvalue())
    assert opened(made.photo.jpeg).convert("RGB").getpixel((50, 50)) >= (250, 250, 250)


def test_a_text_file_named_jpg_is_not_an_image() -> None:
    with pytest.raises(NotAnImage) as refused:
        process(b"hello, this is not a photo\n" * 10, field="file")
    assert refused.value.code == "NOT_AN_IMAGE"
    assert isinstance(refused.value, DomainError)


def test_gif_and_svg_are_not_taken() -> None:
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    for data in (gif.getvalue(), b'<svg xmlns="http://www.w3.org/2000/svg"/>'):
        with pytest.raises(NotAnImage):
            process(data)


def test_declared_magic_must_decode_as_that_format() -> None:
    with pytest.raises(DamagedImage):
        process(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = png_bomb()
    assert len(bomb) < 200
    with pytest.raises(TooManyPixels) as refused:
        process(bomb)
    assert refused.value.code == "TOO_MANY_PIXELS"


def test_just_over_the_pixel_cap_is_refused() -> None:
    # Below Pillow's own warning threshold: our cap decides.
    with pytest.raises(TooManyPixels):
        process(png_bomb(8000, 5001))


def test_a_truncated_image_is_damaged() -> None:
    whole = photo((1200, 900), "JPEG")
    with pytest.raises(DamagedImage) as refused:
        process(whole[: len(whole) // 2])
    assert refused.value.code == "DAMAGED_IMAGE"


def test_an_animation_is_refused() -> None:
    with pytest.raises(AnimatedImage):
        process(animated_gif_as_webp())


def test_more_than_ten_megabytes_is_refused() -> None:
    big = photo((64, 64), "PNG") + b"\x00" * MAX_UPLOAD_BYTES
    with pytest.raises(UploadTooLarge):
        process(big)
    with pytest.raises(UploadTooLarge):
        read_upload(io.BytesIO(big))
    assert read_upload(io.BytesIO(b"abc")) == b"abc"


def test_store_photo_stores_four_renditions_under_their_hashes(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path)
    stored = store_photo(store, photo((1600, 1200), "PNG"))
    hashes = [stored.sha256, stored.jpeg, stored.thumb_sha256, stored.thumb_jpeg]
    assert len(set(hashes)) == 4
    for digest in hashes:
        data = store.get(digest)
        assert data is not None and sha256_hex(data) == digest
    statement = stored.statement()
    assert statement["sha256"] == stored.sha256 and statement["type"] == "image/webp"
    assert statement["thumb"]["jpeg"] == stored.thumb_jpeg


@pytest.mark.parametrize("upload", [b"not an image", png_bomb(), photo((800, 600), "JPEG")[:500]])
def test_a_refused_upload_stores_nothing(tmp_path: Path, upload: bytes) -> None:
    with pytest.raises(DomainError):
        store_photo(DirectoryStore(tmp_path), upload)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("mode", "fmt", "extra"),
    [
        ("I;16", "PNG", {}),
        ("CMYK", "JPEG", {}),
        ("L", "PNG", {}),
        ("1", "PNG", {}),
        ("P", "PNG", {"transparency": 3}),
        ("LA", "PNG", {}),
        ("RGBA", "WEBP", {}),
    ],
)
def test_every_pixel_mode_becomes_rgb(mode: str, fmt: str, extra: dict[str, int]) -> None:
    out = io.BytesIO()
    Image.new(mode, (300, 200)).save(out, format=fmt, **extra)
    made = process(out.getvalue())
    assert opened(made.photo.jpeg).mode == "RGB"
    assert (made.photo.width, made.photo.height) == (300, 200)


def test_a_large_picture_is_reduced_to_phone_size() -> None:
    made = process(photo((6000, 4000), "PNG"))
    assert (made.photo.width, made.photo.height) == (1080, 720)
    left, right = (
        opened(made.photo.jpeg).getpixel((10, 360)),
        opened(made.photo.jpeg).getpixel((1070, 360)),
    )
    assert left[0] > 150 and right[2] > 150  # still red on the left, blue on the right
