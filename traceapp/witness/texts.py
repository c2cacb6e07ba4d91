"""Texts of the item page's witness section (vi, en), through the one i18n mechanism."""

from __future__ import annotations

from traceapp.i18n import Texts

WITNESS_TEXTS = Texts(
    {
        "w_title": ("Nhân chứng độc lập", "Independent witnesses"),
        "w_cosigned": (
            {
                "other": "{count} nhân chứng độc lập đã đồng ký điểm kiểm tra (kích thước {size}) "
                "mà các bằng chứng trên trang này dựa vào:",
            },
            {
                "one": "{count} independent witness cosigned the checkpoint (size {size}) "
                "this page's proofs are against:",
                "other": "{count} independent witnesses cosigned the checkpoint (size {size}) "
                "this page's proofs are against:",
            },
        ),
        "w_none": (
            "Chưa có nhân chứng nào đồng ký điểm kiểm tra (kích thước {size}) này; "
            "việc đồng ký thường mất vài giây.",
            "No witness has cosigned this checkpoint (size {size}) yet; cosigning usually "
            "takes a few seconds.",
        ),
        "w_help": (
            "Mỗi nhân chứng xác nhận rằng sổ cái chỉ được ghi thêm, không bị sửa hay tách nhánh.",
            "Each witness vouches that the ledger was only appended to, never rewritten or forked.",
        ),
    }
)
