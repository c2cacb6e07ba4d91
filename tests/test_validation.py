"""The shared text rule (issue 14 item 14): NFC, no control and no invisible format characters."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from traceapp import validation as v
from traceapp.errors import ValidationFailed

VIETNAMESE = (
    "Hợp tác xã Chè Shan Tuyết Bản Mế",
    "Nguyễn Thị Ánh Tuyết",
    "Trà Shan tuyết Cổ thụ – hộp 100 g",
    "Mật ong bạc hà Đồng Văn",
    "Xã Quỳnh Lưu, tỉnh Nghệ An",
)


def test_the_format_table_is_unicode_category_cf() -> None:
    table = {c for low, high in v.FORMAT_RANGES for c in range(low, high + 1)}
    cf = {c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"}
    assert table == cf, f"update FORMAT_RANGES for Unicode {unicodedata.unidata_version}"


@pytest.mark.parametrize("name", VIETNAMESE)
def test_vietnamese_names_are_kept_in_nfc(name: str) -> None:
    assert v.text(name, "name", max_length=100) == name
    decomposed = unicodedata.normalize("NFD", name)
    assert v.text(decomposed, "name", max_length=100) == unicodedata.normalize("NFC", name)


@pytest.mark.parametrize(
    "character", ["\u202e", "\u202a", "\u2066", "\u2069", "\u200b", "\u200d", "\u00ad", "\ufeff"]
)
def test_invisible_format_characters_are_refused_and_named(character: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        v.text(f"Trà{character} Shan tuyết", "nameVi", max_length=100)
    assert refused.value.code == "INVALID" and refused.value.field == "nameVi"
    assert f"U+{ord(character):04X}" in refused.value.message


def test_control_characters_keep_their_message() -> None:
    with pytest.raises(ValidationFailed, match="control characters"):
        v.text("Trà\x07", "name", max_length=100)
