"""Reading JSON strictly: the one no-duplicate-names hook of the ledger (and of the app).

RFC 8259 §4 leaves duplicate object names to the parser; here they are an error, as I-JSON
(RFC 7493 §2.3) requires, so that no two readers can see different values in one document.
`loads_strict` reads the documents around the ledger (bundles, exports, HTTP answers);
`ledger.jcs.parse_canonical` and any other reader pass `unique_names` and `no_constant` to
`json.loads` themselves.
"""

from __future__ import annotations

import json
from typing import Any

from ledger.errors import FormatError


def loads_strict(data: str | bytes, what: str) -> Any:
    """Parse JSON text (UTF-8 if bytes), rejecting duplicate names, NaN and Infinity.

    RFC 8259 with I-JSON's unique names (RFC 7493 §2.3); the documents around the ledger
    (DESIGN §5: proof bundles, exports) are read this way.

    Raises FormatError starting with `what`.
    """
    try:
        return json.loads(data, object_pairs_hook=unique_names, parse_constant=no_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise FormatError(f"{what}: not JSON: {exc}") from exc


def unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`object_pairs_hook` for `json.loads`: ValueError for a name given twice (RFC 7493 §2.3)."""
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise ValueError(f"duplicate object name {name!r}")
        result[name] = value
    return result


def no_constant(name: str) -> Any:
    """`parse_constant` for `json.loads`: NaN, Infinity and -Infinity are not JSON (RFC 8259 §6)."""
    raise ValueError(f"{name} is not JSON")
