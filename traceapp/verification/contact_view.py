"""The producer's public business contact on the page, from its proven statement."""

from __future__ import annotations

from dataclasses import replace

from traceapp.producers.contact import STATEMENT
from traceapp.verification.loading import Loaded
from traceapp.verification.model import Contact, ProducerView
from traceapp.verification.statements import Statements


def contact_entries(loaded: Loaded) -> dict[int, str]:
    """The entry behind the shown contact: the producer's latest ``producer.contact_published``."""
    seq = loaded.producer.contact_seq
    return {} if seq is None else {seq: "producer_contact"}


def with_contact(st: Statements, producer: ProducerView) -> ProducerView:
    """``producer`` with the contact its latest statement publishes (None when withdrawn).

    A row naming an entry that does not publish this producer's contact is shown from the row
    and flagged (``producer_contact`` mismatch), like every other shown row.
    """
    row = st.loaded.producer
    if row.contact_seq is None:
        return producer
    s = st.find(row.contact_seq, STATEMENT, "producer_contact", id=row.public_id)
    if s is None:
        values = (row.contact_phone, row.contact_zalo, row.contact_website, row.contact_address)
    else:
        c = s["contact"]
        values = (c["phone"], c["zalo"], c["website"], c["address"])
    if not any(values):
        return producer
    return replace(producer, contact=Contact(*values))
