"""EPCIS 2.0 REST: asynchronous capture jobs, named queries with paging and ownership, the
top-level resources and the OpenAPI document; every answer checked against GS1's schemas."""

from __future__ import annotations

import json
from datetime import date

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from rest_support import (
    EXAMPLES,
    auth,
    capture_now,
    check_component,
    check_problem,
    check_query_document,
    token,
)
from support.scenario import Scenario

from traceapp.db.sessions import Database
from traceapp.events.capture_jobs import run_captures
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.services import ProducerInput, register_producer
from traceapp.web.epcis_openapi import openapi_document

EXAMPLE = (EXAMPLES / "Example_9.6.1-ObjectEvent.jsonld").read_bytes()
LD = {"Content-Type": "application/ld+json"}


def second_producer(database: Database, ledger: Ledger, admin: str) -> str:
    with database.write() as s:
        return register_producer(
            s,
            ledger,
            admin,
            ProducerInput(
                kind="household_business",
                name="Hộ kinh doanh Mật ong Bạch Đàn",
                province="Kon Tum",
                commune="Xã Đắk Mar",
                street="Thôn 3",
                address_recorded_on=date(2025, 7, 1),
                tax_code="6100123456",
                personal={},
            ),
        ).public_ids[0]


def test_capture_is_accepted_at_once_and_recorded_by_a_worker(
    client: FlaskClient, database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    producer = token(database, "producer", scenario.producer)
    response = client.post("/epcis/capture", data=EXAMPLE, headers={**LD, **auth(producer)})
    assert response.status_code == 202, response.json
    assert response.headers["GS1-EPCIS-Capture-Limit"] == "10000"
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
    location = response.headers["Location"]
    assert location == f"/epcis/capture/{response.json['captureID']}"
    waiting = client.get(location, headers=auth(producer))
    assert waiting.status_code == 200 and waiting.json["running"] is True
    check_component("CaptureJob", waiting.json)
    assert (
        client.get("/epcis/events?EQ_bizStep=receiving").json["epcisBody"]["queryResults"][
            "resultsBody"
        ]["eventList"]
        == []
    )  # nothing recorded before a worker takes the job
    assert run_captures(database, ledger, "test-worker") == 1
    assert run_captures(database, ledger, "test-worker") == 0
    done = client.get(location, headers=auth(producer)).json
    check_component("CaptureJob", done)
    assert done["running"] is False and done["success"] is True
    assert len(done["recorded"]) == 2 and done["errors"] == [] and "finishedAt" in done
    listed = client.get("/epcis/events?EQ_bizStep=receiving").json
    check_query_document(listed)
    assert len(listed["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 1


def test_a_refused_background_capture_keeps_its_errors_and_records_nothing(
    client: FlaskClient, database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    document = json.loads(EXAMPLE)
    document["epcisBody"]["eventList"][0]["eventTime"] = "2099-01-01T00:00:00.000Z"
    producer = token(database, "producer", scenario.producer)
    response = client.post(
        "/epcis/capture", data=json.dumps(document), headers={**LD, **auth(producer)}
    )
    assert response.status_code == 202
    run_captures(database, ledger, "w")
    job = client.get(response.headers["Location"], headers=auth(producer)).json
    check_component("CaptureJob", job)
    assert job["running"] is False and job["success"] is False
    assert [e["pointer"] for e in job["errors"]] == ["/epcisBody/eventList/0/eventTime"]
    assert (
        client.get(
            "/epcis/events?EQ_bizStep=shipping&EQ_readPoint=urn:epc:id:sgln:0614141.07346.1234"
        ).json["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        == []
    )


def test_an_invalid_document_is_refused_before_any_job(
    client: FlaskClient, database: Database, scenario: Scenario
) -> None:
    producer = token(database, "producer", scenario.producer)
    document = json.loads(EXAMPLE)
    del document["epcisBody"]["eventList"][1]["action"]
    response = client.post(
        "/epcis/capture", data=json.dumps(document), headers={**LD, **auth(producer)}
    )
    assert response.status_code == 400 and "Location" not in response.headers
    check_problem(response.json, "ValidationException")
    options = client.options("/epcis/capture")
    assert options.status_code == 204
    assert options.headers["GS1-EPCIS-Capture-File-Size-Limit"] == str(20 * 1024 * 1024)


def test_named_queries_page_with_next_page_tokens(
    client: FlaskClient, database: Database, scenario: Scenario
) -> None:
    admin = token(database, "admin")
    capture_now(client, admin, EXAMPLE)
    definition = {
        "name": "observed",
        "query": {"eventType": ["ObjectEvent"], "EQ_action": ["OBSERVE"]},
    }
    created = client.post("/epcis/queries", json=definition, headers=auth(admin))
    assert created.status_code == 201 and created.headers["Location"] == "/epcis/queries/observed"
    again = client.post("/epcis/queries", json=definition, headers=auth(admin))
    assert again.status_code == 409
    check_problem(again.json, "ResourceAlreadyExistsException")
    listed = client.get("/epcis/queries", headers=auth(admin))
    assert listed.json == [definition]
    check_component("QueryDefinition", listed.json[0])
    assert client.get("/epcis/queries/observed", headers=auth(admin)).json == definition
    everything = client.get("/epcis/events?eventType=ObjectEvent&EQ_action=OBSERVE").json
    expected = everything["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert len(expected) >= 3
    seen: list[dict[str, object]] = []
    url = "/epcis/queries/observed/events?perPage=2"
    while url:
        page = client.get(url, headers=auth(admin))
        assert page.status_code == 200
        check_query_document(page.json)
        results = page.json["epcisBody"]["queryResults"]
        assert results["queryName"] == "observed"
        seen.extend(results["resultsBody"]["eventList"])
        link = page.headers.get("Link")
        if link is None:
            break
        assert link.endswith('>; rel="next"') and "nextPageToken=" in link
        url = link[1 : link.index(">")]
    assert seen == expected
    bad = client.get("/epcis/queries/observed/events?EQ_bizStep=shipping", headers=auth(admin))
    assert bad.status_code == 400
    check_problem(bad.json, "QueryParameterException")
    assert client.delete("/epcis/queries/observed", headers=auth(admin)).status_code == 204
    gone = client.get("/epcis/queries/observed/events", headers=auth(admin))
    assert gone.status_code == 404
    check_problem(gone.json, "NoSuchNameException")


def test_unsupported_and_malformed_query_parameters_are_refused(
    client: FlaskClient, database: Database
) -> None:
    admin = token(database, "admin")
    for query in (
        {"orderBy": "eventTime"},
        {"EQ_quantity": 3},
        {"GE_eventTime": "yesterday"},
        {"perPage": 3},
    ):
        response = client.post(
            "/epcis/queries", json={"name": "q", "query": query}, headers=auth(admin)
        )
        assert response.status_code == 400, query
        check_problem(response.json, "QueryParameterException")
    assert client.get("/epcis/queries", headers=auth(admin)).json == []
    assert client.get("/epcis/queries").status_code == 401


def test_a_producers_query_sees_its_own_events_only(
    client: FlaskClient, database: Database, ledger: Ledger, scenario: Scenario, admin: str
) -> None:
    rival = second_producer(database, ledger, admin)
    mine = token(database, "producer", scenario.producer)
    theirs = token(database, "producer", rival)
    capture_now(client, theirs, EXAMPLE)
    definition = {"name": "mine", "query": {"eventType": ["ObjectEvent"]}}
    assert client.post("/epcis/queries", json=definition, headers=auth(mine)).status_code == 201
    events = client.get("/epcis/queries/mine/events", headers=auth(mine)).json
    listed = events["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    public = client.get("/epcis/events?eventType=ObjectEvent").json
    everyone = public["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert listed and len(listed) == len(everyone) - 2  # the rival's two events left out
    assert not {e["eventID"] for e in listed} & {
        e["eventID"]
        for e in everyone
        if e.get("readPoint", {}).get("id", "").startswith("urn:epc:id:sgln:0614141")
    }
    assert client.get("/epcis/queries/mine", headers=auth(theirs)).status_code == 404
    assert client.get("/epcis/queries", headers=auth(theirs)).json == []
    assert client.delete("/epcis/queries/mine", headers=auth(theirs)).status_code == 404
    auditor = token(database, "auditor")
    assert client.get("/epcis/queries/mine", headers=auth(auditor)).status_code == 200
    refused = client.delete("/epcis/queries/mine", headers=auth(auditor))
    assert refused.status_code == 403
    check_problem(refused.json, "SecurityException")
    subscribe = client.post(
        "/epcis/queries/mine/subscriptions",
        json={"dest": "https://example.com/hook", "stream": True},
        headers=auth(theirs),
    )
    assert subscribe.status_code == 404


def test_top_level_resources_list_what_events_use(
    client: FlaskClient, database: Database, scenario: Scenario
) -> None:
    capture_now(client, token(database, "admin"), EXAMPLE)
    types = client.get("/epcis/eventTypes")
    check_component("EventTypeCollection", types.json)
    steps = client.get("/epcis/bizSteps").json
    check_component("BizStepCollection", steps)
    assert {"receiving", "shipping"} <= set(steps["member"])
    dispositions = client.get("/epcis/dispositions").json
    check_component("DispositionCollection", dispositions)
    for kind in ("bizLocations", "readPoints"):
        body = client.get(f"/epcis/{kind}").json
        check_component("UriCollection", body)
        assert body["member"] == sorted(body["member"]) and body["member"]
    pages: list[str] = []
    url = "/epcis/readPoints?perPage=1"
    while url:
        response = client.get(url)
        check_component("UriCollection", response.json)
        pages.extend(response.json["member"])
        link = response.headers.get("Link")
        url = link[1 : link.index(">")] if link else ""
    assert pages == client.get("/epcis/readPoints").json["member"]
    epc = "urn:epc:id:sgtin:0614141.107346.2017"
    by_epc = client.get(f"/epcis/epcs/{epc}/events")
    check_query_document(by_epc.json)
    found = by_epc.json["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert len(found) == 1 and all(epc in e["epcList"] for e in found)
    assert client.get("/epcis/bizSteps?EQ_bizStep=x").status_code == 400


def test_the_openapi_document_describes_exactly_the_routes_served(
    app: Flask, client: FlaskClient
) -> None:
    served: set[tuple[str, str]] = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/epcis/"):
            continue
        path = rule.rule[len("/epcis") :].replace("<path:", "{").replace("<", "{").replace(">", "}")
        path = path.replace("{name}", "{queryName}").replace(
            "{subscription_id}", "{subscriptionID}"
        )
        path = path.replace("{capture_id}", "{captureID}")
        served |= {(path, m.lower()) for m in rule.methods or () if m not in ("HEAD", "OPTIONS")}
        if rule.endpoint == "epcis_api.capture_options":
            served.add((path, "options"))
    document = client.get("/epcis/openapi.json").json
    assert document == openapi_document("/epcis")
    described = {(p, m) for p, methods in document["paths"].items() for m in methods}
    assert described == served


def test_traceapp_epcis_work_records_waiting_jobs(
    client: FlaskClient, runner: FlaskCliRunner, database: Database, scenario: Scenario
) -> None:
    producer = token(database, "producer", scenario.producer)
    response = client.post("/epcis/capture", data=EXAMPLE, headers={**LD, **auth(producer)})
    assert response.status_code == 202
    result = runner.invoke(args=["epcis", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 capture jobs" in result.output
    job = client.get(response.headers["Location"], headers=auth(producer)).json
    assert job["running"] is False and len(job["recorded"]) == 2
