"""The Verification as JSON-ready data (resolver JSON; warnings carry their translated text)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from traceapp.verification.model import Notice, Verification
from traceapp.verification.texts import text


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def notice_text(notice: Notice, lang: str) -> str:
    return text(lang, f"w_{notice.code}", **notice.params)


def _notice(notice: Notice, lang: str) -> dict[str, Any]:
    return {
        "code": notice.code,
        "severity": notice.severity,
        "params": notice.params,
        "message": notice_text(notice, lang),
    }


def verification_json(view: Verification, lang: str, **extra: Any) -> dict[str, Any]:
    """camelCase keys like the GraphQL API; ``extra`` adds links (uri, bundle) from the web."""
    data = _plain(dataclasses.asdict(view))
    data["warnings"] = [_notice(n, lang) for n in view.warnings]
    if view.clone is not None:
        data["clone"]["signals"] = [_notice(n, lang) for n in view.clone.signals]
    data["proofs"]["allVerified"] = view.proofs.all_verified
    data["language"] = lang
    data.update(extra)
    camel: dict[str, Any] = _camel(data)
    return camel


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {_camel_key(k): _camel(v) if k != "params" else v for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _camel_key(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.capitalize() for part in rest)
