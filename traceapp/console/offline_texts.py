"""Vietnamese (first) and English texts of the offline queue and the stamp scanner."""

from __future__ import annotations

from traceapp.i18n import Texts

OFFLINE_TEXTS = Texts(
    {
        "queue_title": ("Sự kiện chờ gửi", "Events waiting to be sent"),
        "queue_intro": (
            "Sự kiện ghi khi mất mạng được lưu trên điện thoại này và tự gửi khi có mạng lại. Mỗi sự kiện mang mã riêng, gửi lại nhiều lần cũng chỉ ghi một lần.",
            "Events recorded without a connection are kept on this phone and sent when the connection returns. Each carries its own key, so sending it again never records it twice.",
        ),
        "queue_noscript": (
            "Hàng chờ cần JavaScript. Khi tắt JavaScript, biểu mẫu được gửi thẳng và cần có mạng.",
            "The queue needs JavaScript. Without it, forms are sent directly and need a connection.",
        ),
        "queue_empty": ("Không có sự kiện nào chờ gửi.", "No events are waiting."),
        "queue_waiting": ("Đang chờ gửi", "Waiting to be sent"),
        "queue_sent": ("Đã gửi", "Sent"),
        "queue_refused": ("Bị từ chối: {reason}", "Refused: {reason}"),
        "queue_signin": (
            "Chờ gửi: hãy đăng nhập lại",
            "Waiting: sign in again to send",
        ),
        "queue_other": (
            "Chờ người đã ghi đăng nhập để gửi",
            "Waiting for the member who recorded it to sign in",
        ),
        "queue_send": ("Gửi ngay", "Send now"),
        "queue_remove": ("Xoá khỏi danh sách", "Remove from the list"),
        "queue_whole": ("cả lô", "whole batch"),
        "queue_items": ("{n} mã", "{n} codes"),
        "queue_saved": (
            "Mất mạng: đã lưu sự kiện trên điện thoại, sẽ tự gửi khi có mạng lại.",
            "No connection: the event is kept on this phone and will be sent when the connection returns.",
        ),
        "queue_banner": ("Sự kiện chờ gửi: {n}", "Events waiting: {n}"),
        "queue_link": ("Xem sự kiện chờ gửi", "See events waiting to be sent"),
        "queue_offline_page": (
            "Mất mạng. Trang này chưa được lưu trên điện thoại.",
            "No connection. This page is not kept on this phone.",
        ),
        # Camera scanning
        "scan_button": ("Quét tem bằng camera", "Scan stamps with the camera"),
        "scan_stop": ("Xong", "Done"),
        "scan_video": ("Hình từ camera", "Camera view"),
        "scan_help": (
            "Đưa mã QR trên tem vào khung hình. Có thể quét nhiều tem liên tiếp.",
            "Hold the stamp's QR code in view. You can scan several stamps in a row.",
        ),
        "scan_found": ("Đã quét {serial} ({n} mã)", "Scanned {serial} ({n} codes)"),
        "scan_twice": ("{serial} đã có trong danh sách", "{serial} is already listed"),
        "scan_foreign": (
            "Mã QR này không phải tem truy xuất.",
            "This QR code is not a trace stamp.",
        ),
        "scan_denied": (
            "Không mở được camera. Hãy nhập mã in trên tem.",
            "The camera could not be opened. Type the printed code instead.",
        ),
    }
)
