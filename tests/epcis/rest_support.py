"""Helpers of the EPCIS REST tests: tokens, captures, and GS1's schemas for every answer."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
from flask.testing import FlaskClient

from traceapp.auth.services import create_token
from traceapp.db.sessions import Database
from traceapp.epcis.schema import is_date_time, is_uri, validate_document

FIXTURES = Path(__file__).parent.parent / "fixtures" / "epcis"
EXAMPLES = FIXTURES / "examples"


def token(database: Database, role: str, producer: str | None = None) -> str:
    with database.write() as session:
        return create_token(session, role, producer)[1]


def auth(bearer: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {bearer}"}


def capture_now(client: FlaskClient, bearer: str, document: bytes | dict[str, Any]) -> Any:
    """Capture synchronously (``Prefer: wait``); returns the finished job."""
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    response = client.post(
        "/epcis/capture",
        data=body,
        headers={"Content-Type": "application/ld+json", "Prefer": "wait", **auth(bearer)},
    )
    assert response.status_code == 201, response.json
    return response.json


@cache
def _openapi() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "rest" / "openapi.json").read_text("utf-8"))
    return loaded


def _components() -> dict[str, Any]:
    components = json.loads(json.dumps(_openapi()["components"]))
    # GS1's CaptureJob says oneOf {errors} / {errorFile}, but neither branch requires its
    # property, so every object matches both and oneOf refuses even GS1's own example: the
    # evident intent (one of the two) is anyOf with the property required.
    job = components["schemas"]["CaptureJob"]["allOf"][1]
    job["anyOf"] = job.pop("oneOf")
    job["anyOf"][0]["required"], job["anyOf"][1]["required"] = ["errors"], ["errorFile"]
    # The schedule fields' patterns use PCRE subroutine calls (\g<element>) and classes such as
    # [0-59], which no JSON-schema (ECMA 262) regex engine compiles: their intent, a comma list
    # of numbers and [lo-hi] ranges, written as an ECMA pattern.
    element = r"(\d{1,2}|\[\d{1,2}-\d{1,2}\])"
    for field in ("Second", "Minute", "Hour", "DayOfMonth", "Month", "DayOfWeek"):
        components["schemas"][f"GS1-Query-{field}"]["pattern"] = f"^{element}(,{element})*$"
    return dict(components)


_SUBSCRIPTION = {
    "allOf": [
        {"$ref": "#/components/schemas/AbstractQuerySubscriptionResponse"},
        {
            "oneOf": [
                {"$ref": "#/components/schemas/QueryScheduleSubscription"},
                {"$ref": "#/components/schemas/QueryStreamSubscription"},
            ]
        },
    ]
}


@cache
def _validator(component: str) -> jsonschema_rs.Validator:
    # "Subscription": the item schema of GET /queries/{name}/subscriptions in GS1's OpenAPI.
    root = (
        _SUBSCRIPTION
        if component == "Subscription"
        else {"$ref": f"#/components/schemas/{component}"}
    )
    schema = {**root, "components": _components()}
    return jsonschema_rs.Draft7Validator(
        schema,
        formats={"date-time": is_date_time, "uri": is_uri},
        validate_formats=True,
        offline=True,
    )


def check_component(component: str, body: object) -> None:
    """``body`` is valid against the component schema of GS1's EPCIS 2.0 OpenAPI."""
    errors = [f"{e.instance_path}: {e.message}" for e in _validator(component).iter_errors(body)]
    assert not errors, (component, errors[:5])


def check_query_document(body: object) -> None:
    """``body`` is an EPCISQueryDocument valid against GS1's EPCIS 2.0 JSON Schema."""
    validate_document(body)
    assert isinstance(body, dict) and body["type"] == "EPCISQueryDocument"


def check_problem(body: object, exception: str) -> None:
    check_component("RFC7807ProblemResponseBody", body)
    assert isinstance(body, dict) and body["type"] == f"epcisException:{exception}", body
