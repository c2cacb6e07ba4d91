"""The one catalog of error texts: every domain's, assembled above the domains.

Codes stay stable English identifiers; the message a person reads comes from here, in the
language of the request (``negotiate``), through ``DomainError.problems(translator(lang))`` at
each door (GraphQL ``userErrors``, REST problem details, CLI messages). A code without a text
keeps the error's own (English) message.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from traceapp.batches.error_texts import ERROR_TEXTS as BATCHES
from traceapp.errors import Translate
from traceapp.events.error_texts import ERROR_TEXTS as EVENTS
from traceapp.i18n import format_number, language
from traceapp.producers.error_texts import ERROR_TEXTS as PRODUCERS

ERROR_TEXTS = EVENTS.merged(BATCHES).merged(PRODUCERS)


def translate(lang: str, code: str, params: Mapping[str, object]) -> str | None:
    """The text of ``code`` in ``lang`` with ``params`` (numbers as ``lang`` writes them)."""
    key = f"{code}+suggestion" if params.get("suggestion") else code
    if key not in ERROR_TEXTS:
        key = code
    if key not in ERROR_TEXTS:
        return None
    shown = {
        name: format_number(value, lang)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        else value
        for name, value in params.items()
    }
    try:
        # ``language`` is always passed so the template is filled: a missing parameter raises.
        return ERROR_TEXTS(lang, key, language=lang, **shown)
    except (KeyError, IndexError):  # an error raised without its text's parameters
        return None


def translator(lang: str) -> Translate:
    lang = language(lang)
    return lambda code, params: translate(lang, code, params)
