"""traceapp.epcis.schema: body parsing, GS1 JSON-schema validation and event iteration.

GS1's example documents (tests/fixtures/epcis/examples, see SOURCE.txt) must all validate; hostile
documents must be rejected with the JSON pointer and rule of every problem.
"""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from traceapp.epcis import schema
from traceapp.epcis.errors import EpcisValidationError, Issue
from traceapp.epcis.schema import (
    DEFAULT_MAX_BYTES,
    events_pointer,
    is_date_time,
    is_uri,
    iter_events,
    parse_document,
    validate_document,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"
GS1_EXAMPLES = FIXTURES / "epcis" / "examples"
GS1_FILES = sorted(GS1_EXAMPLES.rglob("*.jsonld"))
HASH_VECTOR_FILES = sorted((FIXTURES / "epcis-hash" / "examples").glob("*.jsonld"))
EVENT0 = "/epcisBody/eventList/0"


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def example() -> dict[str, Any]:
    """GS1's section 9.6.1 example: an EPCISDocument with two ObjectEvents."""
    return load(GS1_EXAMPLES / "Example_9.6.1-ObjectEvent.jsonld")


def issues_of(document: object, **kwargs: Any) -> list[Issue]:
    with pytest.raises(EpcisValidationError) as caught:
        validate_document(document, **kwargs)
    return caught.value.issues


def pointers_and_rules(document: object) -> set[tuple[str, str]]:
    return {(issue.pointer, issue.rule) for issue in issues_of(document)}


# ---------------------------------------------------------------------------------------------
# GS1's own examples
# ---------------------------------------------------------------------------------------------


def test_every_gs1_example_is_collected() -> None:
    assert len(GS1_FILES) == 33  # all of JSON/ that the shared fixtures hold, recursively


@pytest.mark.parametrize(
    "path", GS1_FILES, ids=[str(p.relative_to(GS1_EXAMPLES)) for p in GS1_FILES]
)
def test_gs1_examples_validate(path: Path) -> None:
    # None of GS1's examples violates GS1's schema, so none needs an exception here.
    document = parse_document(path.read_bytes())
    validate_document(document)
    assert list(iter_events(document))


@pytest.mark.parametrize("path", HASH_VECTOR_FILES, ids=[p.stem for p in HASH_VECTOR_FILES])
def test_hash_vector_documents_validate(path: Path) -> None:
    validate_document(parse_document(path.read_bytes()))


def test_schema_ships_as_package_data() -> None:
    folder = resources.files("traceapp.epcis").joinpath("schemas")
    names = {entry.name for entry in folder.iterdir()}
    assert {"EPCIS-JSON-Schema.json", "LICENSE-GS1-DISCLAIMER.txt", "SOURCE.txt"} <= names
    assert schema.load_schema()["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_validator_is_built_once() -> None:
    validate_document(example())
    validate_document(example())
    assert schema._validator.cache_info().currsize == 1


# ---------------------------------------------------------------------------------------------
# Events of both document kinds
# ---------------------------------------------------------------------------------------------


def test_iter_events_of_an_epcis_document() -> None:
    document = example()
    assert events_pointer(document) == "/epcisBody/eventList"
    assert [e["bizStep"] for e in iter_events(document)] == ["shipping", "receiving"]


def test_iter_events_of_a_query_document() -> None:
    document = load(GS1_EXAMPLES / "EPCISQueryDocument.jsonld")
    assert events_pointer(document) == "/epcisBody/queryResults/resultsBody/eventList"
    assert [e["bizStep"] for e in iter_events(document)] == ["shipping", "receiving"]


def test_iter_events_rejects_other_shapes() -> None:
    with pytest.raises(EpcisValidationError) as caught:
        list(iter_events({"type": "ObjectEvent"}))
    assert caught.value.issues[0].pointer == "/type"
    with pytest.raises(EpcisValidationError) as caught:
        list(iter_events({"type": "EPCISDocument", "epcisBody": {}}))
    assert caught.value.issues[0].pointer == "/epcisBody/eventList"
    with pytest.raises(EpcisValidationError) as caught:
        list(iter_events({"type": "EPCISDocument", "epcisBody": {"eventList": [1]}}))
    assert caught.value.issues[0].pointer == "/epcisBody/eventList/0"


# ---------------------------------------------------------------------------------------------
# Hostile bodies: parse_document
# ---------------------------------------------------------------------------------------------


def parse_issue(raw: bytes, **kwargs: Any) -> Issue:
    with pytest.raises(EpcisValidationError) as caught:
        parse_document(raw, **kwargs)
    [issue] = caught.value.issues
    return issue


def test_parse_returns_the_object() -> None:
    raw = (GS1_EXAMPLES / "Example_9.6.1-ObjectEvent.jsonld").read_bytes()
    assert parse_document(raw) == example()


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b'{"type": "EPCISDocument",}',
        b"{'type': 'EPCISDocument'}",
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"type": "EPCISDocument", "type": "ObjectEvent"}',  # duplicate member
        b"\xef\xbb\xbf{}",  # a byte order mark is not JSON
        b"[" * 100_000 + b"]" * 100_000,  # nested too deep to parse
        b'{"n": ' + b"9" * 5000 + b"}",  # more digits than Python converts
    ],
    ids=[
        "empty",
        "truncated",
        "trailing-comma",
        "single-quotes",
        "nan",
        "infinity",
        "duplicate-member",
        "bom",
        "deep-nesting",
        "huge-integer",
    ],
)
def test_parse_rejects_invalid_json(raw: bytes) -> None:
    issue = parse_issue(raw)
    assert (issue.pointer, issue.rule) == ("", "json")


