"""A producer's page in the office: its registration and ledger history, the owner's
invitation, corrections (``producer.updated``), suspension and resumption, certificates
granted and revoked, and its API tokens. Every write is the GraphQL mutation's, signed with
the office's key and naming the member; who may do which is ``accounts.office.may``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g, redirect, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from traceapp.accounts.office import (
    CERTIFY,
    INVITE,
    SUSPEND,
    TOKENS,
    UPDATE,
    VIEW,
    may,
    resume_producer,
    suspend_producer,
)
from traceapp.auth.services import list_tokens
from traceapp.console.core import bp, current, error_text, not_found, render, signed_in, t
from traceapp.console.forms import field_errors, new_key
from traceapp.console.office import office_write, refusal
from traceapp.db.sessions import get_session
from traceapp.errors import DomainError
from traceapp.i18n import VIETNAM, format_date
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.service import perform
from traceapp.producers.changes import AddressInput, ProducerChanges, plan_update_producer
from traceapp.producers.history import producer_history
from traceapp.producers.models import PRODUCER_KINDS, Producer
from traceapp.products.models import CERTIFICATION_SCHEMES, ISSUER_LEVELS, Certification, Product
from traceapp.products.services import (
    CertificationInput,
    plan_grant_certification,
    plan_revoke_certification,
)

Page = tuple[str, int] | BaseResponse
EDIT_FIELDS = ("name", "kind", "taxCode", "gln", "province", "commune", "street", "recordedOn")
GRANT_FIELDS = (
    "product",
    "scheme",
    "stars",
    "issuer",
    "issuerLevel",
    "decisionNumber",
    "issuedOn",
    "validUntil",
)
DONE = {
    "registered": "ofc_registered",
    "updated": "ofc_updated",
    "resumed": "ofc_resumed_done",
    "granted": "ofc_granted",
    "revoked": "ofc_revoked_done",
}


def find_producer(public_id: str) -> Producer | None:
    found: Producer | None = (
        get_session()
        .execute(select(Producer).where(Producer.public_id == public_id[:40]))
        .scalar_one_or_none()
    )
    return found


def _products(producer: Producer) -> list[tuple[Product, list[Certification]]]:
    session = get_session()
    products = (
        session.execute(
            select(Product).where(Product.producer_id == producer.id).order_by(Product.name_vi)
        )
        .scalars()
        .all()
    )
    certs: dict[int, list[Certification]] = {p.id: [] for p in products}
    for cert in session.execute(
        select(Certification)
        .where(Certification.product_id.in_(list(certs)))
        .order_by(Certification.valid_until.desc())
    ).scalars():
        certs[cert.product_id].append(cert)
    return [(p, certs[p.id]) for p in products]


def producer_page(producer: Producer, status: int = 200, **context: Any) -> tuple[str, int]:
    me = current()
    session = get_session()
    done = DONE.get(request.args.get("done", ""))
    grant = context.pop("grant", None) or {
        "scheme": "OCOP",
        "stars": "4",
        "issuerLevel": "province",
        "key": new_key(),
    }
    return render(
        "console/office_producer.html",
        status,
        producer=producer,
        history=producer_history(session, get_ledger().origin, producer.id),
        products=_products(producer),
        tokens=list_tokens(session, producer.public_id) if may(me, VIEW) else [],
        may_update=may(me, UPDATE),
        may_invite=may(me, INVITE),
        may_suspend=may(me, SUSPEND),
        may_certify=may(me, CERTIFY),
        may_tokens=may(me, TOKENS),
        schemes=CERTIFICATION_SCHEMES,
        levels=ISSUER_LEVELS,
        grant=grant,
        grant_errors=context.pop("grant_errors", {}),
        key=new_key(),
        done=t(done) if done else context.pop("done", None),
        cert_line=_cert_line,
        today=datetime.now(VIETNAM).date(),
        **context,
    )


def _cert_line(cert: Certification) -> str:
    return t(
        "ofc_cert_line",
        scheme=cert.scheme,
        stars="★" * (cert.stars or 0),
        decision=cert.decision_number,
        level=t(f"ofc_level_{cert.issuer_level}") if cert.issuer_level else "—",
        start=format_date(cert.issued_on, g.lang),
        end=format_date(cert.valid_until, g.lang),
    )


@bp.route("/office/producers/<public_id>")
@signed_in
def office_producer(public_id: str) -> Page:
    refused = refusal(VIEW)
    if refused:
        return refused
    producer = find_producer(public_id)
    return producer_page(producer) if producer else not_found()


def _edit_values(producer: Producer) -> dict[str, str]:
    return {
        "name": producer.name,
        "kind": producer.kind,
        "taxCode": producer.tax_code or "",
        "gln": producer.gln or "",
        "province": producer.province,
        "commune": producer.commune or "",
        "street": producer.street or "",
        "recordedOn": producer.address_recorded_on.isoformat(),
    }


@bp.route("/office/producers/<public_id>/edit", methods=["GET", "POST"])
@signed_in
def office_producer_edit(public_id: str) -> Page:
    refused = refusal(UPDATE)
    if refused:
        return refused
    producer = find_producer(public_id)
    if producer is None:
        return not_found()
    current_values = _edit_values(producer)
    if request.method == "GET":
        values = {**current_values, "key": new_key()}
        return render(
            "console/office_edit.html",
            producer=producer,
            values=values,
            errors={},
            kinds=PRODUCER_KINDS,
        )
    sent = {name: request.form.get(name, "").strip() for name in (*EDIT_FIELDS, "key")}

    def changed(name: str) -> str | None:
        return sent[name] if sent[name] != current_values[name] else None

    address_fields = ("province", "commune", "street", "recordedOn")
    address = None
    if any(changed(name) is not None for name in address_fields):
        address = AddressInput(
            sent["province"], sent["recordedOn"], sent["commune"] or None, sent["street"] or None
        )
    changes = ProducerChanges(
        name=changed("name"),
        kind=changed("kind"),
        tax_code=changed("taxCode"),
        gln=changed("gln"),
        address=address,
    )
    pid = producer.public_id
    try:
        office_write(
            lambda s, ledger, write: perform(
                s,
                ledger,
                write,
                lambda: plan_update_producer(s, ledger, write, pid, changes),
                op={"op": "update_producer", "id": pid, "changes": repr(changes)},
            )
        )
    except DomainError as exc:
        errors = field_errors(exc, (*EDIT_FIELDS, "address.province", "address.recordedOn"))
        for dotted, name in (
            ("address.province", "province"),
            ("address.recordedOn", "recordedOn"),
        ):
            if dotted in errors:
                errors[name] = errors.pop(dotted)
        return render(
            "console/office_edit.html",
            422,
            producer=producer,
            values=sent,
            errors=errors,
            kinds=PRODUCER_KINDS,
        )
    return redirect(url_for("console.office_producer", public_id=pid, done="updated"), 303)


@bp.route("/office/producers/<public_id>/suspend", methods=["POST"])
@signed_in
def office_producer_suspend(public_id: str) -> Page:
    refused = refusal(SUSPEND)
    if refused:
        return refused
    producer = find_producer(public_id)
    if producer is None:
        return not_found()
    pid, reason = producer.public_id, request.form.get("reason", "")
    try:
        change = office_write(
            lambda s, ledger, write: suspend_producer(s, ledger, write, pid, reason)
        )
    except DomainError as exc:
        return producer_page(producer, 422, status_error=error_text(exc))
    refreshed = find_producer(pid)
    assert refreshed is not None
    done = t("ofc_suspended_done", tokens=change.tokens_revoked, sessions=change.sessions_ended)
    return producer_page(refreshed, done=done)


@bp.route("/office/producers/<public_id>/resume", methods=["POST"])
@signed_in
def office_producer_resume(public_id: str) -> Page:
    refused = refusal(SUSPEND)
    if refused:
        return refused
    producer = find_producer(public_id)
    if producer is None:
        return not_found()
    pid, reason = producer.public_id, request.form.get("reason", "") or None
    try:
        office_write(lambda s, ledger, write: resume_producer(s, ledger, write, pid, reason))
    except DomainError as exc:
        return producer_page(producer, 422, status_error=error_text(exc))
    return redirect(url_for("console.office_producer", public_id=pid, done="resumed"), 303)


@bp.route("/office/producers/<public_id>/certifications", methods=["POST"])
@signed_in
def office_grant(public_id: str) -> Page:
    refused = refusal(CERTIFY)
    if refused:
        return refused
    producer = find_producer(public_id)
    if producer is None:
        return not_found()
    sent = {name: request.form.get(name, "").strip() for name in (*GRANT_FIELDS, "key")}
    owned = {p.public_id for p, _ in _products(producer)}
    data = CertificationInput(
        product=sent["product"] if sent["product"] in owned else "",
        scheme=sent["scheme"],
        issuer=sent["issuer"],
        decision_number=sent["decisionNumber"],
        issued_on=sent["issuedOn"],
        stars=int(sent["stars"]) if sent["stars"] in ("3", "4", "5") else None,
        issuer_level=sent["issuerLevel"] or None,
        valid_until=sent["validUntil"] or None,
    )
    try:
        office_write(
            lambda s, ledger, write: perform(
                s,
                ledger,
                write,
                lambda: plan_grant_certification(s, ledger, write, data),
                op={"op": "grant_certification", **data.__dict__},
            )
        )
    except DomainError as exc:
        return producer_page(
            producer, 422, grant=sent, grant_errors=field_errors(exc, GRANT_FIELDS)
        )
    return redirect(
        url_for("console.office_producer", public_id=producer.public_id, done="granted"), 303
    )


@bp.route("/office/certifications/<public_id>/revoke", methods=["POST"])
@signed_in
def office_revoke(public_id: str) -> Page:
    refused = refusal(CERTIFY)
    if refused:
        return refused
    row = (
        get_session()
        .execute(
            select(Producer, Certification.public_id)
            .join(Product, Product.producer_id == Producer.id)
            .join(Certification, Certification.product_id == Product.id)
            .where(Certification.public_id == public_id[:40])
        )
        .first()
    )
    if row is None:
        return not_found()
    producer, cert = row
    reason = request.form.get("reason", "")
    try:
        office_write(
            lambda s, ledger, write: perform(
                s,
                ledger,
                write,
                lambda: plan_revoke_certification(s, ledger, write, cert, reason),
                op={"op": "revoke_certification", "id": cert, "reason": reason},
                ids_of=lambda drafts: [cert],
            )
        )
    except DomainError as exc:
        return producer_page(producer, 422, cert_error=error_text(exc), cert_failed=cert)
    return redirect(
        url_for("console.office_producer", public_id=producer.public_id, done="revoked"), 303
    )
