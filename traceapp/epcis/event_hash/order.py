"""The canonical property order of the pre-hash string (CBV 2.0 section 8.9.2; reference
``PROP_ORDER``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    """One step of the property order; ``children`` orders the fields inside a structure."""

    name: str
    children: tuple[Field, ...] = ()
    positions: Mapping[str, tuple[int, Field]] = field(init=False, repr=False, compare=False)
    """``positions_of(children)``, computed once: the pre-hash looks fields up by name."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "positions", positions_of(self.children))


def positions_of(order: tuple[Field, ...]) -> dict[str, tuple[int, Field]]:
    """Field name -> (position, field); the first field of a name wins."""
    positions: dict[str, tuple[int, Field]] = {}
    for position, spec in enumerate(order):
        positions.setdefault(spec.name, (position, spec))
    return positions


def _names(*names: str) -> tuple[Field, ...]:
    return tuple(Field(name) for name in names)


_EPC = (Field("epc"),)
_QUANTITY = (Field("quantityElement", _names("epcClass", "quantity", "uom")),)
_SENSOR_METADATA = _names(
    "time",
    "startTime",
    "endTime",
    "deviceID",
    "deviceMetadata",
    "rawData",
    "dataProcessingMethod",
    "bizRules",
)
_SENSOR_REPORT = _names(
    "type",
    "exception",
    "deviceID",
    "deviceMetadata",
    "rawData",
    "dataProcessingMethod",
    "time",
    "microorganism",
    "chemicalSubstance",
    "value",
    "component",
    "stringValue",
    "booleanValue",
    "hexBinaryValue",
    "uriValue",
    "minValue",
    "maxValue",
    "meanValue",
    "sDev",
    "percRank",
    "percValue",
    "uom",
    "coordinateReferenceSystem",
)

# bizTransactionList, sourceList and destinationList are absent on purpose: in the reference their
# (type, value) pairs never match this order, so they are emitted in the sorted remainder block
# (the vectors show ``destinationList`` before ``sourceList``). certificationInfo follows
# eventTimeZoneOffset and parentID precedes epcList, as in the reference at the vectors' commit.
PROPERTY_ORDER: tuple[Field, ...] = (
    Field("eventTime"),
    Field("eventTimeZoneOffset"),
    Field("certificationInfo"),
    Field("parentID"),
    Field("epcList", _EPC),
    Field("inputEPCList", _EPC),
    Field("childEPCs", _EPC),
    Field("quantityList", _QUANTITY),
    Field("childQuantityList", _QUANTITY),
    Field("inputQuantityList", _QUANTITY),
    Field("outputEPCList", _EPC),
    Field("outputQuantityList", _QUANTITY),
    Field("action"),
    Field("transformationID"),
    Field("bizStep"),
    Field("disposition"),
    Field("persistentDisposition", _names("set", "unset")),
    Field("readPoint", _names("id")),
    Field("bizLocation", _names("id")),
    Field(
        "sensorElementList",
        (
            Field(
                "sensorElement",
                (
                    Field("sensorMetadata", _SENSOR_METADATA),
                    Field("sensorReport", _SENSOR_REPORT),
                ),
            ),
        ),
    ),
)

PROPERTY_POSITIONS = positions_of(PROPERTY_ORDER)
