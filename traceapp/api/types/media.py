"""Product photos and producer logos as the API shows them: the ledger's record of the upload."""

from __future__ import annotations

from typing import Any

import strawberry

from traceapp.media.images import JPEG, WEBP, media_path


@strawberry.type(
    description=(
        "An uploaded photo (or logo), re-encoded: WebP with a JPEG fallback, at phone size "
        "(longest side at most 1080) and as a thumbnail (320). Every URL names the SHA-256 "
        "of the bytes it serves; `sha256` is on the ledger (statement `product.photo_set` or "
        "`producer.logo_set`, entry `ledgerIndex`)."
    )
)
class Photo:
    sha256: str = strawberry.field(description="SHA-256 (hex) of the phone-size WebP.")
    width: int
    height: int
    url: str = strawberry.field(description="The phone-size WebP.")
    jpeg_url: str = strawberry.field(description="The phone-size JPEG fallback.")
    thumbnail_url: str = strawberry.field(description="The thumbnail WebP.")
    thumbnail_jpeg_url: str
    ledger_index: int | None = strawberry.field(description="The entry that set it.")

    @classmethod
    def of(cls, stated: dict[str, Any] | None, seq: int | None, base: str) -> Photo | None:
        if not stated:
            return None
        thumb = stated["thumb"]
        return cls(
            sha256=stated["sha256"],
            width=stated["width"],
            height=stated["height"],
            url=base + media_path(stated["sha256"], WEBP),
            jpeg_url=base + media_path(stated["jpeg"], JPEG),
            thumbnail_url=base + media_path(thumb["sha256"], WEBP),
            thumbnail_jpeg_url=base + media_path(thumb["jpeg"], JPEG),
            ledger_index=seq,
        )
