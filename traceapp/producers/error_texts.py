"""The producers domain's refusals, in Vietnamese and English, keyed by error code."""

from __future__ import annotations

from traceapp.i18n import Texts

ERROR_TEXTS = Texts(
    {
        "PRODUCER_SUSPENDED": (
            "Chủ thể {producer} đang bị văn phòng chương trình OCOP tạm dừng: không ghi được gì "
            "cho chủ thể này cho đến khi văn phòng cho hoạt động lại",
            "Producer {producer} is suspended by the OCOP programme office: nothing is written "
            "for it until the office resumes it",
        ),
    }
)
