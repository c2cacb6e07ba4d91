"""The page's story parts from a Verification: share links, Open Graph and Twitter card meta,
the schema.org + GS1 Web Vocabulary JSON-LD, dates in the page's language.

Pure functions of the view, the language and the page's canonical Digital Link; the resolver
hands the result to the templates (``verify/meta.html``, ``share.html`` ...).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from traceapp.gs1.digital_link import DigitalLink
from traceapp.i18n import format_date
from traceapp.verification.model import CertificateView, Verification
from traceapp.verification.texts import text

FACEBOOK_SHARE = "https://www.facebook.com/sharer/sharer.php?u="
# Zalo has no documented share link that works without its script (its share button loads
# Zalo's SDK and needs an Official Account): the page shares to Zalo by copying the link.
SCHEMA = "https://schema.org/"
GS1 = "https://ref.gs1.org/voc/"
OG_LOCALES = {"vi": "vi_VN", "en": "en_US"}
# What JSON-LD inside <script> must never contain raw: "</script>" or "<!--" would end or
# change the element; U+2028/2029 are line ends in old JavaScript parsers.
_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


@dataclass(frozen=True)
class Story:
    lang: str
    uri: str
    """The GS1 Digital Link that is shared: the batch's (or the product's), never an item's
    (``shared_link``)."""
    title: str
    description: str
    image: str | None
    """Absolute URL of the product photo on our host, when it has one."""
    json_ld: Markup

    @property
    def facebook(self) -> str:
        return FACEBOOK_SHARE + quote(self.uri, safe="")

    @property
    def meta(self) -> tuple[tuple[str, str, str], ...]:
        """(attribute, name, content) of the Open Graph and Twitter card ``<meta>`` tags."""
        other = OG_LOCALES["en" if self.lang == "vi" else "vi"]
        tags = [
            ("property", "og:type", "website"),
            ("property", "og:title", self.title),
            ("property", "og:description", self.description),
            ("property", "og:url", self.uri),
            ("property", "og:site_name", text(self.lang, "site")),
            ("property", "og:locale", OG_LOCALES[self.lang]),
            ("property", "og:locale:alternate", other),
            ("name", "twitter:card", "summary_large_image" if self.image else "summary"),
            ("name", "twitter:title", self.title),
            ("name", "twitter:description", self.description),
        ]
        if self.image:
            tags.append(("property", "og:image", self.image))
            tags.append(("name", "twitter:image", self.image))
        return tuple(tags)

    def date(self, value: date) -> str:
        return format_date(value, self.lang)


def shared_link(view: Verification, public_url: str) -> str:
    """The Digital Link a shared page points at: the batch's, or the product's.

    An item's link is left out on purpose: every opening of it is a scan of that one item, so a
    shared item link (and the crawlers of the sites it is shared on) would set off the clone
    rules, and would publish its serial. The batch's page shows the same product, producer,
    certificates, journey and inputs.
    """
    lot = view.batch.lot if view.batch is not None else None
    return public_url.rstrip("/") + DigitalLink(view.product.gtin, lot).path


def story(view: Verification, lang: str, image: str | None, public_url: str) -> Story:
    """The story parts of ``view`` in ``lang``; ``image``: the registered image's path on our
    host (an uploaded photo, when the product has one, comes first)."""
    uri = shared_link(view, public_url)
    p = view.product
    name = p.name_en if lang == "en" and p.name_en else p.name_vi
    title = name
    if view.ocop is not None and view.ocop.stars:
        title = f"{name} · OCOP {text(lang, 'stars', n=view.ocop.stars)}"
    description = _short(p.description) or text(lang, "og_description", producer=view.producer.name)
    if p.photo is not None:  # the uploaded photo's JPEG: every card reader takes it
        image = p.photo.jpeg_path
    absolute = public_url.rstrip("/") + image if image else None
    product = public_url.rstrip("/") + DigitalLink(p.gtin).path  # what the JSON-LD describes
    return Story(lang, uri, title, description, absolute, json_ld(view, product, absolute))


def _short(value: str | None, limit: int = 200) -> str | None:
    if not value:
        return None
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def json_ld(view: Verification, uri: str, image: str | None) -> Markup:
    """The product as schema.org ``Product`` and ``gs1:Product``, safe inside ``<script>``."""
    data = product_graph(view, uri, image)
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _UNSAFE.items():
        raw = raw.replace(char, escaped)
    return Markup(raw)  # every "<", ">" and "&" is escaped above


def _texts(vi: str, en: str | None) -> list[dict[str, str]]:
    values = [{"@value": vi, "@language": "vi"}]
    if en:
        values.append({"@value": en, "@language": "en"})
    return values


def product_graph(view: Verification, uri: str, image: str | None) -> dict[str, Any]:
    """The JSON-LD object (every term a schema.org or GS1 Web Vocabulary term)."""
    p, producer = view.product, view.producer
    names = _texts(p.name_vi, p.name_en)
    data: dict[str, Any] = {
        "@context": {"@vocab": SCHEMA, "gs1": GS1},
        "@type": ["Product", "gs1:Product"],
        "@id": uri,
        "url": uri,
        "name": names,
        "gs1:productName": names,
        "gtin14": p.gtin,
        "gs1:gtin": p.gtin,
        "brand": {"@type": "Brand", "name": producer.name},
        "gs1:brand": {"@type": "gs1:Brand", "gs1:brandName": producer.name},
        "manufacturer": {"@type": "Organization", "name": producer.name},
        "gs1:manufacturer": {"@type": "gs1:Organization", "gs1:organizationName": producer.name},
        "countryOfOrigin": {"@type": "Country", "name": "VN"},
        "gs1:countryOfOrigin": {"@type": "gs1:Country", "gs1:countryCode": "VN"},
    }
    if p.description:
        data["description"] = p.description
        data["gs1:productDescription"] = {"@value": p.description, "@language": "vi"}
    if image:
        data["image"] = image
    certificates = [c for c in view.certificates if c.status == "valid"]
    if certificates:
        data["hasCertification"] = [_schema_certificate(c) for c in certificates]
        data["gs1:certification"] = [_gs1_certificate(c) for c in certificates]
    return data


def _certificate_name(c: CertificateView) -> str:
    return f"{c.scheme} {c.stars}★" if c.stars else c.scheme


def _schema_certificate(c: CertificateView) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@type": "Certification",
        "name": _certificate_name(c),
        "certificationIdentification": c.decision_number,
        "issuedBy": {"@type": "Organization", "name": c.issuer},
        "validFrom": c.issued_on.isoformat(),
        "expires": c.valid_until.isoformat(),
    }
    if c.stars:
        data["certificationRating"] = {"@type": "Rating", "ratingValue": c.stars, "bestRating": 5}
    return data


def _gs1_certificate(c: CertificateView) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@type": "gs1:CertificationDetails",
        "gs1:certificationStandard": c.scheme,
        "gs1:certificationAgency": c.issuer,
        "gs1:certificationIdentification": c.decision_number,
        "gs1:certificationStartDate": c.issued_on.isoformat(),
        "gs1:certificationEndDate": c.valid_until.isoformat(),
    }
    if c.stars:
        data["gs1:certificationValue"] = str(c.stars)
    return data
