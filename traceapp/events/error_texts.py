"""The events domain's refusals and notices, in Vietnamese and English, keyed by error code.

A ``+suggestion`` entry is the code's text when its ``suggestion`` parameter is not empty.
"""

from __future__ import annotations

from traceapp.i18n import Texts

ERROR_TEXTS = Texts(
    {
        "EVENT_IN_FUTURE": (
            "Thời điểm sự kiện (eventTime) ở tương lai: muộn hơn đồng hồ máy chủ quá {minutes} phút",
            "eventTime is in the future (more than {minutes} minutes after the server's clock)",
        ),
        "UNKNOWN_BIZ_STEP": (
            "'{name}' không phải là bước nghiệp vụ CBV 2.0; hãy dùng tên CBV hoặc URI đầy đủ "
            "của phần mở rộng",
            "'{name}' is not a CBV 2.0 business step; give a CBV name or an extension as a "
            "full URI",
        ),
        "UNKNOWN_BIZ_STEP+suggestion": (
            "'{name}' không phải là bước nghiệp vụ CBV 2.0: có phải ý bạn là {suggestion}?",
            "'{name}' is not a CBV 2.0 business step: did you mean {suggestion}?",
        ),
        "UNKNOWN_DISPOSITION": (
            "'{name}' không phải là trạng thái (disposition) CBV 2.0; hãy dùng tên CBV hoặc URI "
            "đầy đủ của phần mở rộng",
            "'{name}' is not a CBV 2.0 disposition; give a CBV name or an extension as a full URI",
        ),
        "UNKNOWN_DISPOSITION+suggestion": (
            "'{name}' không phải là trạng thái (disposition) CBV 2.0: có phải ý bạn là "
            "{suggestion}?",
            "'{name}' is not a CBV 2.0 disposition: did you mean {suggestion}?",
        ),
        "ITEM_DESTROYED": (
            "Sản phẩm {item} đã bị tiêu hủy: không được ghi thêm bước nào sau đó",
            "item {item} was destroyed: no step may follow",
        ),
        "ITEM_RECALLED": (
            "Sản phẩm {item} đang bị thu hồi: sau đó chỉ được ghi việc trả lại (disposition "
            "returned) hoặc tiêu hủy",
            "item {item} is recalled: only its return (disposition returned) or destruction "
            "may follow",
        ),
        "ITEM_SOLD": (
            "Sản phẩm {item} đã được bán lẻ: sau đó chỉ được ghi việc trả lại (disposition "
            "returned)",
            "item {item} was sold at retail: only a return (disposition returned) may follow",
        ),
        "ITEM_CLAIMED": (
            "Sản phẩm {item} đã được người mua xác nhận sở hữu",
            "item {item} was claimed by its buyer",
        ),
        "EVENT_BEFORE_LAST_STEP": (
            "Thời điểm sự kiện sớm hơn bước đã ghi gần nhất của sản phẩm {item}",
            "eventTime is before the last recorded step of item {item}",
        ),
        # After a bulk's first refusal (EventsRejected).
        "EVENTS_REJECTED_MORE": ("và {count} lỗi khác", "and {count} more"),
        "ITEM_COMMISSIONED_AGAIN": (
            "Sản phẩm {item} đã có các bước được ghi: khởi tạo mã lần nữa?",
            "item {item} has recorded steps already: commissioned again?",
        ),
    }
)
