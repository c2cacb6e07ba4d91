"""The marketplace catalogue feed: certified products as schema.org JSON-LD and CSV, filters,
and conditional requests (issue 20)."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import select
from support.scenario import Scenario

from traceapp.db.sessions import Database
from traceapp.events.models import Event
from traceapp.exports.writers import safe_cell
from traceapp.ledger_store.writer import Ledger
from traceapp.products.services import CertificationInput, grant_certification, revoke_certification


def _products(client: FlaskClient, **args: str) -> list[dict[str, object]]:
    response = client.get("/feeds/products.jsonld", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/ld+json"
    body = response.get_json(force=True)
    assert body["@context"] == "https://schema.org" and body["@type"] == "ItemList"
    assert body["numberOfItems"] == len(body["itemListElement"])
    return [element["item"] for element in body["itemListElement"]]


def test_a_certified_product_is_listed_with_its_rating_producer_and_link(
    client: FlaskClient, scenario: Scenario
) -> None:
    [product] = _products(client)
    assert product["@type"] == "Product" and product["gtin"] == "08938505974019"
    assert product["url"].endswith("/01/08938505974019")  # type: ignore[union-attr]
    assert product["name"] == [
        {"@language": "vi", "@value": "Trà Shan tuyết Cổ thụ"},
        {"@language": "en", "@value": "Ancient Shan Tuyet tea"},
    ]
    rating = product["hasCertification"]["certificationRating"]  # type: ignore[index]
    assert rating == {"@type": "Rating", "ratingValue": 4, "worstRating": 3, "bestRating": 5}
    certification = product["hasCertification"]  # type: ignore[index]
    assert certification["certificationIdentification"] == "1234/QĐ-UBND"
    assert certification["validFrom"] == "2025-03-15"
    manufacturer = product["manufacturer"]  # type: ignore[index]
    assert manufacturer["name"] == "Hợp tác xã Chè Shan Tuyết Bản Mế"
    assert manufacturer["identifier"] == scenario.producer
    assert manufacturer["address"]["addressRegion"] == "Lào Cai"
    assert product["additionalProperty"]["propertyID"] == "ledgerIndex"  # type: ignore[index]


def test_filters_fold_case_and_diacritics_and_refuse_what_they_do_not_know(
    client: FlaskClient, scenario: Scenario
) -> None:
    for province in ("Lào Cai", "lao cai", "LÀO CAI"):
        assert len(_products(client, province=province)) == 1, province
    assert _products(client, province="Quảng Nam") == []
    assert len(_products(client, stars="4")) == 1 and _products(client, stars="5") == []
    assert len(_products(client, group="drinks")) == 1 and _products(client, group="herbal") == []
    assert len(_products(client, producer=scenario.producer)) == 1
    assert _products(client, producer="pro_nobody") == []
    for bad, field in (({"stars": "7"}, "stars"), ({"group": "tea"}, "group"), ({"x": "1"}, "x")):
        response = client.get("/feeds/products.jsonld", query_string=bad)
        assert response.status_code == 400
        assert response.json["error"]["field"] == field  # type: ignore[index]


def test_csv_opens_in_excel_with_vietnamese_intact(client: FlaskClient, scenario: Scenario) -> None:
    response = client.get("/feeds/products.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["gtin"] == "08938505974019" and row["ocop_stars"] == "4"
    assert row["name_vi"] == "Trà Shan tuyết Cổ thụ" and row["province"] == "Lào Cai"
    assert row["digital_link"].endswith("/01/08938505974019")
    assert row["ocop_decision_number"] == "1234/QĐ-UBND" and int(row["ledger_index"]) > 0


def test_conditional_requests_answer_304_until_the_catalogue_changes(
    client: FlaskClient, database: Database, ledger: Ledger, scenario: Scenario, admin: str
) -> None:
    first = client.get("/feeds/products.jsonld")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"].startswith("public")
    again = client.get("/feeds/products.jsonld", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    since = client.get("/feeds/products.csv", headers={"If-Modified-Since": modified})
    assert since.status_code == 304

    with database.write() as session:
        revoke_certification(session, ledger, admin, scenario.certification, "sai quy trình")
    changed = client.get("/feeds/products.jsonld", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json(force=True)["itemListElement"] == []  # revoked: no longer listed

    with database.write() as session:
        grant_certification(
            session,
            ledger,
            admin,
            CertificationInput(
                product=scenario.product,
                scheme="OCOP",
                stars=5,
                issuer="UBND tỉnh Lào Cai",
                issuer_level="province",
                decision_number="77/QĐ-UBND",
                issued_on=date(2026, 1, 5),
            ),
        )
    [product] = _products(client)
    assert product["hasCertification"]["certificationRating"]["ratingValue"] == 5  # type: ignore[index]


def test_cells_a_spreadsheet_would_run_are_defused() -> None:
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_cell("+84 912") == "'+84 912" and safe_cell("@a") == "'@a"
    assert safe_cell("Trà") == "Trà" and safe_cell(4) == 4


def test_master_data_is_gs1_web_vocabulary_json_ld(
    client: FlaskClient, database: Database, scenario: Scenario
) -> None:
    response = client.get("/feeds/masterdata.jsonld")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    document = response.get_json(force=True)
    assert document["@context"] == {"gs1": "https://ref.gs1.org/voc/"}
    by_type: dict[str, list[dict[str, object]]] = {}
    for node in document["@graph"]:
        by_type.setdefault(node["@type"], []).append(node)
    [organization] = by_type["gs1:Organization"]
    assert organization["@id"] == f"urn:ocop:producer:{scenario.producer}"
    assert organization["gs1:organizationName"] == "Hợp tác xã Chè Shan Tuyết Bản Mế"
    places = {p["gs1:physicalLocationName"] for p in by_type["gs1:Place"]}
    assert places == {"Đồi chè Na Pá", "Cửa hàng OCOP Sa Pa"}
    [product] = by_type["gs1:Product"]
    assert product["gs1:gtin"] == "08938505974019"
    assert product["gs1:manufacturer"] == {"@id": organization["@id"]}
    # The places' ids are the URIs events name as readPoint.
    with database.read_sessions() as session:
        read_points = set(session.scalars(select(Event.read_point).distinct()))
    assert read_points and read_points <= {p["@id"] for p in by_type["gs1:Place"]}
    nobody = client.get("/feeds/masterdata.jsonld?producer=pro_nobody").get_json(force=True)
    assert nobody["@graph"] == []
    assert client.get("/feeds/masterdata.jsonld?x=1").status_code == 400
