"""Resolver 1.2: 400 for URIs that are not GS1 Digital Links, walking up, compressed URIs."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from resolver_support import ANY, HTML, JSON, LINKSET, ROOT, parse_link_header, schema_errors
from support.scenario import Scenario
from verification.verify_support import GTIN, LOT, item_path

from traceapp.gs1.compression import _ALPHABET


def compress(bits: str) -> str:
    """A bit string as the compressed path segment (6 bits a character, zero-padded)."""
    bits += "0" * (-len(bits) % 6)
    return "".join(_ALPHABET[int(bits[i : i + 6], 2)] for i in range(0, len(bits), 6))


def gtin_bits(gtin: str) -> str:
    return "00000001" + format(int(gtin), "047b")  # AI 01, then 14 digits in 47 bits


def text_bits(ai: str, value: str) -> str:
    """AI 10/21 with encoding 4 (7-bit ASCII): 3-bit encoding, 5-bit length, characters."""
    head = "".join(format(int(d), "04b") for d in ai)
    return head + "100" + format(len(value), "05b") + "".join(format(ord(c), "07b") for c in value)


@pytest.mark.parametrize(
    "path, code",
    [
        (f"/01/{GTIN[:-1]}8", "check_digit"),  # bad check digit
        (f"/01/{GTIN}/99/x", "unknown_qualifier"),  # unknown AI
        (f"/01/{GTIN}/21/S1/10/{LOT}", "order"),  # wrong AI order
        (f"/01/{GTIN}/10/" + "x" * 21, "too_long"),  # bad AI value syntax
        (f"/01/{GTIN}/10/a%20b", "charset"),
        (f"/01/{GTIN}?17=991399", None),
    ],
)
def test_invalid_digital_links_are_400(
    client: FlaskClient, scenario: Scenario, path: str, code: str | None
) -> None:
    for headers in (HTML, ANY):
        page = client.get(path, headers=headers)
        assert page.status_code == 400 and page.mimetype == "text/html"
        assert "Mã không hợp lệ" in page.get_data(as_text=True)
    english = client.get(path, headers={**HTML, "Accept-Language": "en"}).get_data(as_text=True)
    assert "Invalid code" in english
    problem = client.get(path, headers=JSON)
    assert problem.status_code == 400 and problem.mimetype == "application/problem+json"
    data = problem.json
    assert data is not None and data["status"] == 400 and data["title"] and data["detail"]
    assert data["error"]["message"] == data["detail"]
    if code is not None:
        assert code in data["error"]["code"] or code in data["type"], data
    assert client.get(path, headers=LINKSET).status_code == 400


def test_trailing_slash_is_tolerated(
    client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    for path in (item_path(serials[0]), f"/01/{GTIN}/10/{LOT}", f"/01/{GTIN}"):
        for headers in (HTML, ANY, LINKSET):
            plain, slash = (
                client.get(path, headers=headers),
                client.get(path + "/", headers=headers),
            )
            assert plain.status_code == slash.status_code, (path, headers)
            assert plain.headers.get("Location") == slash.headers.get("Location")


def test_unknown_serial_of_a_known_lot_shows_the_lot_under_a_warning(
    client: FlaskClient, scenario: Scenario
) -> None:
    path = item_path("NOPE")
    report = "/report?code=" + quote(ROOT + path, safe="")
    page = client.get(path, headers=HTML)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="unregistered"' in html and "có thể là hàng giả" in html
    assert html.index('id="unregistered"') < html.index('id="journey"')  # at the top
    assert f'href="{report.replace("&", "&amp;")}"' in html
    assert LOT in html and 'id="claim"' not in html
    english = client.get(path, headers={**HTML, "Accept-Language": "en"}).get_data(as_text=True)
    assert "not in the register: possibly counterfeit" in english
    data = client.get(path, headers=JSON).json
    assert data is not None and data["kind"] == "batch"
    assert data["unregistered"] == {
        "code": "serial_not_registered",
        "requested": ROOT + path,
        "shownLevel": "batch",
        "message": "Số sê-ri này không có trong sổ đăng ký: có thể là hàng giả",
        "report": report,
    }
    linkset = client.get(path, headers=LINKSET).get_json(force=True)
    assert schema_errors("gs1-linkset-schema.json", linkset) == []
    assert linkset["linkset"][0]["anchor"] == ROOT + path
    assert "https://gs1.org/voc/epcis" in linkset["linkset"][0]  # the lot's links


@pytest.mark.parametrize(
    "path", [f"/01/{GTIN}/10/NOPE", f"/01/{GTIN}/10/NOPE/21/X", f"/01/{GTIN}/21/X"]
)
def test_unknown_lot_walks_up_to_the_product(
    client: FlaskClient, scenario: Scenario, path: str
) -> None:
    page = client.get(path, headers=HTML)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="unregistered"' in html and "Trà Shan tuyết Cổ thụ" in html
    data = client.get(path, headers=JSON).json
    assert data is not None and data["kind"] == "product"
    assert data["unregistered"]["shownLevel"] == "product"


def test_unknown_gtin_is_404(client: FlaskClient, scenario: Scenario) -> None:
    for path in ("/01/08938505974026", "/01/08938505974026/10/L1/21/S"):
        assert client.get(path, headers=HTML).status_code == 404
        problem = client.get(path, headers=JSON)
        assert problem.status_code == 404 and problem.mimetype == "application/problem+json"
        assert client.get(path + "?linkType=gs1:pip", headers=ANY).status_code == 404


def test_compressed_uri_resolves_like_the_uncompressed_one(
    client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    serial = serials[0]
    segment = compress(gtin_bits(GTIN) + text_bits("10", LOT) + text_bits("21", serial))
    uncompressed = ROOT + item_path(serial)
    for headers in (HTML, ANY, JSON):
        compressed, plain = (
            client.get(f"/{segment}", headers=headers),
            client.get(item_path(serial), headers=headers),
        )
        assert compressed.status_code == plain.status_code, headers
        assert compressed.headers.get("Location") == plain.headers.get("Location")
        same_as = [
            link
            for link in parse_link_header(compressed.headers["Link"])
            if link["rel"] == "owl:sameAs"
        ]
        assert [link["href"] for link in same_as] == [uncompressed]
    linkset = client.get(f"/{segment}/", headers=LINKSET).get_json(force=True)
    assert linkset["linkset"][0]["anchor"] == uncompressed  # the uncompressed URI is the subject
    redirect = client.get(f"/{segment}?linkType=gs1:traceability&foo=bar", headers=JSON)
    assert redirect.status_code == 307
    assert redirect.headers["Location"].startswith(uncompressed + "?view=journey&lang=vi&foo=bar")


def test_pairs_compressed_into_the_uri_are_used(client: FlaskClient, scenario: Scenario) -> None:
    # /01/{GTIN}/10/L1?linkType=gs1:pip, the pair compressed too (tests/gs1/test_compression.py)
    response = client.get("/ARBCUPJiBiDEXr4iWKeRPKl6B8_Ni64aeA?foo=bar", headers=HTML)
    assert response.status_code == 307
    assert response.headers["Location"] == f"{ROOT}/01/{GTIN}/10/L1?view=pip&lang=vi&foo=bar"


def test_bad_compressed_uris(client: FlaskClient, scenario: Scenario) -> None:
    bad_check = compress("00000001" + format(int(GTIN[:-1] + "8"), "047b"))
    unknown_ai = compress(gtin_bits(GTIN) + "0011000100000011")  # AI 3103 (net weight)
    for segment in (bad_check, unknown_ai, "ARBCUPJiBg_"):
        response = client.get(f"/{segment}", headers=JSON)
        assert response.status_code == 400, segment
        assert response.mimetype == "application/problem+json"
    for path in ("/favicon.ico", "/nothing", "/.env"):
        assert client.get(path).status_code == 404
