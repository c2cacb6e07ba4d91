"""The Verification as JSON-ready data (resolver JSON; warnings carry their translated text).

The parts that come from the cached ledger snapshot (product, producer, batch, item, journey,
proofs, certificates) are the same objects request after request, so their JSON-ready form is
memoised by object identity (bounded); only the warnings, scans and clone signals are
converted per request.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from traceapp.i18n import format_date
from traceapp.verification.model import Notice, Verification
from traceapp.verification.texts import TEXTS, text

_FIELDS: dict[type, tuple[tuple[str, str], ...]] = {}
_MEMO: dict[int, tuple[object, Any]] = {}
_MEMO_SIZE = 4096
_MEMO_LOCK = threading.Lock()


def _fields(cls: type) -> tuple[tuple[str, str], ...]:
    """(attribute, camelCase key) of a dataclass, computed once per class."""
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple((f.name, _camel_key(f.name)) for f in dataclasses.fields(cls))
        _FIELDS[cls] = names
    return names


def _plain(value: Any) -> Any:
    """JSON-ready copy: dataclasses as dicts with camelCase keys, dates as ISO strings,
    decimals as strings, tuples as lists. Plain dicts (a notice's params) keep their keys."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {key: _plain(getattr(value, name)) for name, key in _fields(type(value))}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _shared(value: Any) -> Any:
    """``_plain(value)`` for an immutable part shared between requests, memoised by identity.

    The memo holds the object itself, so its id cannot be reused while the entry lives.
    Callers must not mutate the result.
    """
    if value is None:
        return None
    key = id(value)
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is value:
        return hit[1]
    plain = _plain(value)
    with _MEMO_LOCK:
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.clear()
        _MEMO[key] = (value, plain)
    return plain


# A notice's params are plain strings (JSON keeps them as they are); its text shows dates as
# the language writes them, counts with their plural form, and codes (severity, the subjects
# of a mismatch) in words.
_DATES = frozenset({"date", "printed", "recorded"})
_COUNTED = {"count": "n_times", "clients": "n_places", "days": "n_days", "checks": "n_checks"}


def notice_text(notice: Notice, lang: str) -> str:
    params: dict[str, str] = {}
    for key, value in notice.params.items():
        if key in _DATES and value:
            params[key] = format_date(date.fromisoformat(value), lang)
        elif key in _COUNTED and value.isdigit():
            params[key] = text(lang, _COUNTED[key], count=int(value))
            if key == "clients":  # "from 2 other places" after a sale or a claim
                params["others"] = text(lang, "n_other_places", count=int(value))
        elif key == "severity":
            params[key] = _word(lang, f"severity_{value}", value)
        elif key == "subjects":
            names = (_word(lang, f"m_{name}", name) for name in value.split(", "))
            params[key] = ", ".join(names)
        else:
            params[key] = value
    return text(lang, f"w_{notice.code}", **params)


def _word(lang: str, key: str, fallback: str) -> str:
    return text(lang, key) if key in TEXTS else fallback


def _notice(notice: Notice, lang: str) -> dict[str, Any]:
    return {
        "code": notice.code,
        "severity": notice.severity,
        "params": dict(notice.params),
        "message": notice_text(notice, lang),
    }


def verification_json(view: Verification, lang: str, **extra: Any) -> dict[str, Any]:
    """camelCase keys like the GraphQL API; ``extra`` adds links (uri, bundle) from the web."""
    proofs = {**_shared(view.proofs), "allVerified": view.proofs.all_verified}
    clone = None
    if view.clone is not None:
        clone = {
            "level": view.clone.level,
            "signals": [_notice(n, lang) for n in view.clone.signals],
        }
    data: dict[str, Any] = {
        "kind": view.kind,
        "code": view.code,
        "path": view.path,
        "product": _shared(view.product),
        "producer": _shared(view.producer),
        "certificates": _shared(view.certificates),
        "ocop": _shared(view.ocop),
        "batch": _shared(view.batch),
        "item": _shared(view.item),
        "journey": _shared(view.journey),
        "warnings": [_notice(n, lang) for n in view.warnings],
        "scans": _plain(view.scans),
        "clone": clone,
        "proofs": proofs,
        "upstream": _shared(view.upstream),
        "checkedAt": view.checked_at.isoformat(),
        "language": lang,
    }
    for key, value in extra.items():
        data[_camel_key(key)] = value
    return data


def _camel_key(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.capitalize() for part in rest)
