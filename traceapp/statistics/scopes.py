"""Whose figures, and which rows of the aggregates hold them: a ``Scope`` (the nation, a
province, a commune or one producer), the conditions of its rows (``rollup_rows``), and how
PostgreSQL is to plan reading them (``plan_for_the_values``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from traceapp.db.statements import Prepared, bound_connection
from traceapp.producers.models import PRODUCER_KINDS
from traceapp.products.models import PRODUCT_GROUPS
from traceapp.statistics.errors import InvalidFilter
from traceapp.statistics.models import ALL_COMMUNES, NATIONAL, StatCount
from traceapp.statistics.provinces import UNKNOWN, current_province


@dataclass(frozen=True)
class Scope:
    """Whose figures: ``producer`` (its own rows) or the roll-ups of ``province`` or the nation."""

    province: str | None = None
    producer: str | None = None
    commune: str | None = None
    group: str | None = None
    kind: str | None = None


def make_scope(
    *,
    province: str | None = None,
    producer: str | None = None,
    commune: str | None = None,
    group: str | None = None,
    kind: str | None = None,
) -> Scope:
    """A scope from what a person typed: a province in any case, with or without diacritics,
    by its name before or after the merger; unknown values refused (``InvalidFilter``)."""
    wanted = None
    if province and province.strip():
        wanted = current_province(province)
        if wanted == UNKNOWN:
            raise InvalidFilter("not a province of Vietnam", field="province")
    if group and group not in PRODUCT_GROUPS:
        raise InvalidFilter(f"one of {', '.join(PRODUCT_GROUPS)}", field="group")
    if kind and kind not in PRODUCER_KINDS:
        raise InvalidFilter(f"one of {', '.join(PRODUCER_KINDS)}", field="kind")
    return Scope(
        wanted, producer or None, (commune or "").strip() or None, group or None, kind or None
    )


# The roll-ups' keys ('' producer, '*' commune) hold most of a metric's rows: a generic plan,
# which psycopg's prepared statements get from their sixth run, sees an average key and
# reads far more rows than a plan for the values (``statistics`` 15 → 10 ms nationally).
_CUSTOM_PLANS = Prepared(text("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)"))


_PLANNED = "traceapp.statistics.custom_plans"


def plan_for_the_values(session: Session) -> None:
    """On PostgreSQL, the rest of the transaction's statements planned for their values (set
    once a transaction: ``statistics`` calls ``capacity`` and ``scans_by``, exports call them
    alone)."""
    transaction = session.get_transaction()
    if transaction is not None and session.info.get(_PLANNED) is transaction:
        return
    if bound_connection(session).dialect.name == "postgresql":
        _CUSTOM_PLANS.all(session, {})
    session.info[_PLANNED] = session.get_transaction()


def rollup_rows(
    scope: Scope, metric: str, by_commune: bool = False, since: str | None = None
) -> list[Any]:
    """The conditions of ``metric``'s rows in ``scope``: a producer's own rows, else the
    provinces' roll-ups (or, ``by_commune`` or with a commune filter, the communes'); of a
    month metric, ``since`` a month (YYYY-MM) on."""
    conditions: list[Any] = [
        StatCount.metric == metric,
        StatCount.producer == (scope.producer or NATIONAL),
    ]
    if since is not None:  # a range of ix_stat_counts_months (metric, producer, commune, k1)
        conditions.append(StatCount.k1 >= since)
    if scope.producer is None and scope.commune is None and not by_commune:
        conditions.append(StatCount.commune == ALL_COMMUNES)  # the provinces' roll-ups
        if since is None:
            # Every row: a range on k3 names ix_stat_counts_ranges (metric, producer, commune,
            # k3), which SQLite's planner, without statistics, passes over for the primary
            # key's (metric, producer), reading every commune's roll-up too (ten times the rows).
            conditions.append(StatCount.k3 >= "")
    elif scope.producer is None:
        conditions.append(StatCount.commune != ALL_COMMUNES)  # the communes' roll-ups
    if scope.province:
        conditions.append(StatCount.province == scope.province)
    if scope.group and metric in ("products",):
        conditions.append(StatCount.k1 == scope.group)
    if scope.kind and metric == "producers":
        conditions.append(StatCount.k1 == scope.kind)
    return conditions
