"""The links of an identified entity (GS1-Conformant Resolver 1.2, RFC 9264 linksets).

Every Digital Link URI we answer has one default link and typed links from the GS1 Web
Vocabulary. Their targets are our own content URLs: the resolver path with ``view=`` (and
``lang=``), which always answers with content, never with another redirect. A request for
``?linkType=gs1:xxx`` is redirected to one of them, chosen by language and media type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from traceapp.gs1.canonical_link import canonical_digital_link
from traceapp.gs1.digital_link import DigitalLink
from traceapp.i18n import LANGUAGES
from traceapp.verification.model import Verification
from traceapp.web.resolver_texts import TEXTS

GS1_VOC = "https://gs1.org/voc/"
LINKSET = "application/linkset+json"
HTML = "text/html"
JSON = "application/json"
JSON_LD = "application/ld+json"
JSON_LD_CONTEXT = "https://ref.gs1.org/standards/resolver/linkset-context"
JSON_LD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
# The link types this resolver can answer, in the GS1 Web Vocabulary.
LINK_TYPES = ("pip", "traceability", "certificationInfo", "recallStatus", "epcis")
# The content a view= parameter selects, per link type.
VIEWS = {
    "pip": "pip",
    "traceability": "journey",
    "certificationInfo": "certificates",
    "recallStatus": "recall",
}
# The vocabulary's IRI (ref.gs1.org) and the equivalents its terms declare (gs1.org, www.gs1.org).
_VOCAB_PREFIXES = (
    "gs1:",
    GS1_VOC,
    "https://ref.gs1.org/voc/",
    "https://www.gs1.org/voc/",
    "http://gs1.org/voc/",
)


@dataclass(frozen=True, slots=True)
class Target:
    """One link: its GS1 link type (without namespace), target and metadata."""

    link_type: str
    href: str
    title: str
    type: str | None = None
    hreflang: tuple[str, ...] = ()
    forward_query: bool = True

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"href": self.href, "title": self.title}
        if self.type:
            data["type"] = self.type
        if self.hreflang:
            data["hreflang"] = list(self.hreflang)
        if not self.forward_query:
            data["fwqs"] = False
        return data


@dataclass(frozen=True, slots=True)
class Links:
    anchor: str
    """The uncompressed Digital Link URI: the subject of every link."""
    description: str
    default: Target
    typed: tuple[Target, ...]

    def of_type(self, link_type: str) -> list[Target]:
        return [t for t in self.typed if t.link_type == link_type]

    def document(self) -> dict[str, Any]:
        """The RFC 9264 JSON linkset, in the shape GS1's linkset schema requires."""
        entry: dict[str, Any] = {"anchor": self.anchor, "itemDescription": self.description}
        entry[GS1_VOC + "defaultLink"] = [self.default.as_json()]
        for link_type in LINK_TYPES:
            targets = self.of_type(link_type)
            if targets:
                entry[GS1_VOC + link_type] = [t.as_json() for t in targets]
        return {"linkset": [entry]}


def normalise_link_type(raw: str) -> str | None:
    """``gs1:pip``, ``https://gs1.org/voc/pip`` ... -> ``pip``; ``all`` -> ``linkset``.

    ``None`` for a link type this resolver does not know (answered with the default link).
    """
    value = raw.strip()
    if value in ("linkset", "all"):
        return "linkset"
    for prefix in _VOCAB_PREFIXES:
        if value.startswith(prefix):
            name = value[len(prefix) :]
            if name in ("defaultLink", "defaultLinkMulti"):
                return "defaultLink"
            return name if name in LINK_TYPES else None
    return None


def content_url(anchor: str, view: str, lang: str | None = None) -> str:
    pairs = [("view", view)] + ([("lang", lang)] if lang else [])
    return f"{anchor}?{urlencode(pairs)}"


