"""Why an upload is refused. Nothing is stored when one of these is raised."""

from __future__ import annotations

from traceapp.errors import ValidationFailed


class MediaRefused(ValidationFailed):
    """An upload that is not a photo we can take; ``field`` names the upload."""


class NotAnImage(MediaRefused):
    code = "NOT_AN_IMAGE"


class UploadTooLarge(MediaRefused):
    code = "TOO_LARGE"


class TooManyPixels(MediaRefused):
    """A decompression bomb, or simply a picture far larger than any camera's."""

    code = "TOO_MANY_PIXELS"


class DamagedImage(MediaRefused):
    """Truncated or corrupt image data."""

    code = "DAMAGED_IMAGE"


class AnimatedImage(MediaRefused):
    code = "ANIMATED_IMAGE"
