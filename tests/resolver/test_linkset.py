"""GS1-Conformant Resolver 1.2: description file, linksets, Link headers, 307s, CORS, methods."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from flask.testing import FlaskClient
from resolver_support import (
    ANY,
    HTML,
    JSON,
    LINKSET,
    ROOT,
    local,
    parse_link_header,
    schema_errors,
)
from support.scenario import Scenario
from verification.verify_support import GTIN, LOT, item_path

VOC = "https://gs1.org/voc/"


def test_description_file_is_valid(client: FlaskClient) -> None:
    response = client.get("/.well-known/gs1resolver", headers=JSON)
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.json
    assert schema_errors("description-file-schema.json", data) == []
    assert data is not None
    assert data["resolverRoot"] == ROOT and data["supportedPrimaryKeys"] == ["01"]
    assert data["supportedLinkType"] == [{"namespace": VOC, "prefix": "gs1:"}]
    assert data["linkTypeDefaultCanBeLinkset"] is False and data["contact"]["fn"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_description_file_keeps_to_gs1s_schema(client: FlaskClient) -> None:
    """Valid against GS1's description-file schema 1.2.0 (transcribed), and only its members:
    that schema admits any extra member, so a made-up one would pass it unnoticed."""
    import json

    from resolver_support import FIXTURES

    gs1 = json.loads(
        (FIXTURES / "gs1-description-file-schema-1.2.0.json").read_text(encoding="utf-8")
    )
    data = client.get("/.well-known/gs1resolver").json
    assert data is not None
    assert schema_errors("gs1-description-file-schema-1.2.0.json", data) == []
    assert set(data) <= set(gs1["properties"]), set(data) - set(gs1["properties"])
    assert set(data["contact"]) <= {"fn", "hasAddress", "hasTelephone"}
    assert data["jsonLdContextLocation"] == "https://ref.gs1.org/standards/resolver/linkset-context"
    assert not data["resolverRoot"].endswith("/")  # ROOT + "/01/..." is the Digital Link
    # The schema is GS1's: a key outside its enum or a missing required member fails it.
    assert schema_errors(
        "gs1-description-file-schema-1.2.0.json", {**data, "supportedPrimaryKeys": ["gtin"]}
    )
    assert schema_errors("gs1-description-file-schema-1.2.0.json", {"resolverRoot": ROOT})
    for method in ("head", "options"):  # every method a resolver answers, with CORS
        answer = getattr(client, method)("/.well-known/gs1resolver")
        assert answer.status_code == 200 and answer.headers["Access-Control-Allow-Origin"] == "*"
        assert "GET" in answer.headers["Access-Control-Allow-Methods"]


def test_schemas_accept_gs1s_own_example() -> None:
    """The copied schema is the real one: GS1's example passes, a broken linkset does not."""
    import json

    from resolver_support import FIXTURES

    example = json.loads((FIXTURES / "valid-gs1-example.json").read_text(encoding="utf-8"))
    assert schema_errors("gs1-linkset-schema.json", example) == []
    del example["linkset"][0]["itemDescription"]
    assert schema_errors("gs1-linkset-schema.json", example)


def _paths(serial: str) -> list[str]:
    return [item_path(serial), f"/01/{GTIN}/10/{LOT}", f"/01/{GTIN}", f"/01/{GTIN}/21/{serial}"]


@pytest.mark.parametrize("how", ["linkType=linkset", "linkType=all", "accept"])
def test_linkset_for_every_entity_is_valid(
    client: FlaskClient, scenario: Scenario, serials: list[str], how: str
) -> None:
    for path in _paths(serials[0]):
        if how == "accept":
            response = client.get(path, headers=LINKSET)
        else:
            response = client.get(f"{path}?{how}", headers=HTML)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"] == "application/linkset+json"
        data = response.get_json(force=True)
        assert schema_errors("gs1-linkset-schema.json", data) == [], path
        [entry] = data["linkset"]
        assert entry["anchor"] == ROOT + path
        [default] = entry[VOC + "defaultLink"]
        assert set(default) == {"href", "title"}
        for rel, links in entry.items():
            if rel.startswith(VOC) and rel != VOC + "defaultLink":
                for link in links:
                    assert link["title"] and link["type"] and link["hreflang"] in (["vi"], ["en"])
        rels = {link["rel"]: link for link in parse_link_header(response.headers["Link"])}
        context = rels["http://www.w3.org/ns/json-ld#context"]
        assert context["href"] == "https://ref.gs1.org/standards/resolver/linkset-context"
        assert rels["linkset"]["href"] == f"{ROOT}{path}?linkType=linkset"


def test_link_types_of_an_item(client: FlaskClient, scenario: Scenario, serials: list[str]) -> None:
    entry = client.get(item_path(serials[0]), headers=LINKSET).get_json(force=True)["linkset"][0]
    kinds = {rel.removeprefix(VOC) for rel in entry if rel.startswith(VOC)}
    assert kinds == {
        "defaultLink",
        "pip",
        "traceability",
        "certificationInfo",
        "recallStatus",
        "epcis",
    }
    pip = entry[VOC + "pip"]
    assert {(link["hreflang"][0], link["type"]) for link in pip} == {
        ("vi", "text/html"),
        ("vi", "application/json"),
        ("en", "text/html"),
        ("en", "application/json"),
    }
    assert any("Trà Shan tuyết" in link["title"] for link in pip)
    assert any("Ancient Shan Tuyet tea" in link["title"] for link in pip)
    bundle = [link for link in entry[VOC + "traceability"] if "/ledger/bundle/" in link["href"]]
    assert bundle and bundle[0]["href"] == f"{ROOT}/ledger/bundle{item_path(serials[0])}"
    [epcis, _] = entry[VOC + "epcis"]
    assert epcis["type"] == "application/ld+json" and epcis["fwqs"] is False
    events = client.get(local(epcis["href"]))
    assert events.status_code == 200 and events.json is not None
    # Every typed link answers with content (no second redirect), in its language.
    for rel, links in entry.items():
        for link in links if rel.startswith(VOC) else []:
            target = client.get(local(link["href"]), headers={"Accept": link.get("type", "*/*")})
            assert target.status_code == 200, link


