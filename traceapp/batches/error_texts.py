"""The batches domain's refusals, in Vietnamese and English, keyed by error code."""

from __future__ import annotations

from traceapp.i18n import Texts

ERROR_TEXTS = Texts(
    {
        "OVER_BATCH_QUANTITY": (
            "Đã phát hành {issued} mã, thêm {count} mã sẽ vượt số lượng của lô ({quantity}): "
            "hãy nêu lý do (overQuantityReason) để vẫn phát hành",
            "{issued} items issued already and {count} more exceed the batch quantity "
            "{quantity}: give overQuantityReason to issue them anyway",
        ),
    }
)
