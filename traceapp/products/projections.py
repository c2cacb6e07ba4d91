"""Projections of product and certification statements."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from traceapp.i18n import search_key
from traceapp.ledger_store.projections import Projector
from traceapp.ledger_store.sequencer import Appended
from traceapp.producers.models import Producer
from traceapp.products.models import Certification, Product


def producer_pk(session: Session, public_id: str) -> int:
    return session.execute(select(Producer.id).where(Producer.public_id == public_id)).scalar_one()


def product_pk(session: Session, public_id: str) -> int:
    return session.execute(select(Product.id).where(Product.public_id == public_id)).scalar_one()


def product_registered(session: Session, appended: Appended) -> None:
    s = appended.entry.statement
    session.add(
        Product(
            public_id=s["id"],
            producer_id=producer_pk(session, s["producer"]),
            gtin=s["gtin"],
            name_vi=s["name"]["vi"],
            name_en=s["name"]["en"],
            name_key=search_key(s["name"]["vi"]),
            group=s["group"],
            description=s["description"],
            image_url=s["image"],
            standards=s["standards"],
            ledger_seq=appended.seq,
            updated_seq=appended.seq,
        )
    )


def product_updated(session: Session, appended: Appended) -> None:
    s = appended.entry.statement
    changes = s["changes"]
    values: dict[str, object] = {"updated_seq": appended.seq}
    if "name" in changes:
        values["name_vi"] = changes["name"]["vi"]
        values["name_en"] = changes["name"]["en"]
        values["name_key"] = search_key(changes["name"]["vi"])
    for key, column in (
        ("group", "group"),
        ("description", "description"),
        ("image", "image_url"),
        ("standards", "standards"),
    ):
        if key in changes:
            values[column] = changes[key]
    session.execute(update(Product).where(Product.public_id == s["id"]).values(**values))


def product_photo_set(session: Session, appended: Appended) -> None:
    s = appended.entry.statement
    session.execute(
        update(Product)
        .where(Product.public_id == s["id"])
        .values(photo_sha256=s["photo"]["sha256"], photo=s["photo"], photo_seq=appended.seq)
    )


def certification_granted(session: Session, appended: Appended) -> None:
    s = appended.entry.statement
    session.add(
        Certification(
            public_id=s["id"],
            product_id=product_pk(session, s["product"]),
            scheme=s["scheme"],
            stars=s["stars"],
            issuer=s["issuer"],
            issuer_level=s["issuer_level"],
            decision_number=s["decision_number"],
            issued_on=date.fromisoformat(s["issued_on"]),
            valid_until=date.fromisoformat(s["valid_until"]),
            ledger_seq=appended.seq,
        )
    )


def certification_revoked(session: Session, appended: Appended) -> None:
    s = appended.entry.statement
    session.execute(
        update(Certification)
        .where(Certification.public_id == s["id"])
        .values(revoked_seq=appended.seq, revoke_reason=s["reason"])
    )


# Registered by the app (traceapp/projectors.py): what each statement type changes here.
PROJECTORS: dict[str, Projector] = {
    "product.registered": product_registered,
    "product.updated": product_updated,
    "product.photo_set": product_photo_set,
    "certification.granted": certification_granted,
    "certification.revoked": certification_revoked,
}
