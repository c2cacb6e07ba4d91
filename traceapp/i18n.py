"""Languages, texts and the formatting of numbers and dates, in Vietnamese (first) and English.

Every page, console screen, GraphQL ``userError`` and CLI message that speaks to a person takes
its words from a ``Texts`` catalog and its numbers and dates from here (Babel's CLDR data): a
quantity is "240 gói", not "2.4E+2"; a Vietnamese date is 06/12/2026 everywhere; plural forms
follow the CLDR rules Babel ships, a form a catalog lacks falling back to "other".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Literal, TypeAlias

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import format_decimal

Language: TypeAlias = Literal["vi", "en"]
LANGUAGES: tuple[Language, ...] = ("vi", "en")
DEFAULT: Language = "vi"

_LOCALES = {lang: Locale.parse(lang) for lang in LANGUAGES}
# Vietnamese dates are written day first with two-digit day and month (dd/mm/yyyy).
_DATE_FORMATS: dict[Language, str] = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
_DATETIME_FORMATS: dict[Language, str] = {"vi": "HH:mm dd/MM/yyyy", "en": "d MMM yyyy, HH:mm"}

# A catalog entry: one template per language, or per CLDR plural category ("one", "other", ...)
# for a text that counts (its ``count`` parameter picks the form).
Plural: TypeAlias = Mapping[str, str]
Entry: TypeAlias = tuple[str | Plural, str | Plural]

VIETNAM = timezone(timedelta(hours=7))
"""Vietnam's time (UTC+7, no daylight saving): expiry, validity and the office's days are its
dates."""


def vietnam_today(now: datetime | None = None) -> date:
    """The day in Vietnam at ``now`` (default: this instant): the day a certificate's or a
    batch's validity, an expiry warning and the office's figures are judged on."""
    return (now or datetime.now(VIETNAM)).astimezone(VIETNAM).date()


def search_key(value: str | None) -> str | None:
    """The form filters compare: without diacritics (NFD, combining marks dropped, đ → d),
    case-folded, spaces collapsed, so "Quang Nam", "quảng nam" and "QUẢNG NAM" are one key."""
    if value is None:
        return None
    bare = "".join(c for c in unicodedata.normalize("NFD", value) if not unicodedata.combining(c))
    return " ".join(bare.casefold().replace("đ", "d").split())


# The words before a unit's name ("Tỉnh Quảng Nam", "TP. Đà Nẵng", "Xã Trà Linh"), as keys.
_UNIT_WORDS = ("thanh pho ", "tp.", "tp ", "tinh ", "dac khu ", "thi tran ", "phuong ", "xa ")


def place_key(value: str | None) -> str | None:
    """``search_key`` of a province or commune without the word naming its kind of unit, so
    "Quảng Nam", "tỉnh Quảng Nam" and "quang nam" are one key, as are "TP. Đà Nẵng" and
    "Thành phố Đà Nẵng"."""
    key = search_key(value)
    if not key:
        return key
    for word in _UNIT_WORDS:
        if key.startswith(word) and len(key) > len(word):
            return key[len(word) :].lstrip(" .")
    return key


def language(value: str | None) -> Language:
    """``value`` if it is one of ours, else Vietnamese."""
    return "en" if value == "en" else DEFAULT


def negotiate(accept_language: str | None, preferred: str | None = None) -> Language:
    """The language to answer in: the person's own setting first, then ``Accept-Language``.

    ``Accept-Language`` is read as RFC 9110 §12.5.4 says: ranges by quality, a primary tag
    matching its subtags (``en-GB`` is English); Vietnamese when nothing of ours is asked for.
    """
    if preferred in LANGUAGES:
        return language(preferred)
    best: tuple[float, int, Language] | None = None
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        candidate = (quality, -position, language(primary))
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best else DEFAULT


def format_number(value: int | float | Decimal, lang: str) -> str:
    """A number as people of ``lang`` write it: 1.234,5 in Vietnamese, 1,234.5 in English.

    Decimals keep their significant digits and never use an exponent (``Decimal("2.4E+2")`` is
    240).
    """
    return format_decimal(value, locale=_LOCALES[language(lang)], decimal_quantization=False)


def format_date(value: date, lang: str) -> str:
    return babel_format_date(value, _DATE_FORMATS[language(lang)], locale=_LOCALES[language(lang)])


def format_datetime(value: datetime, lang: str) -> str:
    """A moment in the time zone it carries (the caller converts it first if needed)."""
    lang = language(lang)
    return babel_format_datetime(
        value, _DATETIME_FORMATS[lang], tzinfo=value.tzinfo, locale=_LOCALES[lang]
    )


def plural_category(count: int | float | Decimal, lang: str) -> str:
    """The CLDR plural category of ``count`` in ``lang``, as Babel's data gives it."""
    return str(_LOCALES[language(lang)].plural_form(abs(Decimal(str(count)))))


class Texts:
    """A catalog of texts keyed by name, each in every language of ``LANGUAGES``.

    ``{name}`` placeholders are filled from the parameters; a counted text (an entry of plural
    forms) takes ``count``, shown formatted for the language. Results are NFC-normalised.
    """

    def __init__(self, entries: Mapping[str, Entry]) -> None:
        for key, pair in entries.items():
            if len(pair) != len(LANGUAGES):
                raise ValueError(f"text {key!r} is not in every language")
        self.entries = dict(entries)

    def __contains__(self, key: object) -> bool:
        return key in self.entries

    def __call__(self, lang: str, key: str, **params: object) -> str:
        """The text ``key`` in ``lang``; an unknown key is returned as it is."""
        pair = self.entries.get(key)
        if pair is None:
            return key
        template = pair[LANGUAGES.index(language(lang))]
        if not isinstance(template, str):
            count = params.get("count")
            if not isinstance(count, int | float | Decimal):
                raise TypeError(f"text {key!r} counts: give it a number as count")
            template = template.get(plural_category(count, lang)) or template["other"]
            params = {**params, "count": format_number(count, lang)}
        filled = template.format(**params) if params else template
        return unicodedata.normalize("NFC", filled)

    def merged(self, other: Texts) -> Texts:
        """Both catalogs; a key in both is refused (one text, one meaning)."""
        clash = self.entries.keys() & other.entries.keys()
        if clash:
            raise ValueError(f"texts defined twice: {sorted(clash)}")
        return Texts({**self.entries, **other.entries})
