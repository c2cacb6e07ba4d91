"""The demo's catalogue: real OCOP products from ``ocop_samples.csv`` mapped to our inputs.

What the sources did not state is filled by the rules in ``SOURCE.txt`` and marked where it
is shown ("(demo: ...)", "suy luận (dữ liệu minh họa)"), never silently invented. Each row's
source and data note are listed in ``SOURCE.txt``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from importlib import resources

from traceapp.gs1.identifiers import with_check_digit

# 893 is GS1 Vietnam; 9999 a demo company prefix that no real company holds here.
DEMO_COMPANY_PREFIX = "8939999"
NATIONAL_ISSUER = "Bộ Nông nghiệp và Phát triển Nông thôn"
# The provinces' names as the sources recorded them, before the merger of 1 July 2025.
ADDRESS_RECORDED_ON = date(2025, 6, 30)
NO_YEAR_ISSUED_ON = date(2024, 12, 31)
EXPIRED_BY_2023_ISSUED_ON = date(2020, 5, 30)

PRODUCER_KINDS = (
    ("hợp tác xã", "cooperative"),
    ("hộ", "household_business"),
    ("doanh nghiệp", "enterprise"),
    # "cơ sở sản xuất": legal form not stated; such workshops are usually household businesses.
    ("cơ sở", "household_business"),
)
GROUPS = (
    ("thực phẩm", "food"),
    ("đồ uống", "drinks"),
    ("thảo dược", "herbal"),
    ("dịch vụ du lịch", "community_tourism_services"),
    ("vải", "textiles_garments"),
    ("lưu niệm", "souvenirs_furnishing_decoration"),
)
INFERRED = " (inferred)"

_EXACT_DATE = re.compile(r"ngày (\d{1,2})/(\d{1,2})/(\d{4})")
_DECISION = re.compile(r"QĐ số (\d+)")
_YEAR = re.compile(r"\b(20\d\d)\b")


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value.strip())


@dataclass(frozen=True)
class CertificateTerms:
    stars: int
    issuer: str
    issuer_level: str
    decision_number: str
    issued_on: date


@dataclass(frozen=True)
class SampleProduct:
    """One CSV row: a product, its producer and, if the rating is final, its certificate."""

    index: int  # 1-based position in the CSV: the GTIN's item reference
    name: str
    group: str
    group_inferred: bool
    province: str
    locality: str | None
    producer_name: str
    producer_kind: str
    certificate: CertificateTerms | None
    source_url: str
    quality_note: str

    @property
    def gtin(self) -> str:
        return demo_gtin(self.index)

    @property
    def description(self) -> str:
        place = ", ".join(p for p in (self.locality, self.province) if p)
        parts = [f"Sản phẩm OCOP của {self.producer_name} ({place})."]
        if self.group_inferred:
            parts.append("Nhóm sản phẩm: suy luận (dữ liệu minh họa).")
        # The source and the data notes (English) are in SOURCE.txt, not on the shopper's page.
        return " ".join(parts)


def demo_gtin(reference: int) -> str:
    """A GTIN-13 with a valid check digit: demo company prefix + 5-digit item reference."""
    return with_check_digit(f"{DEMO_COMPANY_PREFIX}{reference:05d}")


def producer_kind(raw: str) -> str:
    lowered = raw.lower()
    for marker, kind in PRODUCER_KINDS:
        if lowered.startswith(marker):
            return kind
    raise ValueError(f"unknown producer type {raw!r}")


def product_group(raw: str) -> tuple[str, bool]:
    """The OCOP group and whether it was inferred (by the source or, for "unknown", by us)."""
    lowered = raw.lower()
    for marker, group in GROUPS:
        if lowered.startswith(marker):
            return group, "inferred" in lowered
    # The rows whose group the sources left out are all herbal teas and medicinal herbs.
    return "herbal", True


def certificate_terms(stars: str, note: str, province: str) -> CertificateTerms | None:
    """The OCOP certificate the row's rating and note describe; None if not final."""
    if not stars.isdigit():
        return None  # e.g. "tiềm năng 5 sao": proposed, outcome not found
    rating = int(stars)
    lowered = note.lower()
    if "cấp quốc gia" in lowered:
        level = "national"
    elif "cấp tỉnh" in lowered:
        level = "province"
    else:  # Decision 148/QĐ-TTg: provinces rate 3-4 stars, the ministry 5
        level = "national" if rating == 5 else "province"
    assumed: list[str] = []
    exact = _EXACT_DATE.search(note)
    year = _YEAR.search(note)
    if exact:
        day, month, year_text = (int(g) for g in exact.groups())
        issued_on = date(year_text, month, day)
    elif "before 2022" in lowered:
        issued_on, assumed = date(2021, 12, 31), ["ngày giả định"]
    elif "already expired" in lowered:
        issued_on, assumed = EXPIRED_BY_2023_ISSUED_ON, ["ngày giả định"]
    elif year:
        issued_on, assumed = date(int(year.group(1)), 12, 31), ["ngày giả định"]
    else:
        issued_on, assumed = NO_YEAR_ISSUED_ON, ["năm và ngày giả định"]
    decision = _DECISION.search(note)
    number = f"QĐ số {decision.group(1)}" if decision else "không rõ số QĐ"
    if not decision:
        assumed.insert(0, "nguồn không nêu số QĐ")
    if assumed:
        number += f" (demo: {', '.join(assumed)})"
    issuer = NATIONAL_ISSUER if level == "national" else f"UBND tỉnh {province}"
    return CertificateTerms(rating, issuer, level, number, issued_on)


def _optional(value: str) -> str | None:
    return None if value.lower() in ("", "unknown") else value


def load_samples() -> list[SampleProduct]:
    """Every row of the packaged CSV, NFC-normalised, in file order."""
    text = resources.files("traceapp.demo").joinpath("ocop_samples.csv").read_text("utf-8")
    samples = []
    for index, row in enumerate(csv.DictReader(io.StringIO(text)), start=1):
        row = {key: nfc(value) for key, value in row.items()}
        group, group_inferred = product_group(row["product_group"])
        samples.append(
            SampleProduct(
                index=index,
                name=row["product_name"],
                group=group,
                group_inferred=group_inferred,
                province=row["province_at_source_time"],
                locality=_optional(row["locality"]),
                producer_name=row["producer_name"].removesuffix(INFERRED),
                producer_kind=producer_kind(row["producer_type"]),
                certificate=certificate_terms(
                    row["star_rating"], row["rating_status_note"], row["province_at_source_time"]
                ),
                source_url=row["source_url"],
                quality_note=row["data_quality_note"],
            )
        )
    return samples
