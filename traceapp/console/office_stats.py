"""The office's statistics (charts as SVG), certificates ending soon, the inbox of reports of
suspected fakes, and the exports of every list and statistic (CSV, XLSX, streamed).

Office admins and staff, and auditors (read only), see these pages; anyone else gets 404.
Figures are read with the checkpoint in one snapshot session.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from flask import Response, g, redirect, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from traceapp.accounts.models import Account
from traceapp.console.charts import bar_chart, column_chart
from traceapp.console.core import bp, current, error_text, not_found, render, signed_in, t
from traceapp.db.sessions import get_database
from traceapp.errors import DomainError
from traceapp.exports.stream import Rows, export_chunks
from traceapp.exports.writers import CSV_TYPE, FORMATS, XLSX_TYPE
from traceapp.i18n import Language, format_number, vietnam_today
from traceapp.ledger_runtime import get_ledger
from traceapp.producers.models import PRODUCER_KINDS
from traceapp.products.models import PRODUCT_GROUPS
from traceapp.statistics import inbox, tables
from traceapp.statistics.provinces import UNKNOWN
from traceapp.statistics.scans import fold_scans, has_new_scans
from traceapp.statistics.scopes import Scope, make_scope
from traceapp.statistics.services import Figure, province_names, statistics

Page = tuple[str, int] | BaseResponse
FILTERS = ("province", "commune", "group", "kind")
DAYS = (30, 90)
SHOWN = 200
CHART_ROWS = 20  # the largest provinces or communes; the export has them all
CAPACITY_ROWS = 10


@lru_cache(maxsize=8192)
def _cached_number(value: float, lang: Language) -> str:
    # Babel formats a number in about 0.1 ms; a national page shows a few hundred.
    return format_number(value, lang)


def num(value: float) -> str:
    return _cached_number(value, g.lang)


def _reader() -> Account | None:
    me = current()
    return me if inbox.may_read(me) else None


def _scope(args: MultiDict[str, str]) -> Scope:
    return make_scope(**{name: args.get(name, "")[:100] for name in FILTERS})


def _filters(args: MultiDict[str, str]) -> dict[str, str]:
    return {name: args[name][:100] for name in FILTERS if args.get(name)}


def _label(kind: str, key: str) -> str:
    if kind == "province" and key == UNKNOWN:
        return t("st_unknown_province")
    if kind == "kind":
        return t("st_kind_" + key)
    if kind == "group":
        return t("group_" + key)
    if kind == "stars":
        return t("st_stars", stars=key)
    if kind == "status":
        return t("st_status_" + key)
    if kind == "month":
        return key[5:7] + "/" + key[2:4]
    return key


def _fold_new_scans() -> None:
    database = get_database()
    with database.read_sessions() as session:
        pending = has_new_scans(session)
    if pending:
        with database.write_unsynced() as session:
            fold_scans(session)


def _charts(stats: Any) -> list[dict[str, Any]]:
    """The page's charts in order: name (also the export's), label kind, figures, shape."""

    def figures(kind: str, found: Iterable[Figure]) -> list[tuple[str, float]]:
        return [(_label(kind, f.key), f.count) for f in found]

    specs = [
        ("producers_by_province", "province", stats.producers_by_province, "bar"),
        ("producers_by_commune", "commune", stats.producers_by_commune, "bar"),
        ("producers_by_kind", "kind", stats.producers_by_kind, "bar"),
        ("producers_by_status", "status", stats.producers_by_status, "bar"),
        ("products_by_group", "group", stats.products_by_group, "bar"),
        ("products_by_province", "province", stats.products_by_province, "bar"),
        ("certificates_by_stars", "stars", stats.certificates_by_stars, "bar"),
        ("certificates_by_province", "province", stats.certificates_by_province, "bar"),
        ("items_per_month", "month", stats.items_per_month, "column"),
        ("events_per_month", "month", stats.events_per_month, "column"),
    ]
    charts = []
    for name, kind, found, shape in specs:
        if not found:
            continue
        data = figures(kind, found)
        cut = kind in ("province", "commune") and len(data) > CHART_ROWS
        data = data[:CHART_ROWS] if cut else data
        draw = column_chart if shape == "column" else bar_chart
        charts.append(
            {
                "name": name,
                "title": t("st_" + name),
                "rows": data,
                "svg": draw("c-" + name, t("st_" + name), data, num),
            }
        )
    return charts


def _capacity_rows(stats: Any) -> list[dict[str, Any]]:
    """The page's capacity table: each of the top products' batches and quantity over the
    months shown, per unit (the export has every month)."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for c in stats.capacity:
        row = rows.setdefault(
            (c.product, c.unit),
            {
                "name": c.name or c.product,
                "unit": c.unit,
                "batches": 0,
                "quantity": 0.0,
                "months": set(),
            },
        )
        row["batches"] += c.batches
        row["quantity"] += c.quantity
        row["months"].add(c.month)
    return list(rows.values())[:CAPACITY_ROWS]