def test_product_level_has_no_item_links(client: FlaskClient, scenario: Scenario) -> None:
    entry = client.get(f"/01/{GTIN}", headers=LINKSET).get_json(force=True)["linkset"][0]
    assert VOC + "epcis" not in entry and VOC + "recallStatus" not in entry
    assert VOC + "pip" in entry and VOC + "certificationInfo" in entry


@pytest.mark.parametrize(
    "link_type, headers, view, lang",
    [
        ("gs1:pip", {**HTML, "Accept-Language": "en"}, "pip", "en"),
        ("gs1:pip", HTML, "pip", "vi"),
        ("https://gs1.org/voc/traceability", JSON, "journey", "vi"),
        (
            "gs1:certificationInfo",
            {**JSON, "Accept-Language": "en-GB,en;q=0.9"},
            "certificates",
            "en",
        ),
        ("gs1:recallStatus", HTML, "recall", "vi"),
        # The vocabulary's IRI and the equivalents it declares name the same link types.
        ("https://ref.gs1.org/voc/traceability", JSON, "journey", "vi"),
        ("https://www.gs1.org/voc/recallStatus", HTML, "recall", "vi"),
    ],
)
def test_link_type_redirects_with_the_query_passed_on(
    client: FlaskClient,
    scenario: Scenario,
    serials: list[str],
    link_type: str,
    headers: dict[str, str],
    view: str,
    lang: str,
) -> None:
    path = item_path(serials[0])
    response = client.get(f"{path}?linkType={link_type}&foo=bar&17=281102", headers=headers)
    assert response.status_code == 307 and not response.get_data()
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == ROOT + path
    assert parse_qsl(location.query) == [
        ("view", view),
        ("lang", lang),
        ("foo", "bar"),
        ("17", "281102"),
    ]
    assert any(link["rel"] == "linkset" for link in parse_link_header(response.headers["Link"]))
    target = client.get(local(response.headers["Location"]), headers=headers)
    assert target.status_code == 200
    if "json" in headers["Accept"]:
        assert (
            target.json is not None and target.json["language"] == lang if view == "pip" else True
        )


def test_unknown_link_type_and_plain_request_go_to_the_default_link(
    client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    path = item_path(serials[0])
    entry = client.get(path, headers=LINKSET).get_json(force=True)["linkset"][0]
    default = entry[VOC + "defaultLink"][0]["href"]
    for query, headers in (
        ("?linkType=gs1:nutritionalInfo", HTML),
        ("", ANY),
        ("?linkType=gs1:defaultLink", ANY),
    ):
        response = client.get(path + query, headers=headers)
        assert response.status_code == 307, query
        assert response.headers["Location"] == default
    epcis = client.get(path + "?linkType=gs1:epcis&foo=bar", headers=ANY)
    assert epcis.status_code == 307 and "foo=bar" not in epcis.headers["Location"]  # fwqs: false


def test_browser_gets_the_page_in_one_round_trip(
    client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    path = item_path(serials[0])
    for headers in (HTML, {**HTML, "Accept-Language": "en"}):
        response = client.get(path, headers=headers)
        assert response.status_code == 200 and response.mimetype == "text/html"
        links = parse_link_header(response.headers["Link"])
        rels = {link["rel"]: link for link in links}
        assert rels["linkset"]["href"] == f"{ROOT}{path}?linkType=linkset"
        assert rels["linkset"]["type"] == "application/linkset+json" and rels["linkset"]["title"]
        assert rels[VOC + "defaultLink"]["href"] == f"{ROOT}{path}?view=pip"
        assert response.headers["Content-Location"] == f"{ROOT}{path}?view=pip"
        assert "Accept" in response.headers["Vary"]


def test_cors_and_methods(client: FlaskClient, scenario: Scenario, serials: list[str]) -> None:
    path = item_path(serials[0])
    options = client.options(path, headers={"Origin": "https://example.org"})
    assert options.status_code == 200
    assert {"GET", "HEAD", "OPTIONS"} <= {m.strip() for m in options.headers["Allow"].split(",")}
    assert options.headers["Access-Control-Allow-Origin"] == "*"
    assert options.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    for response in (client.get(path, headers=HTML), client.head(path, headers=HTML)):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        exposed = response.headers["Access-Control-Expose-Headers"]
        assert "Link" in exposed and "Location" in exposed
    head = client.head(path, headers=HTML)
    assert head.status_code == 200 and head.get_data() == b"" and "Link" in head.headers
    redirect = client.get(path + "?linkType=gs1:pip", headers=HTML)
    assert redirect.headers["Access-Control-Allow-Origin"] == "*"


def test_head_does_not_count_as_a_scan(
    client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    path = item_path(serials[0])
    client.head(path, headers=HTML)
    client.get(path + "?linkType=gs1:pip", headers=HTML)
    client.get(path, headers=LINKSET)
    data = client.get(path, headers=JSON).json
    assert data is not None and data["scans"]["count"] == 1