@pytest.mark.parametrize(
    "raw", [b"\xff\xfe{}", b'{"name": "c\xe0 ph\xea"}', b'{"a": "\xed\xa0\x80"}']
)
def test_parse_rejects_bytes_that_are_not_utf8(raw: bytes) -> None:
    issue = parse_issue(raw)
    assert (issue.pointer, issue.rule) == ("", "encoding")


@pytest.mark.parametrize("raw", [b"[]", b'"EPCISDocument"', b"42", b"null"])
def test_parse_rejects_json_that_is_not_an_object(raw: bytes) -> None:
    issue = parse_issue(raw)
    assert (issue.pointer, issue.rule) == ("", "type")


def test_parse_rejects_a_50_mb_body_before_reading_it() -> None:
    padding = b"x" * (50 * 1024 * 1024)
    raw = b'{"type": "EPCISDocument", "pad": "' + padding + b'"}'
    issue = parse_issue(raw)
    assert (issue.pointer, issue.rule) == ("", "maxBytes")
    assert str(DEFAULT_MAX_BYTES) in issue.message


def test_parse_limit_is_configurable() -> None:
    raw = json.dumps(example()).encode("utf-8")
    assert parse_document(raw, max_bytes=len(raw)) == example()
    assert parse_issue(raw, max_bytes=len(raw) - 1).rule == "maxBytes"


def test_parse_keeps_vietnamese_text() -> None:
    raw = '{"type": "EPCISDocument", "ex:tên": "Cà phê Đắk Lắk"}'.encode()
    assert parse_document(raw)["ex:tên"] == "Cà phê Đắk Lắk"


# ---------------------------------------------------------------------------------------------
# Hostile documents: validate_document
# ---------------------------------------------------------------------------------------------


