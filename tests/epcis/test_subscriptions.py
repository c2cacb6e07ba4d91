"""Subscriptions: signed webhook deliveries that equal the query run afresh, schedules,
retries and dead letters, ownership, SSRF refusals, and a sender killed mid-delivery."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from receiver import Receiver, start_receiver
from rest_support import (
    EXAMPLES,
    auth,
    capture_now,
    check_component,
    check_problem,
    check_query_document,
    token,
)
from sqlalchemy import select
from support.scenario import Scenario

from traceapp.config import get_settings
from traceapp.db.sessions import Database
from traceapp.events.models import Event
from traceapp.ledger_store.writer import Ledger
from traceapp.subscriptions.errors import InvalidSubscription
from traceapp.subscriptions.outbox import DeliveryPolicy
from traceapp.subscriptions.sender import deliver_pending
from traceapp.subscriptions.services import check_dest
from traceapp.subscriptions.worker import policy_from

TRACEAPP = str(Path(sys.executable).with_name("traceapp"))
EXAMPLE = json.loads((EXAMPLES / "Example_9.6.1-ObjectEvent.jsonld").read_text("utf-8"))
SECRET = "a-subscriber-chosen-secret-0123456789"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # The receiver listens on 127.0.0.1: loopback destinations are allowed in these tests.
    return {
        **app_config,
        "EPCIS_ALLOW_PRIVATE_DEST": True,
        "EPCIS_RETRY_BASE_MS": 10,
        "EPCIS_MAX_ATTEMPTS": 3,
        "EPCIS_LEASE_SECONDS": 1,
    }


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got, server = start_receiver()
    yield got
    server.shutdown()


def document(n: int, step: str = "shipping") -> dict[str, Any]:
    """GS1's example with its eventIDs removed and serials made unique by ``n``."""
    body = copy.deepcopy(EXAMPLE)
    for i, event in enumerate(body["epcisBody"]["eventList"]):
        event.pop("eventID", None)
        event["bizStep"] = step
        event["epcList"] = [f"urn:epc:id:sgtin:0614141.107346.{n}{i}{k}" for k in range(2)]
    return body


def stripped(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if not k.startswith("ledger:")}


def fresh(client: FlaskClient, bearer: str, name: str) -> list[dict[str, Any]]:
    """The named query run afresh, every page."""
    events: list[dict[str, Any]] = []
    url = f"/epcis/queries/{name}/events?perPage=3"
    while url:
        response = client.get(url, headers=auth(bearer))
        check_query_document(response.json)
        events.extend(response.json["epcisBody"]["queryResults"]["resultsBody"]["eventList"])
        link = response.headers.get("Link")
        url = link[1 : link.index(">")] if link else ""
    return events


def subscribe(client: FlaskClient, bearer: str, name: str, body: dict[str, Any]) -> Any:
    response = client.post(f"/epcis/queries/{name}/subscriptions", json=body, headers=auth(bearer))
    assert response.status_code == 201, response.json
    check_component("Subscription", response.json)
    return response.json


def make_query(client: FlaskClient, bearer: str, name: str, query: dict[str, Any]) -> None:
    response = client.post(
        "/epcis/queries", json={"name": name, "query": query}, headers=auth(bearer)
    )
    assert response.status_code == 201, response.json


def deliver(
    app: Flask, database: Database, ledger: Ledger, policy: DeliveryPolicy | None = None
) -> int:
    return deliver_pending(
        database, ledger.origin, "test-sender", policy or policy_from(get_settings(app))
    )


def check_delivery_indexes(database: Database, events: list[dict[str, Any]]) -> None:
    """Each delivered event names its own ledger index, inside the checkpoint it names."""
    with database.read_sessions() as session:
        for event in events:
            seq = session.execute(
                select(Event.ledger_seq).where(Event.event_id == event["eventID"])
            ).scalar_one()
            assert event["ledger:index"] == seq
            assert event["ledger:checkpointSize"] > seq


