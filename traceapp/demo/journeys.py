"""The demo's invented supply chains for four of the CSV's products (see ``SOURCE.txt``).

Plain data, so the loader stays one generic walk: every date is fixed, because idempotency
keys replay only an identical request, and a demo that changed with the clock would append
again on every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

VN = timezone(timedelta(hours=7))


def at(month: int, day: int, hour: int = 8) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=VN)


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    kind: str  # farm | facility | shop


@dataclass(frozen=True)
class Lot:
    lot: str
    produced: date
    expiry: date | None
    quantity: str
    unit: str
    origin: str  # Place.code
    items: int = 0
    pins: bool = False
    inputs: tuple[str, ...] = ()  # lots of the raw-material product consumed


@dataclass(frozen=True)
class Step:
    """An event on the journey's main lot; ``what`` says which of its objects it names."""

    biz_step: str
    when: datetime
    where: str  # Place.code
    what: str = "items"  # items | lot (its quantity) | first_item | raw (a raw lot's quantity)
    action: str = "OBSERVE"
    disposition: str | None = None
    source: str | None = None
    destination: str | None = None
    transformation: bool = False  # TransformationEvent: raw lots in, the items out


@dataclass(frozen=True)
class Correction:
    """The step at ``index`` was recorded wrongly; ``fixed`` replaces it (errorDeclaration)."""

    index: int
    reason: str
    fixed: Step


@dataclass(frozen=True)
class Journey:
    sample: int  # the CSV row (SampleProduct.index) of the product
    role: str  # what a visitor sees on this item's page
    places: tuple[Place, ...]
    lot: Lot
    steps: tuple[Step, ...]
    raw: tuple[Lot, ...] = ()  # lots of the raw-material product, if any
    correction: Correction | None = None
    recall: tuple[str, str, datetime] | None = None  # (severity, reason, issued at)


RAW_PRODUCT_REFERENCE = 90001
RAW_PRODUCT_NAME = "Củ đảng sâm tươi (nguyên liệu)"

JOURNEYS = (
    Journey(
        sample=1,  # Bánh dừa nướng Quý Thu: enterprise, 5 stars, valid
        role="doanh nghiệp, 5 sao còn hiệu lực, hành trình đầy đủ, lô vận chuyển đã sửa",
        places=(
            Place("QT-VUONDUA", "Vườn dừa Quế Xuân", "farm"),
            Place("QT-XUONG", "Xưởng bánh dừa Quý Thu", "facility"),
            Place("QT-HOIAN", "Cửa hàng đặc sản Hội An", "shop"),
            Place("QT-TAMKY", "Điểm giới thiệu sản phẩm OCOP Tam Kỳ", "shop"),
        ),
        lot=Lot(
            "QT2611A", date(2026, 11, 10), date(2027, 5, 10), "240", "gói", "QT-XUONG", 12, True
        ),
        steps=(
            Step("harvesting", at(11, 8, 6), "QT-VUONDUA", what="lot"),
            Step("commissioning", at(11, 10), "QT-XUONG", action="ADD", disposition="active"),
            Step("packing", at(11, 10, 15), "QT-XUONG"),
            Step(
                "shipping",
                at(11, 12),
                "QT-XUONG",
                disposition="in_transit",
                source="QT-XUONG",
                destination="QT-HOIAN",
            ),
            Step("receiving", at(11, 12, 16), "QT-TAMKY", disposition="in_progress"),
            Step(
                "retail_selling",
                at(11, 20, 10),
                "QT-TAMKY",
                what="first_item",
                disposition="retail_sold",
            ),
        ),
        correction=Correction(
            index=3,
            reason="incorrect_data",
            fixed=Step(
                "shipping",
                at(11, 12),
                "QT-XUONG",
                disposition="in_transit",
                source="QT-XUONG",
                destination="QT-TAMKY",
            ),
        ),
    ),
    Journey(
        sample=9,  # Trà đảng sâm: cooperative; raw roots transformed into tea
        role="hợp tác xã, chế biến từ lô nguyên liệu (TransformationEvent)",
        places=(
            Place("TG-VUNGTRONG", "Vùng trồng đảng sâm A Xan", "farm"),
            Place("TG-XUONG", "Xưởng chế biến HTX Tây Giang", "facility"),
            Place("TG-CUAHANG", "Cửa hàng OCOP Tây Giang", "shop"),
        ),
        raw=(Lot("DS2610R", date(2026, 10, 20), None, "300", "kg", "TG-VUNGTRONG"),),
        lot=Lot(
            "TDS2611A",
            date(2026, 11, 5),
            date(2028, 11, 5),
            "500",
            "hộp",
            "TG-XUONG",
            8,
            inputs=("DS2610R",),
        ),
        steps=(
            Step("harvesting", at(10, 20, 7), "TG-VUNGTRONG", what="raw"),
            Step("commissioning", at(11, 5), "TG-XUONG", transformation=True, disposition="active"),
            Step("packing", at(11, 6), "TG-XUONG"),
            Step(
                "shipping",
                at(11, 7),
                "TG-XUONG",
                disposition="in_transit",
                source="TG-XUONG",
                destination="TG-CUAHANG",
            ),
            Step("receiving", at(11, 8), "TG-CUAHANG", disposition="in_progress"),
            Step(
                "retail_selling",
                at(11, 15, 9),
                "TG-CUAHANG",
                what="first_item",
                disposition="retail_sold",
            ),
        ),
    ),
    Journey(
        sample=3,  # Trà túi lọc Sâm Ngọc Linh: household business; its lot is recalled
        role="hộ kinh doanh, lô bị thu hồi",
        places=(
            Place("HT-VUON", "Vườn sâm Trà Mai", "farm"),
            Place("HT-CSSX", "Cơ sở chế biến Hải Thủy", "facility"),
            Place("HT-DIEMBAN", "Điểm bán sâm Ngọc Linh Trà Mai", "shop"),
        ),
        lot=Lot(
            "HT2610B", date(2026, 10, 15), date(2027, 10, 15), "100", "hộp", "HT-CSSX", 6, True
        ),
        steps=(
            Step("harvesting", at(10, 13, 6), "HT-VUON", what="lot"),
            Step("commissioning", at(10, 15), "HT-CSSX", action="ADD", disposition="active"),
            Step("packing", at(10, 15, 14), "HT-CSSX"),
            Step(
                "shipping",
                at(10, 17),
                "HT-CSSX",
                disposition="in_transit",
                source="HT-CSSX",
                destination="HT-DIEMBAN",
            ),
            Step("receiving", at(10, 17, 15), "HT-DIEMBAN", disposition="in_progress"),
        ),
        recall=(
            "high",
            "Một số hộp có dấu hiệu ẩm mốc do bao bì không kín (kịch bản demo)",
            at(11, 21, 9),
        ),
    ),
    Journey(
        sample=15,  # Trà Sâm dây Ngọc Linh Lâm Thịnh: rated in 2020, certificate expired
        role="chứng nhận OCOP đã hết hạn",
        places=(Place("LT-NHAMAY", "Nhà máy Dược liệu Lâm Thịnh", "facility"),),
        lot=Lot("LT2609A", date(2026, 9, 1), date(2028, 9, 1), "80", "hộp", "LT-NHAMAY", 4),
        steps=(
            Step("commissioning", at(9, 1), "LT-NHAMAY", action="ADD", disposition="active"),
            Step("packing", at(9, 2), "LT-NHAMAY"),
        ),
    ),
)
