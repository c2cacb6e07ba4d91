"""EPCIS query schedules: the next time a scheduled subscription runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from traceapp.subscriptions.errors import InvalidSubscription
from traceapp.subscriptions.schedule import parse_schedule

NOW = datetime(2026, 12, 6, 23, 0, 0, tzinfo=UTC)  # a Sunday


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ({"hour": "1", "minute": "5"}, datetime(2026, 12, 7, 1, 5, tzinfo=UTC)),
        ({"minute": "0,30"}, datetime(2026, 12, 6, 23, 30, tzinfo=UTC)),
        ({"second": "[10-12]"}, datetime(2026, 12, 6, 23, 0, 10, tzinfo=UTC)),
        ({"dayOfWeek": "3", "hour": "8"}, datetime(2026, 12, 9, 8, 0, tzinfo=UTC)),
        ({"dayOfMonth": "1", "month": "[2-3]"}, datetime(2027, 2, 1, 0, 0, tzinfo=UTC)),
        ({"dayOfMonth": "29", "month": "2"}, datetime(2028, 2, 29, 0, 0, tzinfo=UTC)),
    ],
)
def test_the_next_run_is_the_first_named_second_after_now(
    schedule: dict[str, str], expected: datetime
) -> None:
    assert parse_schedule(schedule).next_after(NOW) == expected


@pytest.mark.parametrize(
    "schedule",
    [{}, {"hour": "24"}, {"minute": "[30-10]"}, {"minute": "*"}, {"week": "1"},
     {"hour": 1}, {"dayOfMonth": "31", "month": "2"}],
)  # fmt: skip
def test_bad_schedules_are_refused(schedule: dict[str, object]) -> None:
    with pytest.raises(InvalidSubscription):
        parse_schedule(schedule)
