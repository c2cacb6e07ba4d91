"""EPCIS query schedules (``second``, ``minute``, ``hour``, ``dayOfMonth``, ``month``,
``dayOfWeek``): each a comma list of numbers and ``[lo-hi]`` ranges, as in EPCIS 1.2 §8.2.5.3.

An omitted field matches every value, except ``second``, which defaults to 0 (so
``{"hour": "1", "minute": "5"}`` fires once a day at 01:05:00 UTC). ``dayOfWeek`` is ISO: 1 is
Monday. A day must match both ``dayOfMonth`` and ``dayOfWeek`` when both are given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from traceapp.subscriptions.errors import InvalidSubscription

__all__ = ["FIELDS", "Schedule", "parse_schedule"]

FIELDS = {
    "second": (0, 59),
    "minute": (0, 59),
    "hour": (0, 23),
    "dayOfMonth": (1, 31),
    "month": (1, 12),
    "dayOfWeek": (1, 7),
}
_ELEMENT = re.compile(r"(\d{1,2})|\[(\d{1,2})-(\d{1,2})\]")
_SEARCH_DAYS = (
    366 * 8
)  # 29 February falls on a given weekday within 28 years; 8 is plenty in practice


@dataclass(frozen=True)
class Schedule:
    values: Mapping[str, frozenset[int]]

    def next_after(self, moment: datetime) -> datetime | None:
        """The first second strictly after ``moment`` that the schedule names (UTC)."""
        start = moment.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
        day = start.replace(hour=0, minute=0, second=0)
        v = self.values
        for _ in range(_SEARCH_DAYS):
            if (
                day.month in v["month"]
                and day.day in v["dayOfMonth"]
                and day.isoweekday() in v["dayOfWeek"]
            ):
                for hour in sorted(v["hour"]):
                    for minute in sorted(v["minute"]):
                        for second in sorted(v["second"]):
                            candidate = day.replace(hour=hour, minute=minute, second=second)
                            if candidate >= start:
                                return candidate
            day += timedelta(days=1)
        return None


def _field(name: str, raw: object) -> frozenset[int]:
    low, high = FIELDS[name]
    if not isinstance(raw, str) or not raw or len(raw) > 200:
        raise InvalidSubscription(f"schedule.{name} must be a non-empty string", f"schedule.{name}")
    out: set[int] = set()
    for element in raw.split(","):
        match = _ELEMENT.fullmatch(element.strip())
        if match is None:
            message = f"schedule.{name}: {element!r} is neither a number nor a [lo-hi] range"
            raise InvalidSubscription(message, f"schedule.{name}")
        first = int(match.group(1) or match.group(2))
        last = int(match.group(1) or match.group(3))
        if not low <= first <= last <= high:
            message = f"schedule.{name}: {element!r} is outside {low}-{high} or reversed"
            raise InvalidSubscription(message, f"schedule.{name}")
        out.update(range(first, last + 1))
    return frozenset(out)


def parse_schedule(raw: object) -> Schedule:
    if not isinstance(raw, dict) or not raw:
        raise InvalidSubscription("schedule must be an object with at least one field", "schedule")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise InvalidSubscription(f"schedule.{unknown[0]} is not a schedule field", "schedule")
    values = {
        name: _field(name, raw[name])
        if name in raw
        else frozenset({0} if name == "second" else range(low, high + 1))
        for name, (low, high) in FIELDS.items()
    }
    schedule = Schedule(values)
    if schedule.next_after(datetime.now(UTC)) is None:
        raise InvalidSubscription("the schedule names no date that exists", "schedule")
    return schedule
