"""Input objects built by their plans equal what strawberry's own conversion builds."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from strawberry.types.arguments import convert_arguments
from strawberry.types.base import has_object_definition

from traceapp.api.input_values import from_input
from traceapp.api.mutations import inputs as i
from traceapp.api.schema import get_schema
from traceapp.api.types.enums import EventAction, EventType, ProductGroup

EVENT: dict[str, Any] = {
    "type": EventType.TRANSFORMATION_EVENT,
    "eventTime": datetime(2026, 12, 1, 7, 30, tzinfo=UTC),
    "action": EventAction.ADD,
    "bizStep": "commissioning",
    "disposition": None,
    "readPoint": "TG9jYXRpb246bG9jXzE=",
    "bizLocation": None,
    "items": [],
    "quantities": [{"batch": "QmF0Y2g6YjE=", "quantity": 2.5, "uom": "KGM"}],
    "parent": None,
    "inputItems": ["SXRlbTppMQ==", "SXRlbTppMg=="],
    "inputQuantities": [{"batch": "QmF0Y2g6YjI=", "quantity": None, "uom": None}],
    "outputItems": [],
    "outputQuantities": [],
    "sources": [{"type": "owning_party", "location": "urn:epc:id:pgln:8938505.00000"}],
    "destinations": [],
    "bizTransactions": [{"type": "po", "value": "urn:po:1"}],
    "sensorReports": [{"type": "Temperature", "value": 4.5}],
    "certificationInfo": "https://cert.example/1",
}
CASES: list[tuple[str, dict[str, Any]]] = [
    ("record_events", {"input": {"events": [EVENT, EVENT], "idempotencyKey": "k"}}),
    ("record_event", {"input": {"event": EVENT, "actor": None, "signature": None}}),
    (
        "declare_event_error",
        {"input": {"event": "RXZlbnQ6ZTE=", "reason": "incorrect_data", "correctiveEvents": []}},
    ),
    (
        "register_product",
        {
            "input": {
                "producer": "UHJvZHVjZXI6cDE=",
                "gtin": "08938505974019",
                "nameVi": "Trà",
                "group": ProductGroup.DRINKS,
                "standards": ["VietGAP"],
            }
        },
    ),
    (
        "create_batch",
        {
            "input": {
                "product": "UHJvZHVjdDpwMQ==",
                "lot": "L1",
                "productionDate": date(2026, 11, 2),
                "quantity": Decimal("12.50"),
                "inputs": [],
            }
        },
    ),
]


@pytest.mark.parametrize(("mutation", "value"), CASES)
def test_planned_inputs_equal_strawberrys(mutation: str, value: dict[str, Any]) -> None:
    schema = get_schema()
    fields = schema.schema_converter.type_map["Mutation"].definition.fields  # type: ignore[union-attr]
    field = next(f for f in fields if f.python_name == mutation)

    def convert() -> dict[str, Any]:
        return convert_arguments(
            value,
            field.arguments,
            scalar_registry=schema.schema_converter.scalar_registry,
            config=schema.config,
        )

    planned = convert()
    definitions = [
        c.__strawberry_definition__
        for c in vars(i).values()
        if has_object_definition(c) and c.__strawberry_definition__.is_input
    ]
    hooks = [d.from_input for d in definitions]
    assert hooks and all(hook is from_input for hook in hooks)
    try:
        for definition in definitions:
            definition.from_input = None
        assert planned == convert()
    finally:
        for definition, hook in zip(definitions, hooks, strict=True):
            definition.from_input = hook
    # Lists are copies: graphql-core hands every request the same default list.
    if mutation == "record_event":
        assert planned["input"].event.input_items is not EVENT["inputItems"]
