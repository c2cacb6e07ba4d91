"""Vietnamese (first) and English texts of the office's statistics, certificates and reports
pages; keys start with ``st_`` (``err_`` for refusals of these pages' own fields), so the
merge into the console's catalog cannot clash."""

from __future__ import annotations

from traceapp.i18n import Texts

STATS_TEXTS = Texts(
    {
        "st_nav": ("Thống kê", "Statistics"),
        "st_title": ("Thống kê OCOP", "OCOP statistics"),
        "st_as_of": (
            "Số liệu theo sổ cái đến mục {size} (mã gốc {root}).",
            "Figures as of ledger entry {size} (root {root}).",
        ),
        "st_filters": ("Lọc", "Filter"),
        "st_province": ("Tỉnh, thành phố", "Province or city"),
        "st_province_help": (
            "Tên trước hoặc sau sáp nhập 1/7/2025, có dấu hoặc không.",
            "Its name before or after the merger of 1 July 2025, with or without diacritics.",
        ),
        "st_commune": ("Xã, phường", "Commune or ward"),
        "st_group": ("Nhóm sản phẩm", "Product group"),
        "st_kind": ("Loại chủ thể", "Kind of producer"),
        "st_any": ("Tất cả", "All"),
        "st_apply": ("Xem", "Show"),
        "st_totals": ("Tổng số", "Totals"),
        "st_producers": ("Chủ thể", "Producers"),
        "st_products": ("Sản phẩm", "Products"),
        "st_certificates_valid": ("Giấy chứng nhận còn hiệu lực", "Valid certificates"),
        "st_expiring": ("Hết hạn trong {days} ngày tới", "Ending in the next {days} days"),
        "st_producers_by_province": ("Chủ thể theo tỉnh", "Producers by province"),
        "st_producers_by_commune": ("Chủ thể theo xã, phường", "Producers by commune"),
        "st_producers_by_kind": ("Chủ thể theo loại hình", "Producers by kind"),
        "st_producers_by_status": ("Chủ thể theo trạng thái", "Producers by status"),
        "st_products_by_group": ("Sản phẩm theo nhóm OCOP", "Products by OCOP group"),
        "st_products_by_province": ("Sản phẩm theo tỉnh", "Products by province"),
        "st_certificates_by_stars": ("Sản phẩm OCOP theo số sao", "OCOP certificates by stars"),
        "st_certificates_by_province": (
            "Giấy chứng nhận còn hiệu lực theo tỉnh",
            "Valid certificates by province",
        ),
        "st_items_per_month": ("Tem đã phát hành theo tháng", "Items issued per month"),
        "st_events_per_month": ("Sự kiện đã ghi theo tháng", "Events recorded per month"),
        "st_capacity": (
            "Năng lực sản xuất: sản lượng lô 12 tháng qua của 20 sản phẩm nhiều lô nhất",
            "Capacity: batch volumes over the last 12 months of the 20 products with most batches",
        ),
        "st_scans_by_province": ("Lượt quét theo tỉnh", "Scans by province"),
        "st_scans_by_product": (
            "Lượt quét 12 tháng qua của 20 sản phẩm được quét nhiều nhất",
            "Scans over the last 12 months of the 20 most scanned products",
        ),
        "st_scans": ("Lượt quét", "Scans"),
        "st_signals": ("Dấu hiệu nghi sao chép", "Suspected-copy signals"),
        "st_batches": ("Số lô", "Batches"),
        "st_quantity": ("Sản lượng", "Quantity"),
        "st_month": ("Tháng", "Month"),
        "st_months": ("Số tháng có lô", "Months with batches"),
        "st_sent": ("Ngày gửi", "Sent"),
        "st_count": ("Số lượng", "Count"),
        "st_name": ("Tên", "Name"),
        "st_none": ("Chưa có số liệu.", "No figures yet."),
        "st_table": ("Bảng số liệu", "Data table"),
        "st_stars": ("{stars} sao", "{stars} stars"),
        "st_status_active": ("đang hoạt động", "active"),
        "st_status_suspended": ("tạm dừng", "suspended"),
        "st_kind_enterprise": ("doanh nghiệp", "enterprise"),
        "st_kind_cooperative": ("hợp tác xã", "cooperative"),
        "st_kind_household_business": ("hộ kinh doanh", "household business"),
        "st_download": ("Tải về:", "Download:"),
        "st_unknown_province": ("(không rõ tỉnh)", "(province unknown)"),
        # Certificates ending soon
        "st_ending_title": ("Giấy chứng nhận sắp hết hạn", "Certificates ending soon"),
        "st_ending_days": ("Trong", "Within"),
        "st_days": ("{days} ngày", "{days} days"),
        "st_valid_until": ("Hiệu lực đến", "Valid until"),
        "st_decision": ("Quyết định", "Decision"),
        "st_ending_none": (
            "Không có giấy chứng nhận nào hết hạn trong khoảng này.",
            "No certificate ends in this period.",
        ),
        "st_list_cut": (
            "Chỉ hiện {count} mục đầu; tải tệp để có đủ danh sách.",
            "Only the first {count} are shown; download the file for the full list.",
        ),
        # Reports' inbox
        "st_reports_title": ("Báo cáo nghi hàng giả", "Reports of suspected fakes"),
        "st_state": ("Trạng thái", "State"),
        "st_state_new": ("mới", "new"),
        "st_state_checking": ("đang kiểm tra", "checking"),
        "st_state_confirmed": ("đã xác nhận", "confirmed"),
        "st_state_dismissed": ("đã bác bỏ", "dismissed"),
        "st_reason": ("Lý do", "Reason"),
        "st_reason_not_found": ("mã không tìm thấy", "code not found"),
        "st_reason_copied": ("nghi mã bị sao chép", "code seems copied"),
        "st_reason_label": ("nhãn khác thường", "label looks wrong"),
        "st_reason_product": ("sản phẩm khác thường", "product looks wrong"),
        "st_reason_other": ("lý do khác", "other"),
        "st_code": ("Mã đã quét", "Scanned code"),
        "st_details": ("Chi tiết", "Details"),
        "st_reports_none": ("Không có báo cáo nào.", "No reports."),
        "st_change_state": ("Đổi trạng thái", "Change state"),
        "st_note": ("Ghi chú (không bắt buộc)", "Note (optional)"),
        "st_save": ("Lưu", "Save"),
        "st_history": ("Lịch sử xử lý", "Triage history"),
        "st_history_line": (
            "{when}: {who} chuyển từ “{old}” sang “{new}”",
            "{when}: {who} changed it from “{old}” to “{new}”",
        ),
        "st_read_only": (
            "Kiểm toán viên chỉ xem, không đổi trạng thái.",
            "Auditors read; they do not change states.",
        ),
        "st_changed": ("Đã lưu trạng thái mới.", "The new state is saved."),
        "err_invalid_province": (
            "Không tìm thấy tỉnh, thành phố này.",
            "No province or city has this name.",
        ),
        "err_invalid_state": ("Trạng thái không hợp lệ.", "Not a valid state."),
        "err_too_long_note": (
            "Ghi chú dài quá 500 ký tự.",
            "The note is longer than 500 characters.",
        ),
    }
)
