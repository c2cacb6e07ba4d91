"""A producer's public business contact: what it chooses to publish for shoppers.

Unlike the personal fields of a household business (owner, personal phone, e-mail, personal
address: off the ledger, salted hashes only, principle 5), these are the business's public
channels, published on purpose: a ``producer.contact_published`` statement holds them in
clear, each a value or null, and the latest one replaces the earlier whole. Publishing all
nulls withdraws the contact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from traceapp import validation as v
from traceapp.ledger_store.projections import Projector
from traceapp.ledger_store.sequencer import Appended
from traceapp.ledger_store.service import Receipt, WriteRequest, perform
from traceapp.ledger_store.writer import Draft, Ledger
from traceapp.producers.errors import ProducerInvalid
from traceapp.producers.services import get_producer, require_producer_actor

STATEMENT = "producer.contact_published"
# Vietnamese numbers in their national form: mobiles 0[35789]x xxx xxxx, landlines
# 02xx xxx xxxx (area codes since 2017), and 1800/1900 hotlines.
_MOBILE = re.compile(r"0[35789]\d{8}")
_LANDLINE = re.compile(r"02\d{9}")
_HOTLINE = re.compile(r"1[89]00\d{4,6}")
_SEPARATORS = re.compile(r"[\s.\-()]")
WEBSITE_MAX = 300
ADDRESS_MAX = 300


@dataclass(frozen=True)
class ContactInput:
    producer: str
    phone: str | None = None
    zalo: str | None = None
    """The phone number of the producer's Zalo account (Zalo links are ``zalo.me/<phone>``)."""
    website: str | None = None
    address: str | None = None


def phone_number(value: str | None, field: str, *, mobile_only: bool = False) -> str | None:
    """The number in its national form (``0912345678``), from any usual spelling (spaces,
    dots, dashes, ``+84`` or ``84``); None when empty; ProducerInvalid otherwise."""
    raw = v.text(value, field, max_length=30, required=False)
    if raw is None:
        return None
    digits = _SEPARATORS.sub("", raw)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    forms = (_MOBILE,) if mobile_only else (_MOBILE, _LANDLINE, _HOTLINE)
    if not digits.isdigit() or not any(form.fullmatch(digits) for form in forms):
        kind = "a Vietnamese mobile number" if mobile_only else "a Vietnamese phone number"
        raise ProducerInvalid(f"must be {kind} (e.g. 0912 345 678 or +84 912 345 678)", field=field)
    return digits


def website(value: str | None) -> str | None:
    url = v.text(value, "website", max_length=WEBSITE_MAX, required=False)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in url:
        raise ProducerInvalid("must be an http:// or https:// address", field="website")
    if parts.username is not None or parts.password is not None:
        raise ProducerInvalid("must not carry a user name or password", field="website")
    return url


def validated(data: ContactInput) -> dict[str, str | None]:
    return {
        "phone": phone_number(data.phone, "phone"),
        "zalo": phone_number(data.zalo, "zalo", mobile_only=True),
        "website": website(data.website),
        "address": v.text(data.address, "address", max_length=ADDRESS_MAX, required=False),
    }


def plan_update_contact(
    session: Session, ledger: Ledger, request: WriteRequest, data: ContactInput
) -> list[Draft]:
    """The producer's own key or an admin's; the values checked before anything is written."""
    get_producer(session, data.producer)
    require_producer_actor(session, ledger, request.actor, data.producer)
    return [Draft(STATEMENT, {"id": data.producer, "contact": validated(data)})]


def update_contact(
    session: Session,
    ledger: Ledger,
    actor: str,
    data: ContactInput,
    *,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Receipt:
    request = WriteRequest(actor, idempotency_key, signature)
    return perform(
        session,
        ledger,
        request,
        lambda: plan_update_contact(session, ledger, request, data),
        op={"op": "update_producer_contact", **data.__dict__},
    )


def contact_published(session: Session, appended: Appended) -> None:
    s = appended.entry.statement
    producer = get_producer(session, s["id"])
    contact: dict[str, Any] = s["contact"]
    producer.contact_phone = contact["phone"]
    producer.contact_zalo = contact["zalo"]
    producer.contact_website = contact["website"]
    producer.contact_address = contact["address"]
    producer.contact_seq = appended.seq


PROJECTORS: dict[str, Projector] = {STATEMENT: contact_published}