@bp.route("/office/statistics")
@signed_in
def office_statistics() -> Page:
    if _reader() is None:
        return not_found()
    error, status = None, 200
    try:
        scope = _scope(request.args)
    except DomainError as exc:
        error, status, scope = error_text(exc), 422, Scope()
    _fold_new_scans()
    with get_database().snapshot_sessions() as session, session.begin():
        stats = statistics(session, get_ledger().origin, scope, vietnam_today())
    return render(
        "console/office_statistics.html",
        status,
        stats=stats,
        charts=_charts(stats),
        capacity=_capacity_rows(stats),
        num=num,
        filters=_filters(request.args),
        provinces=province_names(),
        groups=PRODUCT_GROUPS,
        kinds=PRODUCER_KINDS,
        days=DAYS,
        error=error,
    )


@bp.route("/office/statistics/certificates")
@signed_in
def office_ending() -> Page:
    if _reader() is None:
        return not_found()
    days = 90 if request.args.get("days") == "90" else 30
    error, status = None, 200
    try:
        scope = _scope(request.args)
    except DomainError as exc:
        error, status, scope = error_text(exc), 422, Scope()
    req = tables.Request(scope, vietnam_today(), days=days)
    with get_database().snapshot_sessions() as session, session.begin():
        found = tables.table(session, "certificates", req, get_ledger().origin)
        rows = [
            dict(zip(found.columns, row, strict=True))
            for _, row in zip(range(SHOWN + 1), found.rows, strict=False)
        ]
    return render(
        "console/office_ending.html",
        status,
        rows=rows[:SHOWN],
        cut=len(rows) > SHOWN,
        shown=SHOWN,
        days=days,
        all_days=DAYS,
        filters=_filters(request.args),
        error=error,
    )


@bp.route("/office/export/<name>.<fmt>")
@signed_in
def office_export(name: str, fmt: str) -> Page:
    me = _reader()
    if me is None or fmt not in FORMATS or name not in tables.NAMES:
        return not_found()
    try:
        scope = _scope(request.args)
    except DomainError as exc:
        return render("console/message.html", 422, title="st_title", detail=error_text(exc))
    days = {"30": 30, "90": 90}.get(request.args.get("days", ""))
    req = tables.Request(scope, vietnam_today(), days=days, account=me)
    origin = get_ledger().origin
    if name in tables.STATISTICS or name == "reports":
        _fold_new_scans()

    def build(session: Any) -> Rows:
        found = tables.table(session, name, req, origin)
        return Rows(found.columns, found.rows)

    filters = sorted(_filters(request.args).items()) + ([("days", str(days))] if days else [])
    chunks = export_chunks(get_database().snapshot_sessions, origin, name, fmt, build, filters)
    stamp = vietnam_today().isoformat()
    response = Response(chunks, mimetype=XLSX_TYPE if fmt == "xlsx" else CSV_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="ocop-{name}-{stamp}.{fmt}"'
    return response


@bp.route("/office/reports")
@signed_in
def office_reports() -> Page:
    me = _reader()
    if me is None:
        return not_found()
    state = request.args.get("state", "")
    with get_database().read_sessions() as session:
        try:
            entries = inbox.inbox(session, me, state=state or None)
        except DomainError as exc:
            return render(
                "console/office_reports.html",
                422,
                entries=[],
                states=inbox.STATES,
                state="",
                error=error_text(exc),
            )
    return render(
        "console/office_reports.html", entries=entries, states=inbox.STATES, state=state, error=None
    )


def _report_page(me: Account, public_id: str, status: int = 200, **extra: Any) -> Page:
    with get_database().read_sessions() as session:
        try:
            found = inbox.entry(session, me, public_id)
        except DomainError:
            return not_found()
        changes = inbox.history(session, me, public_id)
    return render(
        "console/office_report.html",
        status,
        entry=found,
        changes=changes,
        states=inbox.STATES,
        may_triage=inbox.may_triage(me),
        **extra,
    )


@bp.route("/office/reports/<public_id>")
@signed_in
def office_report(public_id: str) -> Page:
    me = _reader()
    if me is None:
        return not_found()
    return _report_page(me, public_id[:40], saved=request.args.get("saved") == "1", error=None)


@bp.route("/office/reports/<public_id>/state", methods=["POST"])
@signed_in
def office_report_state(public_id: str) -> Page:
    me = _reader()
    if me is None:
        return not_found()
    public_id = public_id[:40]
    try:
        with get_database().write() as session:
            actor = session.get(Account, me.id)
            assert actor is not None
            inbox.change_state(
                session, actor, public_id, request.form.get("state", ""), request.form.get("note")
            )
    except DomainError as exc:
        if exc.code == "NOT_FOUND":
            return not_found()
        status = 403 if exc.code == "FORBIDDEN" else 422
        return _report_page(me, public_id, status, saved=False, error=error_text(exc))
    return redirect(url_for("console.office_report", public_id=public_id, saved="1"), 303)