def test_streaming_deliveries_are_signed_and_equal_the_query_run_afresh(
    app: Flask,
    client: FlaskClient,
    database: Database,
    ledger: Ledger,
    scenario: Scenario,
    receiver: Receiver,
) -> None:
    admin = token(database, "admin")
    make_query(client, admin, "shipped", {"EQ_bizStep": ["shipping"]})
    before = {e["eventID"] for e in fresh(client, admin, "shipped")}  # the scenario's own
    created = subscribe(
        client, admin, "shipped", {"dest": receiver.url, "signatureToken": SECRET, "stream": True}
    )
    assert created["stream"] is True and created["status"] == "active" and created["signed"]
    assert SECRET not in json.dumps(created)
    capture_now(client, admin, document(1))
    capture_now(client, admin, document(2, step="receiving"))  # not matching
    capture_now(client, admin, document(3))
    assert deliver(app, database, ledger) == 1
    assert deliver(app, database, ledger) == 0  # nothing new: nothing sent
    (delivery,) = receiver.got
    assert delivery.answered and delivery.signed_with(SECRET)
    assert not delivery.signed_with(SECRET + "x")
    assert delivery.headers["gs1-subscription-id"] == created["subscriptionID"]
    check_query_document(delivery.document)
    results = delivery.document["epcisBody"]["queryResults"]
    assert (
        results["queryName"] == "shipped" and results["subscriptionID"] == created["subscriptionID"]
    )
    got = [stripped(e) for e in delivery.events]
    assert len({e["eventID"] for e in got}) == len(got) == 4  # no event twice in a delivery
    assert got == [e for e in fresh(client, admin, "shipped") if e["eventID"] not in before]
    check_delivery_indexes(database, delivery.events)
    shown = client.get(
        f"/epcis/queries/shipped/subscriptions/{created['subscriptionID']}", headers=auth(admin)
    ).json
    assert (
        shown["deliveries"] == 1 and shown["pendingDeliveries"] == 0 and "lastNotifiedAt" in shown
    )
    check_component("Subscription", shown)
    listed = client.get("/epcis/queries/shipped/subscriptions", headers=auth(admin)).json
    for item in listed:
        check_component("Subscription", item)
    assert [s["subscriptionID"] for s in listed] == [created["subscriptionID"]]
    gone = client.delete(
        f"/epcis/queries/shipped/subscriptions/{created['subscriptionID']}", headers=auth(admin)
    )
    assert gone.status_code == 204
    capture_now(client, admin, document(4))
    assert deliver(app, database, ledger) == 0 and len(receiver.got) == 1


def test_a_producer_subscription_delivers_its_own_events_only(
    app: Flask,
    client: FlaskClient,
    database: Database,
    ledger: Ledger,
    scenario: Scenario,
    receiver: Receiver,
) -> None:
    producer = token(database, "producer", scenario.producer)
    make_query(client, producer, "mine", {"eventType": ["ObjectEvent"]})
    subscribe(
        client, producer, "mine", {"dest": receiver.url, "signatureToken": SECRET, "stream": True}
    )
    capture_now(client, token(database, "admin"), document(5))  # the admin's, not the producer's
    assert deliver(app, database, ledger) == 0 and receiver.got == []
    capture_now(client, producer, document(6))
    assert deliver(app, database, ledger) == 1
    (delivery,) = receiver.got
    assert [stripped(e) for e in delivery.events] == fresh(client, producer, "mine")[-2:]
    auditor = token(database, "auditor")
    refused = client.post(
        "/epcis/queries/mine/subscriptions",
        json={"dest": receiver.url, "stream": True},
        headers=auth(auditor),
    )
    assert refused.status_code == 403
    check_problem(refused.json, "SecurityException")


