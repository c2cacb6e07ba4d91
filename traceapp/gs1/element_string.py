"""The human-readable GS1 element string, ``(01){gtin}[(10){lot}][(21){serial}]``.

What our pages print as the "trace code" (``DigitalLink.element_string``); a person may copy
it into the landing page's form, so it is read back here.
"""

from __future__ import annotations

import re

from traceapp.gs1.digital_link import DigitalLink
from traceapp.gs1.errors import InvalidDigitalLink

_ELEMENT = re.compile(r"\((\d{2})\)([^()]+)")


def parse_element_string(value: str) -> DigitalLink:
    """The link a bracketed element string names; InvalidDigitalLink (or the GTIN's, lot's,
    serial's own error) when it is not one of ours (AI 01, then 10 and/or 21, once each)."""
    compact = "".join(value.split())
    parts = _ELEMENT.findall(compact)
    if not parts or "".join(f"({ai}){v}" for ai, v in parts) != compact:
        raise InvalidDigitalLink("Not a GS1 element string.", code="syntax")
    values = dict(parts)
    ais = [ai for ai, _ in parts]
    if ais not in (["01"], ["01", "10"], ["01", "21"], ["01", "10", "21"]):
        raise InvalidDigitalLink("Only (01), then (10) and (21), are read.", code="syntax")
    return DigitalLink(values["01"], values.get("10"), values.get("21"))