def with_event(change: dict[str, Any], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    document = example()
    event = document["epcisBody"]["eventList"][0]
    event.update(change)
    for name in drop:
        del event[name]
    return document


def test_not_an_object() -> None:
    [issue] = issues_of([example()])
    assert (issue.pointer, issue.rule) == ("", "type")


@pytest.mark.parametrize("kind", ["ObjectEvent", "EPCISMasterDataDocument", None])
def test_not_a_document_type(kind: object) -> None:
    document = example()
    document["type"] = kind
    [issue] = issues_of(document)  # only the real problem, not a cascade
    assert (issue.pointer, issue.rule) == ("/type", "enum")


def test_missing_required_field_points_at_the_field() -> None:
    assert pointers_and_rules(with_event({}, drop=("eventTime",))) == {
        (f"{EVENT0}/eventTime", "required")
    }
    assert pointers_and_rules(with_event({}, drop=("action",))) == {
        (f"{EVENT0}/action", "required")
    }
    document = example()
    del document["epcisBody"]
    assert pointers_and_rules(document) == {("/epcisBody", "required")}


def test_wrong_type() -> None:
    found = pointers_and_rules(with_event({"epcList": "urn:epc:id:sgtin:0614141.107346.2017"}))
    assert (f"{EVENT0}/epcList", "type") in found
    assert pointers_and_rules(with_event({"eventTime": 1136214245})) == {
        (f"{EVENT0}/eventTime", "type")
    }


def test_unknown_event_type() -> None:
    # Non-standard event types must be URIs (GS1 "Extended-Event"); a bare word is not.
    [issue] = issues_of(with_event({"type": "HarvestEvent"}))
    assert (issue.pointer, issue.rule) == (f"{EVENT0}/type", "format")


@pytest.mark.parametrize(
    "event_time",
    [
        "2005-04-03T20:33:31.116",  # no time zone
        "2005-04-03T20:33:31.116+25:00",  # no such offset
        "2005-04-03T20:33:31.116+07:60",
        "2005-04-03T20:33:31.116 +07:00",
        "2005-04-03 20:33:31Z",
        "2005-02-30T20:33:31Z",  # no such day
        "2005-04-03T24:00:00Z",
        "2005-04-03",
        "yesterday",
    ],
)
def test_event_time_needs_a_valid_date_time_with_offset(event_time: str) -> None:
    [issue] = issues_of(with_event({"eventTime": event_time}))
    assert (issue.pointer, issue.rule) == (f"{EVENT0}/eventTime", "format")


@pytest.mark.parametrize("offset", ["+25:00", "+07", "0700", "Z", "+14:30"])
def test_event_time_zone_offset_pattern(offset: str) -> None:
    [issue] = issues_of(with_event({"eventTimeZoneOffset": offset}))
    assert (issue.pointer, issue.rule) == (f"{EVENT0}/eventTimeZoneOffset", "pattern")


def test_extension_without_namespace_is_named() -> None:
    [issue] = issues_of(with_event({"tenSanPham": "Cà phê"}))
    assert (issue.pointer, issue.rule) == (f"{EVENT0}/tenSanPham", "propertyNames")


def test_pointer_tokens_are_escaped() -> None:
    [issue] = issues_of(with_event({"a/b~c": 1}))
    assert issue.pointer == f"{EVENT0}/a~1b~0c"


def test_every_problem_is_listed() -> None:
    document = example()
    first, second = document["epcisBody"]["eventList"]
    first["eventTime"] = "2005-04-03T20:33:31.116+25:00"
    del second["action"]
    second["eventTimeZoneOffset"] = "+25:00"
    document["schemaVersion"] = "two"
    assert pointers_and_rules(document) == {
        (f"{EVENT0}/eventTime", "format"),
        ("/epcisBody/eventList/1/action", "required"),
        ("/epcisBody/eventList/1/eventTimeZoneOffset", "pattern"),
        ("/schemaVersion", "pattern"),
    }


def test_messages_stay_short() -> None:
    document = with_event({"epcList": "x" * 100_000, "bizStep": "y" * 100_000})
    assert all(len(issue.message) <= 200 for issue in issues_of(document))


def test_issue_list_is_capped() -> None:
    document = example()
    event = document["epcisBody"]["eventList"][0]
    document["epcisBody"]["eventList"] = [
        {**copy.deepcopy(event), "eventTime": "bad"} for _ in range(50)
    ]
    with pytest.raises(EpcisValidationError) as caught:
        validate_document(document, max_issues=10)
    assert len(caught.value.issues) == 10
    assert caught.value.truncated


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2005-04-03T20:33:31.116-06:00", True),
        ("2005-04-03T20:33:31Z", True),
        ("2016-12-31T23:59:60Z", True),  # RFC 3339 admits a leap second
        ("2005-04-03t20:33:31z", True),
        ("2005-04-03T20:33:31.116+25:00", False),
        ("2005-13-03T20:33:31Z", False),
    ],
)
def test_date_time_format(value: str, valid: bool) -> None:
    assert is_date_time(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()", True),
        ("https://id.gs1.org/01/08930000000017/21/A1B2C3", True),
        ("ni:///sha-256;df65?ver=CBV2.0", True),
        ("geo:47.506694,11.104301", True),
        ("ex:myField", True),
        ("ObjectEvent", False),
        ("https://example.com/a b", False),
        ("https://example.com/%zz", False),
        ("", False),
    ],
)
def test_uri_format(value: str, valid: bool) -> None:
    assert is_uri(value) is valid
