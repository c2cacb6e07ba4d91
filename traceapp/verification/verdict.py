"""The one verdict a shopper needs, at the top of the page: what to do with this product.

The page's facts (warnings, clone signals, certificate states, proofs) are many; the verdict
is the most serious of them, in this order: recalled (do not use) > the record cannot be
verified > the code may have been copied > the product has expired > the OCOP rating is
revoked, expired or absent > the programme office suspended the producer > someone else
claimed this code > a caution about scans > genuine. The cryptographic check is shown apart from it, as a quieter line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from traceapp.verification.model import Verification

Tone = Literal["danger", "warning", "ok"]


@dataclass(frozen=True)
class Verdict:
    code: str
    """The page shows ``v_{code}`` as the headline and ``v_{code}_help`` below it."""
    tone: Tone


def verdict(view: Verification, *, claimed_by_viewer: bool = False) -> Verdict:
    """The headline of ``view``; ``claimed_by_viewer``: the one reading is the buyer who
    claimed the item (their own claim is no warning to them)."""
    codes = {w.code for w in view.warnings}
    item = view.item
    if "recalled" in codes or (item is not None and item.status == "recalled"):
        return Verdict("recalled", "danger")
    if not view.proofs.all_verified or "projection_mismatch" in codes:
        return Verdict("unverified", "danger")
    clone = view.clone.level if view.clone is not None else "none"
    if clone == "suspicious" or "destroyed" in codes:
        return Verdict("copy", "danger")
    if "expired" in codes:
        return Verdict("expired", "danger")
    for code in ("ocop_revoked", "ocop_expired", "no_ocop", "producer_suspended"):
        if code in codes:
            return Verdict(code, "warning")
    if "claimed" in codes and not claimed_by_viewer:
        return Verdict("claimed", "warning")
    if clone == "caution":
        return Verdict("caution", "warning")
    return Verdict("genuine", "ok")
