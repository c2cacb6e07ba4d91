"""Optional passkeys in a real Chromium with a virtual authenticator (the DevTools protocol's
WebAuthn domain): add a passkey on the account page, sign out, sign in with it. WebAuthn refuses
IP addresses as relying parties, so the server is reached as ``localhost``. axe-core finds no
WCAG 2.1 AA violation on the pages as the passkey script has shown its parts."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from console.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, make_people
from flask import Flask
from sqlalchemy import select
from support.axe import assert_accessible
from support.scenario import Scenario
from werkzeug.serving import make_server

from traceapp import create_app
from traceapp.accounts.models import Passkey, SignIn
from traceapp.db.sessions import Database, get_database
from traceapp.ledger_store.writer import Ledger

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def localhost(
    app_config: dict[str, Any], database: Database, ledger: Ledger, admin: str, scenario: Scenario
) -> Iterator[tuple[str, Flask]]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed (CI: apt-get install -y chromium)")
        pytest.skip("Chromium is not installed")
    make_people(database, ledger, admin, scenario)
    apps: list[Flask] = []

    def wsgi(environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        return apps[0](environ, start)

    http = make_server("127.0.0.1", 0, wsgi, threaded=True)
    base = f"http://localhost:{http.server_port}"
    apps.append(create_app({**app_config, "PUBLIC_URL": base}))
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, apps[0]
    finally:
        http.shutdown()
        thread.join(timeout=10)
        apps[0].extensions["traceapp.db"].dispose()


def test_add_a_passkey_and_sign_in_with_it(
    localhost: tuple[str, Flask], request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import sync_playwright

    base, app = localhost
    backend = request.node.callspec.params.get("database_template", "db")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--host-resolver-rules=MAP localhost 127.0.0.1"],
        )
        try:
            context = browser.new_context(viewport={"width": 360, "height": 780}, locale="vi-VN")
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("WebAuthn.enable")
            cdp.send(
                "WebAuthn.addVirtualAuthenticator",
                {
                    "options": {
                        "protocol": "ctap2",
                        "transport": "internal",
                        "hasResidentKey": True,
                        "hasUserVerification": True,
                        "isUserVerified": True,
                        "automaticPresenceSimulation": True,
                    }
                },
            )
            page.goto(f"{base}/console/login")
            page.fill("#login", ADMIN_EMAIL)
            page.fill("#password", ADMIN_PASSWORD)
            page.click("button.primary")
            page.wait_for_url(f"{base}/console/")
            page.goto(f"{base}/console/account")
            page.wait_for_selector("#passkey-add", state="visible")
            assert_accessible(page, "account with passkeys offered")
            page.click("#passkey-add")
            page.wait_for_url(f"{base}/console/account?done=passkey_added")
            assert "1" in page.inner_text("#passkey-count")
            assert_accessible(page, "account with a passkey added")
            page.screenshot(path=str(ARTIFACTS / f"console-passkey-added-{backend}.png"))
            page.click("nav button.link")  # sign out
            page.wait_for_url(f"{base}/console/login?out=1")
            page.wait_for_selector("#passkey-sign-in", state="visible")
            assert_accessible(page, "login with passkey offered")
            page.click("#passkey-sign-in")
            page.wait_for_url(f"{base}/console/")
            assert "Xin chào, Trần Thị Lan" in page.inner_text("main")
        finally:
            browser.close()
    with get_database(app).read_sessions() as s:
        assert len(s.execute(select(Passkey)).all()) == 1
        reasons = s.execute(select(SignIn.reason, SignIn.success).order_by(SignIn.id)).all()
    assert [tuple(r) for r in reasons] == [("ok", True), ("passkey", True)]
