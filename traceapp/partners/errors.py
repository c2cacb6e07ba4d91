"""Refusals of the partners' exports."""

from __future__ import annotations

from traceapp.errors import ValidationFailed


class InvalidFilter(ValidationFailed):
    """A feed or export filter that names no province, star rating, group or producer."""
