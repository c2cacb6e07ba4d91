"""Which of the 34 provinces (since 1 July 2025) an address's province is counted under.

An address keeps the units it was recorded with (``producers.address_recorded_on``); the
statistics count it under the province its province became (``provinces.json``, with its
SOURCE). Names are matched without case, diacritics or the "tỉnh"/"thành phố" prefix, so
"Quang Nam", "quảng nam" and "Tỉnh Quảng Nam" are one province.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from importlib import resources

UNKNOWN = "?"
"""What an address whose province is none of the 63 former or 34 current ones counts under."""

_PREFIX = re.compile(r"^(tinh|thanh pho|tp\.?)\s+")
_ALIASES = {"thua thien hue": "hue", "tp hcm": "ho chi minh", "hcm": "ho chi minh"}


def fold(value: str) -> str:
    """Lowercase ASCII without diacritics, single spaces (đ is d): the search key of a name."""
    text = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn").lower()
    return " ".join(text.replace("–", "-").replace("-", " - ").split())


def _key(value: str) -> str:
    key = _PREFIX.sub("", fold(value)).replace(" - ", " ").strip()
    return _ALIASES.get(key, key)


@cache
def _table() -> tuple[tuple[str, ...], dict[str, str]]:
    raw = json.loads(resources.files(__package__).joinpath("provinces.json").read_text("utf-8"))
    current: tuple[str, ...] = tuple(raw["provinces"])
    mapping = {_key(old): new for old, new in raw["before_2025_07_01"].items()}
    mapping.update({_key(name): name for name in current})
    return current, mapping


def provinces() -> tuple[str, ...]:
    """The 34 provinces and cities, in Vietnamese alphabetical order of their names."""
    return _table()[0]


def current_province(recorded: str | None) -> str:
    """The province (of the 34) an address recorded with ``recorded`` is counted under."""
    if not recorded:
        return UNKNOWN
    return _table()[1].get(_key(recorded), UNKNOWN)
