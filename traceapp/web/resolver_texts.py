"""Texts of the GS1 resolver layer: link titles, the unregistered-serial warning, 400 problems."""

from __future__ import annotations

from traceapp.i18n import Texts

TEXTS = Texts(
    {
        # (vi, en)
        "lt_pip": ("Thông tin sản phẩm: {name}", "Product information: {name}"),
        "lt_traceability": ("Hành trình sản phẩm", "Product journey"),
        "lt_bundle": (
            "Gói bằng chứng mật mã (tự kiểm chứng được)",
            "Cryptographic proof bundle (independently verifiable)",
        ),
        "lt_certificationInfo": ("Chứng nhận OCOP và tiêu chuẩn", "OCOP and other certificates"),
        "lt_recallStatus": ("Tình trạng thu hồi", "Recall status"),
        "lt_epcis": ("Sự kiện EPCIS của mã này", "EPCIS events of this code"),
        "lt_default": ("{name}", "{name}"),
        "lt_linkset": ("Danh sách liên kết", "Linkset"),
        "item_description": ("{name} — {code}", "{name} — {code}"),
        "unregistered_title": (
            "Số sê-ri này không có trong sổ đăng ký: có thể là hàng giả",
            "This serial number is not in the register: possibly counterfeit",
        ),
        "unregistered_body": (
            "Lô {lot} của sản phẩm này có thật, nhưng sản phẩm mang số sê-ri {serial} chưa từng "
            "được đăng ký. Đừng tin vào món hàng này khi chưa kiểm tra thêm.",
            "Lot {lot} of this product is real, but no item with serial number {serial} was "
            "ever registered. Do not trust this item without checking further.",
        ),
        "unknown_lot_body": (
            "Sản phẩm này có thật, nhưng mã {code} không có trong sổ đăng ký. Đừng tin vào món "
            "hàng này khi chưa kiểm tra thêm.",
            "This product is real, but the code {code} is not in the register. Do not trust "
            "this item without checking further.",
        ),
        "unregistered_report": ("Báo cáo mã đáng ngờ này", "Report this suspicious code"),
        "problem_bad_code": (
            "Đường dẫn không phải là GS1 Digital Link hợp lệ",
            "Not a valid GS1 Digital Link URI",
        ),
        "problem_not_found": ("Không có trong sổ đăng ký", "Not in the register"),
    }
)