def test_scheduled_subscriptions_report_even_when_empty(
    app: Flask,
    client: FlaskClient,
    database: Database,
    ledger: Ledger,
    scenario: Scenario,
    receiver: Receiver,
) -> None:
    admin = token(database, "admin")
    make_query(client, admin, "received", {"EQ_bizStep": ["receiving"]})
    every_second = {"second": "[0-59]"}
    subscribe(
        client,
        admin,
        "received",
        {
            "dest": receiver.url,
            "signatureToken": SECRET,
            "schedule": every_second,
            "reportIfEmpty": True,
        },
    )
    time.sleep(1.1)
    assert deliver(app, database, ledger) == 1
    assert receiver.got[0].events == [] and receiver.got[0].signed_with(SECRET)
    check_query_document(receiver.got[0].document)
    capture_now(client, admin, document(7, step="receiving"))
    time.sleep(1.1)
    assert deliver(app, database, ledger) == 1
    assert [stripped(e) for e in receiver.got[1].events] == fresh(client, admin, "received")[-2:]


def test_failed_deliveries_retry_then_dead_letter_visibly(
    app: Flask,
    client: FlaskClient,
    database: Database,
    ledger: Ledger,
    scenario: Scenario,
    receiver: Receiver,
) -> None:
    admin = token(database, "admin")
    make_query(client, admin, "all", {})
    sub = subscribe(client, admin, "all", {"dest": receiver.url, "stream": True})
    receiver.status = 500
    capture_now(client, admin, document(8))
    for _ in range(3):  # EPCIS_MAX_ATTEMPTS: 3, a 10 ms backoff that doubles
        assert deliver(app, database, ledger) == 1
        time.sleep(0.1)
    assert deliver(app, database, ledger) == 0
    shown = client.get(
        f"/epcis/queries/all/subscriptions/{sub['subscriptionID']}", headers=auth(admin)
    ).json
    check_component("Subscription", shown)
    assert shown["status"] == "deadLetter" and shown["lastError"] == "HTTP 500 from dest"
    (dead,) = shown["deadLetters"]
    assert dead["attempts"] == 3 and dead["eventCount"] == 2
    assert len(receiver.got) == 3 and len({d.body for d in receiver.got}) == 1  # the same body
    receiver.status = 200
    capture_now(client, admin, document(9))
    assert deliver(app, database, ledger) == 1  # later events still go out
    assert receiver.got[-1].answered and len(receiver.got[-1].events) == 2


def test_subscription_bodies_are_checked(
    client: FlaskClient, database: Database, receiver: Receiver
) -> None:
    admin = token(database, "admin")
    make_query(client, admin, "q", {})
    for body in (
        {"dest": receiver.url},  # neither stream nor schedule
        {"dest": receiver.url, "stream": True, "schedule": {"hour": "1"}},
        {"dest": "ftp://example.com/x", "stream": True},
        {"dest": receiver.url, "schedule": {"hour": "25"}},
        {"dest": receiver.url, "schedule": {"minute": "[5-1]"}},
        {"dest": receiver.url, "stream": True, "signatureToken": "short"},
        {"dest": receiver.url, "stream": True, "reportIfEmpty": True},
        {"dest": receiver.url, "stream": True, "colour": "red"},
    ):
        response = client.post("/epcis/queries/q/subscriptions", json=body, headers=auth(admin))
        assert response.status_code == 400, body
        check_problem(response.json, "SubscriptionControlsException")
    assert client.get("/epcis/queries/q/subscriptions", headers=auth(admin)).json == []


@pytest.mark.parametrize(
    "dest",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "https://user:pw@example.com/hook",
        "gopher://example.com/",
    ],
)
def test_private_and_odd_destinations_are_refused_by_default(dest: str) -> None:
    with pytest.raises(InvalidSubscription):
        check_dest(dest, allow_private=False)
    assert check_dest("https://93.184.215.14/hook", allow_private=False)


def _env(app: Flask) -> dict[str, str]:
    settings = get_settings(app)
    return {
        **os.environ,
        "TRACEAPP_DATABASE_URL": settings.database_url,
        "TRACEAPP_LOG_KEY_FILE": str(settings.log_key_file),
        "TRACEAPP_LOG_ORIGIN": settings.log_origin,
        "TRACEAPP_PUBLIC_URL": settings.public_url,
        "TRACEAPP_INSTANCE_PATH": str(settings.instance_path),
        "TRACEAPP_EPCIS_ALLOW_PRIVATE_DEST": "1",
        "TRACEAPP_EPCIS_LEASE_SECONDS": "1",
    }


