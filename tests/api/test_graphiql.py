"""GraphiQL is served from the app itself: the page names no other host, its assets load."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from traceapp import create_app

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_graphiql_page_and_assets_come_from_this_server(client: FlaskClient) -> None:
    response = client.get("/graphql", headers=BROWSER)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    hosts = set(re.findall(r"https?://[^/\"'\s)]+", html))
    own = client.application.config["TRACEAPP"].public_url
    assert hosts <= {own, "http://localhost"}, hosts
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) == 6
    for path in assets:
        assert path.startswith("/static/"), path
        served = client.get(path)
        assert served.status_code == 200, path
        assert served.content_length and served.content_length > 0
        served.close()
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_no_graphiql_when_it_is_off(app_config: dict[str, Any]) -> None:
    app: Flask = create_app({**app_config, "GRAPHIQL": False})
    try:
        response = app.test_client().get("/graphql", headers=BROWSER)
        assert response.status_code != 200 or "graphiql" not in response.get_data(as_text=True)
    finally:
        app.extensions["traceapp.db"].dispose()


@pytest.mark.parametrize("path", ["/static/vendor/graphiql/VENDOR.md"])
def test_the_vendored_versions_are_noted(client: FlaskClient, path: str) -> None:
    text = client.get(path).get_data(as_text=True)
    assert "graphiql` | 3.8.3" in text and "18.2.0" in text and "MIT" in text
