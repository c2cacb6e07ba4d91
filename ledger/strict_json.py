"""Reading the JSON documents around the ledger (bundles, exports, HTTP answers) strictly.

RFC 8259 §4 leaves duplicate object names to the parser; here they are an error, as I-JSON
(RFC 7493 §2.3) requires, so that no two readers can see different values in one document.
"""

from __future__ import annotations

import json
from typing import Any

from ledger.errors import FormatError


def loads_strict(data: str | bytes, what: str) -> Any:
    """Parse JSON text (UTF-8 if bytes), rejecting duplicate names, NaN and Infinity.

    Raises FormatError starting with `what`.
    """
    try:
        return json.loads(data, object_pairs_hook=_unique_names, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise FormatError(f"{what}: not JSON: {exc}") from exc


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise ValueError(f"duplicate object name {name!r}")
        result[name] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