def build_links(view: Verification, link: DigitalLink, anchor: str, public_url: str) -> Links:
    """The links of ``view``, the entity the (possibly walked-up) ``link`` identifies."""
    name = {lang: _name(view, lang) for lang in LANGUAGES}
    typed: list[Target] = []

    def content(link_type: str, key: str, *, params: bool = False) -> None:
        for lang in LANGUAGES:
            title = TEXTS(lang, key, name=name[lang]) if params else TEXTS(lang, key)
            for kind in (HTML, JSON):
                href = content_url(anchor, VIEWS[link_type], lang)
                typed.append(Target(link_type, href, title, kind, (lang,)))

    content("pip", "lt_pip", params=True)
    if view.journey:
        content("traceability", "lt_traceability")
    bundle = _bundle_path(view)
    if bundle is not None:
        for lang in LANGUAGES:
            title = TEXTS(lang, "lt_bundle")
            typed.append(Target("traceability", public_url + bundle, title, JSON, (lang,)))
    if view.certificates:
        content("certificationInfo", "lt_certificationInfo")
    if view.batch is not None:
        content("recallStatus", "lt_recallStatus")
    epcis = _epcis_query(view)
    if epcis is not None:
        for lang in LANGUAGES:
            title = TEXTS(lang, "lt_epcis")
            href = f"{public_url}/epcis/events?{epcis}"
            typed.append(Target("epcis", href, title, JSON_LD, (lang,), forward_query=False))
    default = Target(
        "defaultLink", content_url(anchor, "pip"), TEXTS("vi", "lt_default", name=name["vi"])
    )
    description = TEXTS("vi", "item_description", name=name["vi"], code=view.code)
    return Links(anchor, description, default, tuple(typed))


def _name(view: Verification, lang: str) -> str:
    product = view.product
    return product.name_en if lang == "en" and product.name_en else product.name_vi


def _bundle_path(view: Verification) -> str | None:
    if view.item is None or view.batch is None:
        return None
    full = DigitalLink(view.product.gtin, view.batch.lot, view.item.serial)
    return f"/ledger/bundle{full.path}"


def _epcis_query(view: Verification) -> str | None:
    """The EPCIS SimpleEventQuery for this EPC (item) or EPC class (lot), if any."""
    if view.batch is None:
        return None
    if view.item is not None:
        epc = canonical_digital_link(
            "https://id.gs1.org" + DigitalLink(view.product.gtin, None, view.item.serial).path
        )
        return urlencode([("MATCH_epc", epc or "")])
    lot = DigitalLink(view.product.gtin, view.batch.lot).path
    return urlencode([("MATCH_epcClass", canonical_digital_link("https://id.gs1.org" + lot) or "")])


def choose(targets: list[Target], lang: str, want_json: bool) -> Target:
    """The best target for the request's language and media type (first on a tie)."""

    def score(target: Target) -> tuple[int, int]:
        same_lang = int(not target.hreflang or lang in target.hreflang)
        kind = target.type or ""
        same_type = int((kind != HTML) == want_json)
        return same_lang, same_type

    return max(targets, key=score)


def redirect_location(target: Target, query: list[tuple[str, str]]) -> str:
    """The target, with the request's other query parameters passed on (standard §, fwqs)."""
    if not target.forward_query:
        return target.href
    parts = urlsplit(target.href)
    own = parse_qsl(parts.query, keep_blank_values=True)
    taken = {k for k, _ in own}
    extra = [(k, v) for k, v in query if k != "linkType" and k not in taken]
    if not extra:
        return target.href
    return parts._replace(query=urlencode(own + extra)).geturl()


def link_header(anchor: str, *, same_as: str | None = None, linkset_response: bool = False) -> str:
    """``Link``: the linkset always; the JSON-LD context on linksets; owl:sameAs when the
    request was compressed. Titles are ASCII: header values are not UTF-8."""
    links = [
        f'<{anchor}?linkType=linkset>; rel="linkset"; type="{LINKSET}"; title="Linkset"',
        f'<{content_url(anchor, "pip")}>; rel="{GS1_VOC}defaultLink"; '
        f'type="{HTML}"; title="Product information"',
    ]
    if linkset_response:
        links.append(f'<{JSON_LD_CONTEXT}>; rel="{JSON_LD_CONTEXT_REL}"; type="{JSON_LD}"')
    if same_as is not None:
        links.append(f'<{same_as}>; rel="owl:sameAs"')
    return ", ".join(links)
