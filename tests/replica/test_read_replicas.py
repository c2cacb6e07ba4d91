"""Read replicas against a real streaming standby (issue 19): which server serves what.

Pages, ledger reads and GraphQL queries read from the standby, scans and every write go to
the primary; a client that wrote reads from the primary until the standby has its write; a
standby past the lag bound, or stopped, is skipped and shown in /readyz. The standby is real
(``support.standby``): "read from the standby" is checked by a row it does not have yet
(replay paused) or by ``pg_is_in_recovery()`` on the session's own connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from support.scenario import Scenario
from support.standby import Standby, wait_replayed

from ledger.checkpoint import open_checkpoint
from ledger.keys import Verifier
from traceapp.api.ids import encode_global_id as global_id
from traceapp.auth.services import create_token
from traceapp.batches.models import Item
from traceapp.db.sessions import (
    READ_FROM_HEADER,
    WRITTEN_COOKIE,
    WRITTEN_HEADER,
    allow_replica_reads,
    get_database,
    get_session,
)
from traceapp.scans.models import Scan

pytestmark = pytest.mark.parametrize("database_template", ["postgresql"], indirect=True)
ReplicaApp = Callable[..., Flask]

GTIN, LOT = "08938505974019", "L2026-11A"
JSON = {"Accept": "application/json"}
IN_RECOVERY = text("SELECT pg_is_in_recovery()")
LOCATIONS = """query($producer: ID!) { locations(producer: $producer) { totalCount } }"""
REGISTER = """mutation($input: RegisterLocationInput!) { registerLocation(input: $input) {
  ledgerIndex userErrors { code field } } }"""


def item_path(app: Flask, public_id: str) -> str:
    with get_database(app).read_sessions() as session:
        serial = session.scalars(select(Item.serial).where(Item.public_id == public_id)).one()
    return f"/01/{GTIN}/10/{quote(LOT, safe='')}/21/{quote(serial, safe='')}"


def read_from(response: Any) -> str:
    value: str = response.headers[READ_FROM_HEADER]
    return value


def producer_token(app: Flask, scenario: Scenario) -> str:
    with get_database(app).write() as session:
        return create_token(session, "producer", scenario.producer)[1]


def location_count(
    client: FlaskClient, token: str, scenario: Scenario, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    response = client.post(
        "/graphql",
        json={
            "query": LOCATIONS,
            "variables": {"producer": global_id("Producer", scenario.producer)},
        },
        headers={"Authorization": f"Bearer {token}", **(headers or {})},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["data"]["locations"]["totalCount"], read_from(response)  # type: ignore[index]


def register_location(client: FlaskClient, token: str, scenario: Scenario, code: str) -> Any:
    producer = global_id("Producer", scenario.producer)
    body = {"input": {"producer": producer, "kind": "FARM", "name": f"Đồi {code}", "code": code}}
    response = client.post(
        "/graphql",
        json={"query": REGISTER, "variables": body},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    payload = response.json["data"]["registerLocation"]  # type: ignore[index]
    assert payload["userErrors"] == [] and payload["ledgerIndex"] is not None
    return response


def test_pages_tiles_and_queries_read_from_the_standby_scans_go_to_the_primary(
    replica_app: ReplicaApp, app: Flask, scenario: Scenario
) -> None:
    token = producer_token(app, scenario)
    replica = replica_app()
    client = replica.test_client()
    path = item_path(app, scenario.items[0])

    page = client.get(path, headers=JSON)
    assert page.status_code == 200 and read_from(page) == "replica"
    proofs = page.json["proofs"]  # type: ignore[index]
    assert proofs["allVerified"] and proofs["entries"]
    assert client.get(path, headers={"Accept": "text/html"}).headers[READ_FROM_HEADER] == "replica"
    # The page's scan was written to the primary.
    with get_database(app).read_sessions() as session:
        scans = session.scalar(
            select(func.count()).select_from(Scan).where(Scan.item_public_id == scenario.items[0])
        )
    assert scans == 2

    # The checkpoint the page proved against is the log's, signed by its key.
    verifier = Verifier.from_vkey(client.get("/ledger/vkey").text.strip())
    size = proofs["checkpointSize"]
    stored = client.get(f"/ledger/checkpoint/{size}")
    assert stored.status_code == 200 and read_from(stored) == "replica"
    checkpoint = open_checkpoint(stored.text, verifier)
    assert checkpoint.size == size
    for url in (
        "/ledger/checkpoint",
        f"/ledger/entries/{size - 1}",
        f"/ledger/proof/inclusion?index=1&size={size}",
        f"/ledger/proof/consistency?old=1&new={size}",
        f"/ledger/tile/0/000.p/{size}",
        f"/ledger/bundle{path}",
        f"/qr{path}.svg",
    ):
        response = client.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True))
        assert read_from(response) == "replica", url

    count, server = location_count(client, token, scenario)
    assert (count, server) == (2, "replica")

    with replica.test_request_context(path):
        allow_replica_reads()
        assert get_session().execute(IN_RECOVERY).scalar() is True
        # Reads inside a write transaction go to the primary, even in such a request.
        with get_database().write() as session:
            assert session.execute(IN_RECOVERY).scalar() is False
    with replica.test_request_context("/console/"):  # a request that did not allow it
        assert get_session().execute(IN_RECOVERY).scalar() is False


def test_read_your_writes_falls_back_to_the_primary_until_the_standby_has_the_write(
    replica_app: ReplicaApp, app: Flask, scenario: Scenario, standby: Standby
) -> None:
    token = producer_token(app, scenario)
    replica = replica_app()
    writer, stranger = replica.test_client(), replica.test_client()
    assert location_count(stranger, token, scenario) == (2, "replica")

    standby.pause()
    written = register_location(writer, token, scenario, "RYW-1")
    assert written.headers.get(READ_FROM_HEADER) in (None, "primary")  # a mutation: never
    size = int(written.headers[WRITTEN_HEADER])
    assert size > 0
    cookie = writer.get_cookie(WRITTEN_COOKIE)
    assert cookie is not None and cookie.value == str(size) and cookie.http_only

    # Another client reads the standby, which has not replayed the write ...
    assert location_count(stranger, token, scenario) == (2, "replica")
    # ... the writer (its cookie), or any client sending the size it wrote at, the primary.
    assert location_count(writer, token, scenario) == (3, "primary")
    assert location_count(stranger, token, scenario, {WRITTEN_HEADER: str(size)}) == (
        3,
        "primary",
    )
    # A checkpoint the standby does not have yet is served by the primary.
    beyond = stranger.get(f"/ledger/checkpoint/{size}")
    assert beyond.status_code == 200 and read_from(beyond) == "primary"
    assert read_from(stranger.get(f"/ledger/checkpoint/{size - 1}")) == "replica"

    standby.resume()
    wait_replayed(standby)
    # Caught up: the writer reads the standby again, and sees its write there.
    assert location_count(writer, token, scenario) == (3, "replica")
    # A size beyond the log's asks for no more than all of it.
    assert location_count(stranger, token, scenario, {WRITTEN_HEADER: str(10**15)}) == (
        3,
        "replica",
    )


def test_a_standby_past_the_lag_bound_is_skipped_and_shown_in_readyz(
    replica_app: ReplicaApp, app: Flask, scenario: Scenario, standby: Standby
) -> None:
    token = producer_token(app, scenario)
    replica = replica_app(DATABASE_REPLICA_MAX_LAG=1)
    client = replica.test_client()
    path = item_path(app, scenario.items[1])
    assert read_from(client.get(path, headers=JSON)) == "replica"
    ready = client.get("/readyz").json
    assert ready is not None and ready["replicas"][0]["state"] == "ok"

    standby.pause()
    register_location(app.test_client(), token, scenario, "LAG-1")  # WAL it does not replay
    time.sleep(1.5)
    page = client.get(path, headers=JSON)
    assert page.status_code == 200 and read_from(page) == "primary"
    ready = client.get("/readyz").json
    assert ready is not None and ready["status"] == "ok"
    (shown,) = ready["replicas"]
    assert shown["state"] == "lagging" and not shown["ok"] and shown["lagSeconds"] > 1
    assert shown["name"].endswith(f":{standby.port}/{shown['name'].rsplit('/', 1)[1]}")

    standby.resume()
    deadline = time.monotonic() + 15
    while read_from(client.get(path, headers=JSON)) != "replica":
        assert time.monotonic() < deadline, "the standby was not used again after catching up"
        time.sleep(0.2)
    assert client.get("/readyz").json["replicas"][0]["state"] == "ok"  # type: ignore[index]


def test_a_stopped_standby_is_skipped_pages_still_serve_and_readyz_shows_it(
    replica_app: ReplicaApp, app: Flask, scenario: Scenario, own_standby: Standby
) -> None:
    replica = replica_app(own_standby)
    client = replica.test_client()
    path = item_path(app, scenario.items[0])
    assert read_from(client.get(path, headers=JSON)) == "replica"

    # It goes in the middle of a request: that request fails, the next ones skip it.
    with pytest.raises(DBAPIError) as caught, replica.test_request_context(path):
        allow_replica_reads()
        session = get_session()
        assert session.execute(IN_RECOVERY).scalar() is True
        own_standby.stop()
        session.execute(IN_RECOVERY)
    assert caught.value.connection_invalidated
    assert get_database(replica).replicas.states(check=False)[0].state == "down"
    for _ in range(3):
        page = client.get(path, headers=JSON)
        assert page.status_code == 200 and read_from(page) == "primary"
        assert page.json["proofs"]["allVerified"]  # type: ignore[index]
    ready = client.get("/readyz")
    assert ready.status_code == 200
    (shown,) = ready.json["replicas"]  # type: ignore[index]
    assert shown["state"] == "down" and shown["lastError"] and shown["failures"] >= 1

    own_standby.start_again()
    deadline = time.monotonic() + 20  # the breaker lets a request try it again after 5 s
    while read_from(client.get(path, headers=JSON)) != "replica":
        assert time.monotonic() < deadline, "the standby was not used again once back"
        time.sleep(0.5)
    assert client.get("/readyz").json["replicas"][0]["state"] == "ok"  # type: ignore[index]
