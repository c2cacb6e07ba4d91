"""The resolver: content negotiation, linkTypes, linksets, well-known, errors, languages."""

from __future__ import annotations

import unicodedata
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.scenario import Scenario
from verify_support import GTIN, LOT, item_path
from werkzeug.test import TestResponse

from traceapp.verification.ratelimit import Limit

HOST = "truyxuat.ocop.example.vn"
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JSON = {"Accept": "application/json"}


# Links a shopper may follow away from the page (share, call, chat): never loaded by it.
OUTBOUND = ("https://www.facebook.com/sharer/sharer.php?u=", "https://zalo.me/", "tel:")


class _Resources(HTMLParser):
    """Every URL the page could load or link to, and the <html lang>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.outbound: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        href = values.get("href") or ""
        if tag == "a" and href.startswith(OUTBOUND):
            assert "noopener" in (values.get("rel") or "") or href.startswith("tel:"), href
            self.outbound.append(href)
            return
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            if values.get(name):
                self.urls.append(values[name] or "")


def _resources(html: str) -> _Resources:
    parser = _Resources()
    parser.feed(html)
    return parser


def test_html_page_in_vietnamese_by_default(
    client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    response = client.get(item_path(serials[0]), headers=HTML)
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert html == unicodedata.normalize("NFC", html)
    page = _resources(html)
    assert page.lang == "vi"
    for text in (
        "Trà Shan tuyết Cổ thụ",
        "Hợp tác xã Chè Shan Tuyết Bản Mế",
        "Thôn Na Pá, Xã Bản Mế, Lào Cai",
        "OCOP 4 sao",
        "1234/QĐ-UBND",
        "UBND tỉnh Lào Cai",
        "Còn hiệu lực",
        "15/03/2028",
        "02/11/2026",
        "02/11/2028",
        "TCVN 12850:2019",
        "Thu hoạch",
        "Đóng gói",
        "Vận chuyển",
        "Cửa hàng OCOP Sa Pa",
        "Đã xác minh bằng chứng mật mã",
        f"(01){GTIN}(10){LOT}(21){serials[0]}",
        "Mã này đã được kiểm tra 1 lần",
    ):
        assert text in html, text
    assert f"/ledger/bundle{item_path(serials[0])}" in page.urls
    assert html.index("Thu hoạch") < html.index("Đóng gói") < html.index("Vận chuyển")
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize(
    "query, headers",
    [("?lang=en", {}), ("", {"Accept-Language": "en-US,en;q=0.9"})],
)
def test_english_page(
    client: FlaskClient, scenario: Scenario, serials: list[str], query: str, headers: dict[str, str]
) -> None:
    html = client.get(item_path(serials[0]) + query, headers={**HTML, **headers}).get_data(
        as_text=True
    )
    page = _resources(html)
    assert page.lang == "en"
    for text in ("Ancient Shan Tuyet tea", "OCOP 4 stars", "Harvesting", "Journey", "Valid"):
        assert text in html
    assert any("lang=vi" in url for url in page.urls)  # the switch back to Vietnamese


def test_vietnamese_wins_over_english_when_preferred(
    client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    html = client.get(
        item_path(serials[0]), headers={**HTML, "Accept-Language": "vi-VN,vi;q=0.9,en;q=0.8"}
    ).get_data(as_text=True)
    assert _resources(html).lang == "vi"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_resource_from_another_host(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str], lang: str
) -> None:
    paths = [
        item_path(serials[0]),
        f"/01/{GTIN}/10/{LOT}",
        f"/01/{GTIN}",
        item_path(serials[0]) + "?view=journey",
        item_path(serials[0]) + "?view=certificates",
        "/01/123",
        f"/01/{GTIN}/10/NOPE",
    ]
    for path in paths:
        sep = "&" if "?" in path else "?"
        html = client.get(f"{path}{sep}lang={lang}", headers=HTML).get_data(as_text=True)
        urls = _resources(html).urls
        assert urls
        for url in urls:
            parts = urlsplit(url)
            assert parts.scheme in ("", "https", "data"), url
            assert parts.netloc in ("", HOST), url
            if parts.scheme == "data":
                assert url == "data:,"


def test_foreign_images_are_never_hotlinked(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    from traceapp.db.sessions import get_database
    from traceapp.ledger_runtime import get_ledger
    from traceapp.products.services import ProductChanges, update_product

    for image, shown in (
        ("https://cdn.example.com/tea.jpg", None),
        (f"https://{HOST}/static/tea.jpg", "/static/tea.jpg"),
    ):
        with get_database(app).write() as session:
            update_product(
                session,
                get_ledger(app),
                scenario.producer_key,
                scenario.product,
                ProductChanges(image_url=image),
            )
        urls = _resources(client.get(item_path(serials[0])).get_data(as_text=True)).urls
        assert "cdn.example.com" not in " ".join(urls)
        if shown:
            html = client.get(item_path(serials[0])).get_data(as_text=True)
            assert f'src="{shown}"' in html


def test_json_view(client: FlaskClient, scenario: Scenario, serials: list[str]) -> None:
    response = client.get(item_path(serials[0]), headers=JSON)
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.json
    assert data is not None
    assert data["kind"] == "item"
    assert data["uri"] == f"https://{HOST}{item_path(serials[0])}"
    assert data["product"]["nameVi"] == "Trà Shan tuyết Cổ thụ"
    assert data["ocop"]["stars"] == 4 and data["ocop"]["status"] == "valid"
    assert [s["bizStep"] for s in data["journey"]] == ["harvesting", "packing", "shipping"]
    assert data["proofs"]["allVerified"] is True
    assert all(e["verified"] for e in data["proofs"]["entries"])
    assert data["scans"]["count"] == 1
    assert data["bundle"] == f"/ledger/bundle{item_path(serials[0])}"


def _follow(client: FlaskClient, path: str, headers: dict[str, str]) -> TestResponse:
    """One redirect of the resolver (307, to our own host), then its target."""
    response = client.get(path, headers=headers)
    assert response.status_code == 307, path
    location = response.headers["Location"]
    assert location.startswith(f"https://{HOST}/")
    return client.get(location.removeprefix(f"https://{HOST}"), headers=headers)


def test_link_types(client: FlaskClient, scenario: Scenario, serials: list[str]) -> None:
    # Resolver 1.2: ?linkType= redirects (307) to the link; the targets answer with content.
    base = item_path(serials[0])
    journey = _follow(client, base + "?linkType=gs1:traceability", JSON).json
    assert journey is not None and set(journey) == {"kind", "code", "uri", "journey", "proofs"}
    certs = _follow(client, base + "?linkType=gs1:certificationInfo", JSON).json
    assert certs is not None and certs["certificates"][0]["decisionNumber"] == "1234/QĐ-UBND"
    html = _follow(client, base + "?linkType=gs1:certificationInfo", HTML).get_data(as_text=True)
    assert 'id="certificates"' in html and 'id="journey"' not in html
    html = _follow(client, base + "?linkType=gs1:traceability", HTML).get_data(as_text=True)
    assert 'id="journey"' in html and 'id="certificates"' not in html
    pip = _follow(client, base + "?linkType=gs1:pip", HTML).get_data(as_text=True)
    assert 'id="producer"' in pip and 'id="journey"' in pip
    unknown = _follow(client, base + "?linkType=gs1:somethingElse", HTML)
    assert unknown.status_code == 200  # the default link, per the resolver standard


@pytest.mark.parametrize(
    "query, headers",
    [("?linkType=all", {}), ("", {"Accept": "application/linkset+json"})],
)
def test_linkset(
    client: FlaskClient,
    scenario: Scenario,
    serials: list[str],
    query: str,
    headers: dict[str, str],
) -> None:
    response = client.get(item_path(serials[0]) + query, headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/linkset+json")
    data = response.get_json(force=True)
    anchor = f"https://{HOST}{item_path(serials[0])}"
    [entry] = data["linkset"]
    assert entry["anchor"] == anchor
    for link_type in ("pip", "traceability", "certificationInfo", "recallStatus", "defaultLink"):
        links = entry[f"https://gs1.org/voc/{link_type}"]
        if link_type == "defaultLink":  # exactly one, title only
            assert len(links) == 1 and set(links[0]) == {"href", "title"}
            continue
        assert {link["type"] for link in links} >= {"text/html", "application/json"}
        assert {lang for link in links for lang in link["hreflang"]} == {"vi", "en"}
        for link in links:
            assert link["href"].startswith(f"https://{HOST}/") and link["title"]
    pip = client.get(entry["https://gs1.org/voc/pip"][0]["href"].removeprefix(f"https://{HOST}"))
    assert pip.status_code == 200


def test_well_known(client: FlaskClient) -> None:
    data = client.get("/.well-known/gs1resolver").json
    assert data is not None
    assert data["resolverRoot"] == f"https://{HOST}"
    assert data["supportedPrimaryKeys"] == ["01"]  # AI numbers, as Resolver 1.2 writes them
    assert data["name"]
    [link_types] = data["supportedLinkType"]
    assert link_types == {"namespace": "https://gs1.org/voc/", "prefix": "gs1:"}
    assert "supportedLinkTypes" not in data  # not a member of GS1's description file


def test_batch_product_and_lotless_item_pages(
    client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    batch = client.get(f"/01/{GTIN}/10/{LOT}").get_data(as_text=True)
    assert "L2026-11A" in batch and 'id="journey"' in batch and 'id="claim"' not in batch
    product = client.get("/01/8938505974019")  # GTIN-13 padded to 14 digits
    assert product.status_code == 200 and "Trà Shan tuyết Cổ thụ" in product.get_data(as_text=True)
    lotless = client.get(f"/01/{GTIN}/21/{serials[1]}", headers=JSON).json
    assert lotless is not None and lotless["batch"]["lot"] == LOT
    assert lotless["bundle"] == f"/ledger/bundle{item_path(serials[1])}"


def test_expiry_in_query(client: FlaskClient, scenario: Scenario, serials: list[str]) -> None:
    same = client.get(item_path(serials[0]) + "?17=281102", headers=JSON).json
    assert same is not None and "expiry_mismatch" not in {w["code"] for w in same["warnings"]}
    other = client.get(item_path(serials[0]) + "?17=290101", headers=JSON).json
    assert other is not None
    [warning] = [w for w in other["warnings"] if w["code"] == "expiry_mismatch"]
    assert warning["params"] == {"printed": "2029-01-01", "recorded": "2028-11-02"}
    page = client.get(item_path(serials[0]) + "?17=290101&lang=en").get_data(as_text=True)
    assert "differs from the record" in page


@pytest.mark.parametrize(
    "path, field",
    [
        ("/01/12345", "gtin"),
        ("/01/08938505974018", "gtin"),
        ("/01/", "gtin"),
        ("/01", "gtin"),
        (f"/01/{GTIN}/99/x", "path"),
        (f"/01/{GTIN}/21/a/10/b", "path"),
        (f"/01/{GTIN}/10/" + "x" * 21, "lot"),
        (f"/01/{GTIN}/10/{LOT}/21/%ZZ", "serial"),
        (f"/01/{GTIN}?17=991399", "expiry"),
    ],
)
def test_malformed_codes_are_400(
    client: FlaskClient, scenario: Scenario, path: str, field: str
) -> None:
    page = client.get(path, headers=HTML)
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert "Mã không hợp lệ" in page.get_data(as_text=True)
    data = client.get(path, headers=JSON)
    assert data.status_code == 400 and data.json is not None
    error = data.json["error"]
    assert error["field"] == field and error["code"] and error["message"]


@pytest.mark.parametrize(
    "path",
    # Unknown lots and serials of a known GTIN walk up (tests/resolver/test_walk_up.py).
    ["/01/08938505974026", "/01/08938505974033/10/L1", "/01/08938505974033/10/L1/21/S"],
)
def test_unknown_codes_are_404(client: FlaskClient, scenario: Scenario, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 404 and "Không tìm thấy" in page.get_data(as_text=True)
    english = client.get(path + "?lang=en").get_data(as_text=True)
    assert "may be counterfeit" in english
    data = client.get(path, headers=JSON)
    assert data.status_code == 404 and data.json is not None
    assert data.json["error"]["code"] == "NOT_FOUND"
    linkset = client.get(path + "?linkType=all")
    assert linkset.status_code == 404


_SEGMENT = st.one_of(
    st.sampled_from(["01", "10", "21", "17", "22", GTIN, LOT, "", "%2F", "%", "%E2%82", "..", "x"]),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#"),
        max_size=25,
    ),
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    segments=st.lists(_SEGMENT, max_size=7),
    query=st.sampled_from(
        ["", "?17=x", "?linkType=all", "?17=281102", "?10=a", "?lang=en&linkType=gs1:pip"]
    ),
    json=st.booleans(),
)
def test_random_paths_never_5xx(
    app: Flask, client: FlaskClient, segments: list[str], query: str, json: bool
) -> None:
    app.config["RATE_LIMITS"] = {
        "page": Limit(10**9, 60.0),
        "bundle": Limit(10**9, 60.0),
        "claim": Limit(10**9, 60.0),
    }
    from urllib.parse import quote

    path = "/01/" + "/".join(quote(s, safe="%") for s in segments) + query
    response = client.get(path, headers=JSON if json else HTML)
    assert response.status_code in (200, 400, 404), path
    bundle = client.get("/ledger/bundle" + path)
    assert bundle.status_code in (200, 400, 404), path
