"""Who may record an event on whose items and batches: the one rule of every event door.

An item or batch belongs to the producer of its product (its GTIN). A key may record an event
naming it only if it may act for that producer (``may_act_for``: the admin, or the producer's
own key), whatever the door: ``recordEvent(s)``, EPCIS capture (GraphQL and REST), ``traceapp
epcis import``, corrective events. EPCs under GTINs that are not ours (other companies' goods
in an imported document) belong to nobody here and are not restricted.

Events by one producer on another's items (a carrier's receiving, a retailer's storing) are
refused for now: the page and journey attribute every step to the item's producer, so a
step recorded by someone else would be shown as the producer's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from traceapp.events.epc import parse_epc
from traceapp.ledger_store.writer import RegisteredKey
from traceapp.producers.models import Producer
from traceapp.producers.services import may_act_for, not_producers_actor
from traceapp.products.models import Product

# Where an event names EPCs or EPC classes, by EPCIS field.
_EPC_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
_CHUNK = 500

_PRODUCTS, _PRODUCERS = Product.__table__, Producer.__table__
_OWNERS = (
    select(_PRODUCTS.c.gtin, _PRODUCERS.c.public_id)
    .select_from(_PRODUCTS.join(_PRODUCERS, _PRODUCTS.c.producer_id == _PRODUCERS.c.id))
    .where(_PRODUCTS.c.gtin.in_(bindparam("gtins", expanding=True)))
)


def named_objects(event: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(EPCIS field, EPC or EPC class) for every object the event names."""
    if isinstance(event.get("parentID"), str):
        yield "parentID", event["parentID"]
    for key in _EPC_LISTS:
        for epc in event.get(key) or ():
            if isinstance(epc, str):
                yield key, epc
    for key in _QUANTITY_LISTS:
        for quantity in event.get(key) or ():
            if isinstance(quantity, dict) and isinstance(quantity.get("epcClass"), str):
                yield key, quantity["epcClass"]


class Ownership:
    """The rule for one actor over a set of events; owners are read once, in chunks.

    ``known`` maps GTINs to their producer when the caller has read them already (events
    built from our IDs), so a single ``recordEvent`` costs no extra query.
    """

    def __init__(self, actor: str, key: RegisteredKey) -> None:
        self.actor, self.key = actor, key
        self.owners: dict[str, str | None] = {}
        self._gtins: dict[str, str | None] = {}  # EPC -> GTIN: a bulk names EPCs twice

    def _gtin(self, epc: str) -> str | None:
        if epc not in self._gtins:
            ref = parse_epc(epc)
            self._gtins[epc] = ref.gtin if ref is not None else None
        return self._gtins[epc]

    @property
    def unrestricted(self) -> bool:
        return self.key.role == "admin"

    def load(
        self,
        session: Session,
        events: Iterable[Mapping[str, Any]],
        known: Mapping[str, str] | None = None,
    ) -> None:
        if self.unrestricted:
            return
        self.owners.update(known or {})
        wanted = {
            gtin
            for event in events
            for _, epc in named_objects(event)
            if (gtin := self._gtin(epc)) is not None and gtin not in self.owners
        }
        listed = sorted(wanted)
        self.owners.update(dict.fromkeys(listed))
        for start in range(0, len(listed), _CHUNK):
            rows = session.execute(_OWNERS, {"gtins": listed[start : start + _CHUNK]})
            self.owners.update((gtin, producer) for gtin, producer in rows)

    def check(self, event: Mapping[str, Any], index: int) -> None:
        """Raise the ownership refusal for the first object the actor may not name."""
        if self.unrestricted:
            return
        for key, epc in named_objects(event):
            gtin = self._gtin(epc)
            owner = self.owners.get(gtin) if gtin is not None else None
            if owner is not None and not may_act_for(self.key, owner):
                raise not_producers_actor(self.actor, owner, f"events.{index}.{key}")
