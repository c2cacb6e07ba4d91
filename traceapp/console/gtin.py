"""Typing a GTIN on a phone: the page completes it with its check digit and says why.

Twelve digits are the body of a GTIN-13 (Vietnam's prefix 893 makes that the usual case), whose
check digit the page computes; 13 or 14 digits are a whole GTIN-13 or GTIN-14, whose last digit
is checked. A wrong check digit is explained with the digit it should be, and, for 13 digits,
the GTIN-14 they would begin.
"""

from __future__ import annotations

from dataclasses import dataclass

from traceapp.gs1.identifiers import gtin_check_digit, with_check_digit


@dataclass(frozen=True)
class GtinHelp:
    full: str | None
    """The whole GTIN to register, or None when the digits typed are not one."""
    key: str
    """The text explaining it (a key of the console's texts) and its parameters below."""
    params: dict[str, object]


def _weighted_sum(body: str) -> int:
    return sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))


def gtin_help(typed: str) -> GtinHelp | None:
    """None for nothing typed; else the completed GTIN or why there is none."""
    digits = "".join(typed.split()).replace("-", "")
    if not digits:
        return None
    if not digits.isdigit():
        return GtinHelp(None, "gtin_not_digits", {})
    if len(digits) == 12:
        check = gtin_check_digit(digits)
        total = _weighted_sum(digits)
        return GtinHelp(
            digits + str(check),
            "gtin_completed",
            {"gtin": digits + str(check), "check": check, "sum": total, "kind": "GTIN-13"},
        )
    if len(digits) in (13, 14):
        body, last = digits[:-1], int(digits[-1])
        expected = gtin_check_digit(body)
        kind = f"GTIN-{len(digits)}"
        if set(digits) == {"0"}:
            return GtinHelp(None, "gtin_zero", {})
        if last == expected:
            return GtinHelp(digits, "gtin_ok", {"gtin": digits, "check": last, "kind": kind})
        params: dict[str, object] = {"kind": kind, "expected": expected, "typed": last}
        if len(digits) == 13:
            return GtinHelp(
                None, "gtin_wrong_or_body", {**params, "gtin14": with_check_digit(digits)}
            )
        return GtinHelp(None, "gtin_wrong", params)
    return GtinHelp(None, "gtin_length", {"count": len(digits)})
