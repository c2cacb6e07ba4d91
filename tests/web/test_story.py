"""The item page's story parts: OCOP stars explained, share links, Open Graph and Twitter card
meta, schema.org + GS1 Web Vocabulary JSON-LD (safe inside <script>), and the page's weight."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from support.story import processed_link, verify

from traceapp.db.sessions import get_database
from traceapp.gs1.digital_link import DigitalLink
from traceapp.keys.services import admin_key_name
from traceapp.ledger_runtime import get_ledger
from traceapp.products.models import Product
from traceapp.products.services import ProductChanges, update_product
from traceapp.web.story import json_ld, story

TERMS = json.loads(
    (Path(__file__).parent.parent / "fixtures" / "vocabularies" / "terms.json").read_text()
)
PAGE_LIMIT = 40 * 1024


class _Head(HTMLParser):
    """The page's <meta>, <script type=application/ld+json> and <details> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.json_ld: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.stylesheets: list[str] = []
        self._in_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "meta" and (a.get("property") or a.get("name")):
            self.meta[str(a.get("property") or a.get("name"))] = a.get("content") or ""
        if tag == "script":
            self.scripts.append(a)
            self._in_ld = a.get("type") == "application/ld+json"
            if self._in_ld:
                self.json_ld.append("")
        if tag == "link" and a.get("rel") == "stylesheet":
            self.stylesheets.append(str(a["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.json_ld[-1] += data


def parse(html: str) -> _Head:
    head = _Head()
    head.feed(html)
    return head


def _terms(node: Any, found: set[tuple[str, str]]) -> None:
    """Every (vocabulary, term) used as a property or a class in the JSON-LD."""
    if isinstance(node, list):
        for value in node:
            _terms(value, found)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "@type":
            for kind in value if isinstance(value, list) else [value]:
                found.add(_term(kind, "class"))
        elif not key.startswith("@"):
            found.add(_term(key, "property"))
            _terms(value, found)


def _term(name: str, kind: str) -> tuple[str, str]:
    vocabulary, _, term = name.rpartition(":")
    return (vocabulary or "schema", term + "/" + kind)


def page(app: Flask, path: str, lang: str = "vi") -> str:
    response = app.test_client().get(f"{path}?lang={lang}", headers={"Accept": "text/html"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_json_ld_uses_only_defined_terms(app: Flask, runner: FlaskCliRunner, lang: str) -> None:
    link = processed_link(app, runner)
    head = parse(page(app, link.path, lang))
    (raw,) = head.json_ld
    data = json.loads(raw)
    assert data["@context"] == {"@vocab": "https://schema.org/", "gs1": "https://ref.gs1.org/voc/"}
    assert set(data["@type"]) == {"Product", "gs1:Product"}
    assert data["gs1:gtin"] == link.gtin and data["gtin14"] == link.gtin
    assert data["@id"] == app.config["TRACEAPP"].public_url + f"/01/{link.gtin}"
    assert data["gs1:countryOfOrigin"]["gs1:countryCode"] == "VN"
    assert data["gs1:brand"]["gs1:brandName"]
    assert {"@value": "Trà đảng sâm", "@language": "vi"} in data["name"]
    (ocop,) = [c for c in data["hasCertification"] if c["name"].startswith("OCOP")]
    assert ocop["certificationRating"]["ratingValue"] == 4
    assert any(c["gs1:certificationStandard"] == "OCOP" for c in data["gs1:certification"])
    used: set[tuple[str, str]] = set()
    _terms(data, used)
    defined = {
        (vocabulary, f"{term}/{kind}")
        for vocabulary in ("gs1", "schema")
        for term, kind in TERMS[vocabulary].items()
    }
    assert used and used <= defined, sorted(used - defined)


def shared(app: Flask, link: DigitalLink) -> str:
    """The batch's Digital Link: an item's is never shared (each opening is a scan of it)."""
    return app.config["TRACEAPP"].public_url + DigitalLink(link.gtin, link.lot).path


def test_open_graph_and_twitter_card(app: Flask, runner: FlaskCliRunner) -> None:
    link = processed_link(app, runner)
    canonical = shared(app, link)
    assert link.serial is not None and link.serial not in canonical
    vi, en = parse(page(app, link.path, "vi")).meta, parse(page(app, link.path, "en")).meta
    assert vi["og:title"] == "Trà đảng sâm · OCOP 4 sao"
    assert en["og:title"].endswith("· OCOP 4 stars")
    assert vi["og:url"] == en["og:url"] == canonical
    assert (vi["og:locale"], vi["og:locale:alternate"]) == ("vi_VN", "en_US")
    assert en["og:locale"] == "en_US"
    assert vi["og:description"] and vi["twitter:description"] == vi["og:description"]


def test_photo_in_the_card(app: Flask, runner: FlaskCliRunner) -> None:
    """The uploaded photo (the demo's products with items have one) is the card's image, by its
    absolute URL on our host; without one, the image path given at registration."""
    link = processed_link(app, runner)
    public = app.config["TRACEAPP"].public_url
    view = verify(app, link)
    assert view.product.photo is not None
    meta = parse(page(app, link.path)).meta
    assert meta["og:image"] == meta["twitter:image"] == public + view.product.photo.jpeg_path
    assert meta["twitter:card"] == "summary_large_image"
    bare = replace(view, product=replace(view.product, photo=None))
    assert story(bare, "vi", "/static/tea.jpg", public).image == public + "/static/tea.jpg"
    none = story(bare, "vi", None, public)
    assert none.image is None and ("name", "twitter:card", "summary") in none.meta


def _update_product(app: Flask, gtin: str, changes: ProductChanges) -> None:
    """Change the product on the ledger (``product.updated``), as its console would."""
    with get_database(app).write() as session:
        product = session.execute(select(Product).where(Product.gtin == gtin)).scalar_one()
        update_product(
            session, get_ledger(app), admin_key_name(session), product.public_id, changes
        )


def test_json_ld_cannot_be_broken_out_of(app: Flask, runner: FlaskCliRunner) -> None:
    link = processed_link(app, runner)
    hostile = 'Trà</script><script>alert(1)</script><!-- "x" & y'
    _update_product(app, link.gtin, ProductChanges(name_vi=hostile, description=hostile))
    html = page(app, link.path)
    head = parse(html)
    assert len(head.json_ld) == 1
    assert "alert(1)</script>" not in html and "<script>alert" not in html
    data = json.loads(head.json_ld[0])
    assert data["name"][0]["@value"] == hostile and data["description"] == hostile
    assert parse(html).meta["og:title"].startswith(hostile)  # attribute-escaped, still whole
    # Nothing but our own script and the JSON-LD block.
    assert [s.get("type") for s in head.scripts] == ["application/ld+json", None]
    assert head.scripts[1]["src"] == "/static/share.js"


def test_json_ld_escapes_hostile_proven_text(app: Flask, runner: FlaskCliRunner) -> None:
    """A name that really says </script> (as registered on the ledger) stays inside the data."""
    link = processed_link(app, runner)
    view = verify(app, link)
    hostile = "A</script><script>alert(1)</script>\u2028<!--&"
    product = replace(view.product, name_vi=hostile, description=hostile)
    raw = str(json_ld(replace(view, product=product), "https://example.test/01/x", None))
    assert "<" not in raw and ">" not in raw and "&" not in raw and "\u2028" not in raw
    data = json.loads(raw)
    assert data["name"][0]["@value"] == hostile and data["description"] == hostile


def test_stars_explained_folded(app: Flask, runner: FlaskCliRunner) -> None:
    link = processed_link(app, runner)
    for lang, words in (("vi", "Số sao OCOP nghĩa là gì?"), ("en", "What do OCOP stars mean?")):
        html = page(app, link.path, lang)
        folded = html[html.index('<details class="stars-meaning">') :]
        folded = folded[: folded.index("</details>")]
        assert f"<summary>{words}</summary>" in folded
        assert "148/QĐ-TTg" in folded
        assert folded.count("<li") == 3
        # This product's rating (4 stars) is marked.
        assert re.search(r'<li class="this" aria-current="true">4 ', folded)


def test_share_links_work_without_scripts(app: Flask, runner: FlaskCliRunner) -> None:
    link = processed_link(app, runner)
    canonical = shared(app, link)
    html = page(app, link.path)
    share = html[html.index('id="share"') :]
    facebook = "https://www.facebook.com/sharer/sharer.php?u=" + quote(canonical, safe="")
    assert f'href="{facebook}"' in share
    assert (
        f'<a id="share-link" class="code" aria-describedby="share-label" href="{canonical}"'
        in share
    )
    assert 'href="#share-link"' in share  # Zalo: copy the link (no scriptless Zalo share)
    script = app.test_client().get("/static/share.js").get_data(as_text=True)
    assert "clipboard" in script and "http" not in script


def test_csp_allows_only_our_scripts(app: Flask, runner: FlaskCliRunner) -> None:
    link = processed_link(app, runner)
    response = app.test_client().get(link.path, headers={"Accept": "text/html"})
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp


def test_processed_product_page_weighs_at_most_40_kb(app: Flask, runner: FlaskCliRunner) -> None:
    """HTML + CSS (+ our script) before images, for the heaviest demo page, in both languages."""
    link = processed_link(app, runner)
    client = app.test_client()
    for lang in ("vi", "en"):
        html = page(app, link.path, lang)
        head = parse(html)
        assets = head.stylesheets + [str(s["src"]) for s in head.scripts if s.get("src")]
        size = len(html.encode())
        for asset in assets:
            size += len(client.get(asset).get_data())
        assert size <= PAGE_LIMIT, (lang, size)


def test_mixed_language_text_is_marked(app: Flask, runner: FlaskCliRunner) -> None:
    link = processed_link(app, runner)
    html = page(app, link.path, "en")
    assert '<html lang="en">' in html
    assert '<p class="input-name" lang="vi">Củ đảng sâm tươi (nguyên liệu)</p>' in html
    assert '<dd lang="vi">Vùng trồng đảng sâm A Xan</dd>' in html
