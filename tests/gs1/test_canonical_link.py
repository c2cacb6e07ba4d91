"""traceapp.gs1.canonical_link: EPC URIs and GS1 Digital Link URIs in constrained canonical form.

Expected values are those of GS1's reference event hash generator (``dl_normaliser.py``), which
the event hash must reproduce (tests/epcis/test_event_hash.py).
"""

from __future__ import annotations

import pytest

from traceapp.gs1.canonical_link import canonical_digital_link


@pytest.mark.parametrize(
    ("given_uri", "expected"),
    [
        # EPC URIs (EPC Tag Data Standard) -> constrained canonical Digital Link
        ("urn:epc:id:sgtin:4012345.011111.9876", "https://id.gs1.org/01/04012345111118/21/9876"),
        (
            "urn:epc:id:sgtin:415056789012.0.987654",
            "https://id.gs1.org/01/04150567890128/21/987654",
        ),
        ("urn:epc:id:sscc:4012345.3111111111", "https://id.gs1.org/00/340123451111111111"),
        ("urn:epc:id:sgln:4012345.00005.0", "https://id.gs1.org/414/4012345000054"),
        ("urn:epc:id:sgln:4012345.00005.122", "https://id.gs1.org/414/4012345000054/254/122"),
        ("urn:epc:id:grai:4012345.00022.334455", "https://id.gs1.org/8003/04012345000221334455"),
        ("urn:epc:id:giai:4012345.ABC345", "https://id.gs1.org/8004/4012345ABC345"),
        ("urn:epc:id:gsrn:4012345.0000006765", "https://id.gs1.org/8018/401234500000067657"),
        ("urn:epc:id:gsrnp:4012345.0000000007", "https://id.gs1.org/8017/401234500000000074"),
        ("urn:epc:id:gdti:4012345.00009.PO-4711", "https://id.gs1.org/253/4012345000092PO-4711"),
        ("urn:epc:id:gdti:987659999999..9", "https://id.gs1.org/253/98765999999929"),
        (
            "urn:epc:id:cpi:0614141.11111111111111-A%23%2F.1234",
            "https://id.gs1.org/8010/061414111111111111111-A%23%2F/8011/1234",
        ),
        ("urn:epc:id:ginc:0614141.xyz47%2F11", "https://id.gs1.org/401/0614141xyz47%2F11"),
        ("urn:epc:id:gsin:4012345.222333444", "https://id.gs1.org/402/40123452223334442"),
        (
            "urn:epc:id:itip:4012345.011111.01.02.987",
            "https://id.gs1.org/8006/040123451111180102/21/987",
        ),
        ("urn:epc:id:pgln:4000001.00000", "https://id.gs1.org/417/4000001000005"),
        ("urn:epc:id:pgln:999999999999.", "https://id.gs1.org/417/9999999999994"),
        (
            "urn:epc:class:lgtin:4012345.012345.Lot987",
            "https://id.gs1.org/01/04012345123456/10/Lot987",
        ),
        ("urn:epc:idpat:sgtin:4012345.066666.*", "https://id.gs1.org/01/04012345666663"),
        (
            "urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()",
            "https://id.gs1.org/01/80614141123458/21/6789%2F%26%25%22%21%3F%28%29",
        ),
        # GS1 Digital Link URIs -> canonical host, AIs, no query, finest level only
        ("https://id.gs1.org/gtin/09780345418913", "https://id.gs1.org/01/09780345418913"),
        (
            "https://example.com/gtin/09780345418913/21/765tz?abc=211121",
            "https://id.gs1.org/01/09780345418913/21/765tz",
        ),
        ("https://id.gs1.de/414/4012345000115", "https://id.gs1.org/414/4012345000115"),
        ("https://shop.example.vn/01/8930000000017", "https://id.gs1.org/01/08930000000017"),
        (
            "https://id.gs1.org/01/08930000000017/10/LOT1/21/S1",
            "https://id.gs1.org/01/08930000000017/21/S1",
        ),
        (
            "https://id.gs1.org/01/08930000000017/22/V2/10/LOT1",
            "https://id.gs1.org/01/08930000000017/10/LOT1",
        ),
        ("https://id.gs1.org/01/08930000000017/22/V2", "https://id.gs1.org/01/08930000000017"),
        # not GS1 identifiers
        ("https://accreditation-council.example.org/certificate/ABC12345", None),
        ("http://transaction.acme.com/po/12345678", None),
        ("urn:epcglobal:cbv:bt:0614141073467:1152", None),
        ("geo:47.506694,11.104301", None),
        ("OBSERVE", None),
    ],
)
def test_canonical_digital_link(given_uri: str, expected: str | None) -> None:
    assert canonical_digital_link(given_uri) == expected