def test_a_sender_killed_mid_delivery_loses_nothing_and_never_blocks_captures(
    app: Flask,
    client: FlaskClient,
    database: Database,
    ledger: Ledger,
    scenario: Scenario,
    receiver: Receiver,
) -> None:
    admin = token(database, "admin")
    make_query(client, admin, "everything", {})
    before = {e["eventID"] for e in fresh(client, admin, "everything")}
    subscribe(
        client,
        admin,
        "everything",
        {"dest": receiver.url, "signatureToken": SECRET, "stream": True},
    )
    capture_now(client, admin, document(10))
    receiver.delay = 30  # the subscriber hangs: the sender is inside its POST when killed
    sender = subprocess.Popen(
        [TRACEAPP, "epcis", "deliver", "--poll", "0.05"],
        env=_env(app),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert receiver.arrived.wait(30), "the sender never posted"
        started = time.monotonic()
        capture_now(client, admin, document(11))  # a capture while a delivery hangs
        assert time.monotonic() - started < 5
        os.kill(sender.pid, signal.SIGKILL)
        sender.wait(10)
    finally:
        if sender.poll() is None:
            sender.kill()
            sender.wait(10)
    assert sender.returncode == -signal.SIGKILL
    killed = receiver.got[0]
    assert killed.signed_with(SECRET) and len(killed.events) == 2
    receiver.delay = 0
    time.sleep(1.2)  # the dead sender's lease (1 s) runs out
    restarted = subprocess.run(
        [TRACEAPP, "epcis", "deliver", "--once"],
        env=_env(app),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert restarted.returncode == 0, restarted.stderr
    done = receiver.acknowledged()
    assert done and done[0].body == killed.body  # the interrupted delivery, again, whole
    received: list[dict[str, Any]] = []
    for delivery in done:
        assert delivery.signed_with(SECRET)
        ids = [e["eventID"] for e in delivery.events]
        assert len(ids) == len(set(ids))
        received.extend(stripped(e) for e in delivery.events)
    expected = [e for e in fresh(client, admin, "everything") if e["eventID"] not in before]
    assert received == expected and len(expected) == 4


def test_planning_reads_in_a_snapshot_and_a_range_is_recorded_once(
    client: FlaskClient, database: Database, ledger: Ledger, scenario: Scenario, receiver: Receiver
) -> None:
    """The sender slices new events into ranges without the write lock (a capture holding it
    is never kept waiting by the slicing), and two senders that read the same ranges record
    them once: the move of ``planned_seq`` is conditional on the value they read."""
    from datetime import UTC, datetime

    from traceapp.subscriptions.models import OutboxDelivery
    from traceapp.subscriptions.outbox import plan, record_plan

    admin = token(database, "admin")
    make_query(client, admin, "shipped", {"EQ_bizStep": ["shipping"]})
    subscribe(client, admin, "shipped", {"dest": receiver.url, "stream": True})
    capture_now(client, admin, document(1))
    policy, now = DeliveryPolicy(), datetime.now(UTC)
    with database.write() as writer:  # a capture's write transaction, held open
        writer.execute(select(Event.id).limit(1))
        with database.snapshot_sessions() as session, session.begin():
            first = plan(session, ledger.origin, policy, now)
            second = plan(session, ledger.origin, policy, now)
    assert [p.slices for p in first] == [p.slices for p in second] != [[]]
    with database.write() as session:
        assert record_plan(session, first, now) == 1
    with database.write() as session:
        assert record_plan(session, second, now) == 0  # planned meanwhile: not twice
    with database.read_sessions() as session:
        assert len(session.execute(select(OutboxDelivery.id)).all()) == 1
