"""The steps a producer records, in plain words, and the CBV 2.0 business step and disposition
each one is written as (shared by the console and anything else that offers a step list).

CBV 2.0 has no step for harvesting or processing: ``harvesting`` and ``transforming`` are this
project's extensions (the consumer page names them), every other pair is standard CBV.
"""

from __future__ import annotations

from dataclasses import dataclass

from traceapp.events.errors import EventInvalid


@dataclass(frozen=True)
class Step:
    key: str
    vi: str
    en: str
    biz_step: str
    disposition: str


STEPS: tuple[Step, ...] = (
    Step("harvest", "Thu hoạch", "Harvest", "harvesting", "active"),
    # Sơ chế (cleaning, sorting, drying) is processing not yet finished.
    Step("preprocess", "Sơ chế", "Pre-processing", "transforming", "in_progress"),
    Step("process", "Chế biến", "Processing", "transforming", "active"),
    Step("pack", "Đóng gói", "Packing", "packing", "container_closed"),
    Step("store", "Lưu kho", "Storage", "storing", "sellable_not_accessible"),
    Step("ship", "Vận chuyển", "Shipping", "shipping", "in_transit"),
    Step("receive", "Nhận hàng", "Receiving", "receiving", "in_progress"),
    Step("display", "Trưng bày", "On the shelf", "stocking", "sellable_accessible"),
    Step("sell", "Bán lẻ", "Retail sale", "retail_selling", "retail_sold"),
    Step("inspect", "Kiểm tra (đạt)", "Inspection (passed)", "inspecting", "conformant"),
    Step(
        "inspect_failed",
        "Kiểm tra (không đạt)",
        "Inspection (failed)",
        "inspecting",
        "non_conformant",
    ),
)
BY_KEY = {s.key: s for s in STEPS}


def step(key: str, field: str = "step") -> Step:
    found = BY_KEY.get(key)
    if found is None:
        raise EventInvalid("choose one of the listed steps", field=field)
    return found


def step_of(biz_step: str | None, disposition: str | None) -> Step | None:
    """The step a recorded pair was written from (CBV short names), else the first step of the
    same business step (an event recorded elsewhere), else None."""
    for s in STEPS:
        if (s.biz_step, s.disposition) == (biz_step, disposition):
            return s
    return next((s for s in STEPS if s.biz_step == biz_step), None)
