"""CBV 2.0 event hash ID of EPCIS 2.0 events (``ni:///sha-256;<hex>?ver=CBV2.0``).

Sources
-------
* GS1 Core Business Vocabulary 2.0, section 8.9 "Event hash ID": the canonical pre-hash string
  and the ``ni:`` URI (RFC 6920) that carries its SHA-256.
* The GS1 reference implementation, https://github.com/RalphTro/epcis-event-hash-generator
  (``hash_generator.py``, ``json_to_py.py``, ``json_xml_model_mismatch_correction.py``,
  ``dl_normaliser.py``). Its test vectors at commit 5d2f1c38 (2025-10-17) are the arbiter: they
  are copied to ``tests/fixtures/epcis-hash`` and every one passes. This module re-implements
  that behaviour; it shares no code with it.
* The EPCIS 2.0 JSON-LD context (``schemas/epcis-context.jsonld``, GS1): the CBV term lists that
  expand bare names such as ``shipping`` and the standard namespace prefixes.

Algorithm
---------
1. **Bare CBV names** become web URIs (``shipping`` -> ``https://ref.gs1.org/cbv/BizStep-shipping``).
   The reference JSON-LD-expands the document and then replaces every string value ``v`` for which
   exactly one expanded GS1 vocabulary URI ends in ``-v`` or ``/v``; we do the same with the term
   lists of the EPCIS context, within one event.
2. The event becomes a tree of (name, text, children), as the reference's XML-shaped model:
   namespaced names ``ex:f`` become ``{https://ns.example.com/}f``; list members take the list's
   name without ``List`` (``epcList`` -> ``epc``); quantity entries become ``quantityElement``;
   ``bizTransaction`` / ``source`` / ``destination`` entries become (type, value) pairs; comments
   (``rdfs:comment``, ``comment``) are dropped.
3. Every value is canonicalised: timestamps to UTC with milliseconds (fields whose name contains
   ``time`` but not ``offset``), old CBV URNs to web URIs, numbers without padding zeros, and EPC
   URIs / GS1 Digital Link URIs to the constrained canonical Digital Link
   (``https://id.gs1.org/01/<gtin14>/21/<serial>``).
4. The pre-hash string is ``eventType=<type>``, then the fields in the canonical property order
   (``name=value`` for leaves, ``name`` followed by the children for structures, repeated fields
   sorted), then everything else (business transactions, sources, destinations, ``ilmd``, user
   extensions) as one sorted block. ``eventID``, ``recordTime``, ``errorDeclaration`` and the
   event ``type`` field are not hashed, so a corrective declaration keeps the event's hash ID.
5. The hash ID is ``ni:///sha-256;`` + hex SHA-256 of the UTF-8 pre-hash string + ``?ver=CBV2.0``.

Where the reference's own versions disagree and no vector decides, we follow its later behaviour
and say so next to the rule. Deliberate differences: the bare-name candidates come from the event
being hashed (the reference pools them over the whole document, so one event could change
another's hash); ``@context`` inside an event adds namespaces instead of being hashed; timestamps
without an offset are read as UTC (the reference uses the host's time zone).

Modules, in the order of the steps: ``context`` (namespaces, vocabulary, ignored fields),
``tree`` (steps 1 and 2, and the reference's JSON/XML model corrections), ``values`` (step 3; EPC
and Digital Link URIs are canonicalised by ``traceapp.gs1.canonical_link``), ``order`` and
``prehash`` (step 4), ``hash_id`` (step 5).
"""

from traceapp.epcis.event_hash.context import HashContext, default_context
from traceapp.epcis.event_hash.hash_id import (
    HASH_VERSION,
    check_event_id,
    event_hash,
    hash_from_prehash,
)
from traceapp.epcis.event_hash.order import PROPERTY_ORDER
from traceapp.epcis.event_hash.prehash import prehash_string
from traceapp.epcis.event_hash.values import (
    canonical_number,
    canonical_timestamp,
    canonical_value,
    web_vocabulary,
)

__all__ = [
    "HASH_VERSION",
    "PROPERTY_ORDER",
    "HashContext",
    "canonical_number",
    "canonical_timestamp",
    "canonical_value",
    "check_event_id",
    "default_context",
    "event_hash",
    "hash_from_prehash",
    "prehash_string",
    "web_vocabulary",
]
