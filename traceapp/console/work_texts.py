"""Texts of a batch's work pages (issuing stamps, events, error declarations, recalls)."""

from __future__ import annotations

from traceapp.i18n import Texts

WORK_TEXTS = Texts(
    {
        "batch_of": ("Lô {lot} · {product}", "Lot {lot} · {product}"),
        "batch_events": ("Nhật ký lô", "Batch log"),
        "issue_title": ("Phát hành tem", "Issue stamps"),
        "issue_help": (
            "Mỗi sản phẩm một mã QR riêng. Tệp PDF khổ A4 tải về ngay; mã PIN chỉ có trong tệp này.",
            "One QR code per item. The A4 PDF downloads at once; PINs are only in that file.",
        ),
        "issue_count": ("Số tem", "How many stamps"),
        "issue_bound": (
            "Lô có {quantity} {unit}; đã phát hành {issued} tem.",
            "The batch holds {quantity} {unit}; {issued} stamps issued so far.",
        ),
        "issue_pins": ("Kèm mã PIN dưới lớp cào", "With scratch-off PINs"),
        "issue_pins_help": (
            "Người mua cào lớp phủ để xác nhận đã mua. Hãy in ngay: mã PIN không xem lại được.",
            "Buyers scratch to claim their purchase. Print at once: PINs cannot be shown again.",
        ),
        "issue_button": ("Phát hành và tải PDF", "Issue and download the PDF"),
        "err_invalid_count": ("Nhập một số từ 1 đến 100.000.", "Enter a number from 1 to 100,000."),
        "err_over_batch_quantity_count": (
            "Đã phát hành {issued} tem; thêm {count} tem sẽ vượt số lượng của lô ({quantity}). Nêu lý do bên dưới để vẫn phát hành.",
            "{issued} stamps issued already; {count} more exceed the batch quantity ({quantity}). Give a reason below to issue them anyway.",
        ),
        "issue_over_reason": ("Lý do vượt số lượng của lô", "Reason to exceed the batch quantity"),
        "issue_over_help": (
            "Chỉ cần khi số tem vượt số lượng của lô (ví dụ: lô tính theo kg, in lại tem hỏng). Lý do được ghi vào sổ.",
            "Only needed beyond the batch quantity (a lot counted in kg, a reprint). The reason is recorded in the ledger.",
        ),
        "issue_count_bad": ("Nhập một số từ 1 đến {max}.", "Enter a number from 1 to {max}."),
        "issue_replayed": (
            "Yêu cầu này đã được thực hiện. Mã PIN chỉ hiện một lần nên không tải lại được tệp.",
            "This request was already done. PINs are shown only once, so the file cannot be downloaded again.",
        ),
        "issue_replayed_plain": (
            "Yêu cầu này đã được thực hiện; không phát hành thêm tem.",
            "This request was already done; no more stamps were issued.",
        ),
        "scan_hint": ("Quét để kiểm tra / Scan to verify", "Quét để kiểm tra / Scan to verify"),
        "event_title": ("Ghi sự kiện", "Record an event"),
        "event_step": ("Công việc", "Step"),
        "event_time": ("Thời gian (giờ Việt Nam)", "Time (Vietnam time)"),
        "event_place": ("Địa điểm", "Place"),
        "event_no_place": ("— không ghi —", "— none —"),
        "event_scope": ("Áp dụng cho", "Applies to"),
        "event_whole": ("Cả lô", "The whole batch"),
        "event_items": ("Các sản phẩm theo mã", "Items by their codes"),
        "event_codes": (
            "Mã in trên tem (mỗi dòng một mã hoặc đường dẫn)",
            "Printed codes (one code or link a line)",
        ),
        "event_button": ("Ghi sự kiện", "Record"),
        "event_recorded": ("Đã ghi sự kiện.", "The event is recorded."),
        "codes_missing": ("Nhập ít nhất một mã.", "Enter at least one code."),
        "codes_unknown": ("Không tìm thấy mã: {codes}", "Codes not found: {codes}"),
        "time_bad": ("Thời gian không hợp lệ.", "This time is not valid."),
        "events_none": ("Chưa có sự kiện nào.", "No events yet."),
        "event_items_count": ("{count} sản phẩm", "{count} items"),
        "event_whole_batch": ("cả lô", "whole batch"),
        "event_retracted": ("Đã báo ghi sai: {reason}", "Declared wrong: {reason}"),
        "declare_title": ("Tôi ghi sai", "I recorded this wrongly"),
        "declare_reason": ("Lý do", "Reason"),
        "reason_incorrect_data": ("Dữ liệu ghi sai", "Incorrect data"),
        "reason_did_not_occur": ("Sự kiện không xảy ra", "It did not happen"),
        "declare_button": ("Báo ghi sai", "Declare the error"),
        "declared": ("Đã báo ghi sai.", "The error is declared."),
        "recall_title": ("Thu hồi lô", "Recall the batch"),
        "recall_help": (
            "Mọi lần quét sản phẩm của lô sẽ hiện cảnh báo thu hồi. Không hủy được.",
            "Every scan of this batch's items will show the recall. It cannot be undone.",
        ),
        "recall_severity": ("Mức độ", "Severity"),
        "severity_low": ("Thấp", "Low"),
        "severity_medium": ("Trung bình", "Medium"),
        "severity_high": ("Cao", "High"),
        "severity_critical": ("Nghiêm trọng", "Critical"),
        "recall_reason": ("Lý do thu hồi", "Reason for the recall"),
        "recall_button": ("Thu hồi lô này", "Recall this batch"),
        "recalled": (
            "Lô đang bị thu hồi ({severity}): {reason}",
            "Batch recalled ({severity}): {reason}",
        ),
        "recall_done": ("Đã thu hồi lô.", "The batch is recalled."),
        "err_invalid_reason": ("Hãy nhập lý do.", "Give a reason."),
        "err_idempotency_conflict": (
            "Biểu mẫu này đã được gửi trước đó với nội dung khác. Hãy kiểm tra rồi gửi lại.",
            "This form was already sent with other values. Check it and send it again.",
        ),
        "nav_tokens": ("Khóa API", "API tokens"),
        "tokens_title": ("Khóa API cho ứng dụng", "API tokens for your apps"),
        "token_new": ("Tạo khóa mới", "New token"),
        "token_label": ("Tên gợi nhớ (ví dụ: phần mềm kho)", "Label (e.g. warehouse software)"),
        "token_create": ("Tạo khóa", "Create the token"),
        "token_secret": ("Khóa mới — chỉ hiện một lần", "The new token — shown once"),
        "token_secret_help": (
            "Sao chép vào ứng dụng ngay. Hệ thống chỉ giữ dấu băm, không xem lại được; mất thì thu hồi và tạo khóa khác.",
            "Copy it into your app now. Only its hash is kept and it cannot be shown again; if lost, revoke it and create another.",
        ),
        "token_unlabelled": ("(không tên)", "(no label)"),
        "token_created": ("tạo {date}", "created {date}"),
        "token_is_revoked": ("đã thu hồi {date}", "revoked {date}"),
        "token_revoke": ("Thu hồi khóa", "Revoke"),
        "token_revoked": ("Đã thu hồi khóa.", "The token is revoked."),
        "tokens_none": ("Chưa có khóa nào.", "No tokens yet."),
        "err_token_revoked": ("Khóa này đã được thu hồi.", "This token is revoked already."),
        "err_invalid_label": (
            "Tên gợi nhớ tối đa 200 ký tự.",
            "A label has at most 200 characters.",
        ),
        "err_already_exists": ("Việc này đã được ghi.", "This is already recorded."),
    }
)
