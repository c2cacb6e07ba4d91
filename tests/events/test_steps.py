"""The steps offered in plain words map to CBV 2.0 business steps and dispositions (the
standard's own lists, from the EPCIS 2.0 JSON schema) or this project's two named extensions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import traceapp.epcis
from traceapp.events.errors import EventInvalid
from traceapp.events.steps import STEPS, step, step_of

SCHEMA = Path(traceapp.epcis.__file__).parent / "schemas" / "EPCIS-JSON-Schema.json"
PROJECT_STEPS = {"harvesting", "transforming"}  # named by the consumer page's texts


def _vocabulary(name: str) -> set[str]:
    definition = json.loads(SCHEMA.read_text())["definitions"][name]
    return {v for branch in definition["anyOf"] for v in branch.get("enum", [])}


def test_every_step_is_a_cbv_pair_with_vietnamese_and_english_words() -> None:
    biz_steps, dispositions = _vocabulary("bizStep"), _vocabulary("disposition")
    assert len({s.key for s in STEPS}) == len(STEPS)
    assert len({(s.biz_step, s.disposition) for s in STEPS}) == len(STEPS)
    for s in STEPS:
        assert s.biz_step in biz_steps | PROJECT_STEPS, s
        assert s.disposition in dispositions, s
        assert s.vi and s.en and s.vi != s.en
    names = {s.vi for s in STEPS}
    for plain in ("Thu hoạch", "Sơ chế", "Chế biến", "Đóng gói", "Vận chuyển", "Nhận hàng"):
        assert plain in names
    assert {("shipping", "in_transit"), ("retail_selling", "retail_sold")} <= {
        (s.biz_step, s.disposition) for s in STEPS
    }


def test_steps_are_found_by_key_and_by_what_was_recorded() -> None:
    assert step("ship").biz_step == "shipping"
    with pytest.raises(EventInvalid) as refused:
        step("dance")
    assert refused.value.field == "step"
    assert step_of("inspecting", "non_conformant") == step("inspect_failed")
    assert step_of("packing", None) == step("pack")  # recorded elsewhere without a disposition
    assert step_of("void_shipping", None) is None
