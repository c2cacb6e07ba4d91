"""Texts of the page's story parts: one step back, the producer's contact, what OCOP stars mean,
sharing (merged into the page's catalog, ``texts.TEXTS``)."""

from __future__ import annotations

from traceapp.i18n import Texts

STORY_TEXTS = Texts(
    {
        # One step back (Circular 02/2024/TT-BKHCN): the inputs of a processed product.
        "upstream": ("Nguyên liệu đầu vào", "Made from"),
        "upstream_intro": (
            "Sản phẩm được chế biến từ các lô nguyên liệu sau (truy xuất một bước trước).",
            "This product was processed from these input batches (one step back).",
        ),
        "upstream_more": (
            {"other": "và {count} lô nguyên liệu khác"},
            {"one": "and {count} more input batch", "other": "and {count} more input batches"},
        ),
        "processed_at": ("Nơi chế biến", "Processed at"),
        "input_producer": ("Nhà cung cấp", "Supplied by"),
        "p_input_batch": ("Tạo lô nguyên liệu", "Input batch creation"),
        "p_input_product": ("Đăng ký sản phẩm nguyên liệu", "Input product registration"),
        "p_input_product_update": ("Cập nhật sản phẩm nguyên liệu", "Input product update"),
        "p_input_producer": ("Đăng ký nhà cung cấp", "Supplier registration"),
        "p_input_event": ("Sự kiện của nguyên liệu", "Input batch event"),
        "p_input_event_correction": ("Đính chính sự kiện nguyên liệu", "Input event correction"),
        "p_input_location": ("Địa điểm của nguyên liệu", "Input batch location"),
        "p_input_location_update": (
            "Cập nhật địa điểm của nguyên liệu",
            "Input batch location update",
        ),
        # What OCOP stars mean: Decision 148/QĐ-TTg (24/02/2023), 100-point scale.
        "stars_meaning": ("Số sao OCOP nghĩa là gì?", "What do OCOP stars mean?"),
        "stars_intro": (
            "Sản phẩm OCOP được hội đồng nhà nước chấm trên thang 100 điểm: tổ chức sản xuất và "
            "sức mạnh cộng đồng, khả năng tiếp thị và câu chuyện sản phẩm, chất lượng sản phẩm "
            "(Quyết định 148/QĐ-TTg năm 2023). Chứng nhận có hiệu lực 36 tháng.",
            "OCOP products are scored out of 100 by a state council: how production is "
            "organised and the community's part, marketing and the product's story, and product "
            "quality (Decision 148/QĐ-TTg, 2023). A certificate is valid for 36 months.",
        ),
        "stars_3": (
            "3 sao (50–69 điểm): đạt tiêu chuẩn OCOP, do tỉnh đánh giá và công nhận; có thể "
            "nâng lên 4 sao.",
            "3 stars (50–69 points): meets the OCOP standards, rated and recognised by the "
            "province; can be raised to 4 stars.",
        ),
        "stars_4": (
            "4 sao (70–89 điểm): sản phẩm tốt, đạt tiêu chuẩn, do tỉnh công nhận; có thể "
            "được đề nghị lên 5 sao.",
            "4 stars (70–89 points): a good product meeting the standards, recognised by the "
            "province; may be put forward for 5 stars.",
        ),
        "stars_5": (
            "5 sao (90–100 điểm): sản phẩm xuất sắc cấp quốc gia, có thể xuất khẩu; do Trung "
            "ương đánh giá và công nhận.",
            "5 stars (90–100 points): an outstanding product at national level, able to be "
            "exported; rated and recognised nationally.",
        ),
        "stars_this": ("Sản phẩm này", "This product"),
        # The producer's public business contact.
        "contact": ("Liên hệ", "Contact"),
        "contact_phone": ("Điện thoại", "Phone"),
        "contact_zalo": ("Zalo", "Zalo"),
        "contact_website": ("Trang web", "Website"),
        "contact_address": ("Địa chỉ giao dịch", "Business address"),
        "p_producer_contact": ("Thông tin liên hệ công khai", "Public contact"),
        "contact_call": ("Gọi {phone}", "Call {phone}"),
        "contact_chat": ("Nhắn Zalo {phone}", "Message {phone} on Zalo"),
        # Sharing.
        "share": ("Chia sẻ", "Share"),
        "share_facebook": ("Chia sẻ lên Facebook", "Share on Facebook"),
        "share_zalo": (
            "Zalo: sao chép đường dẫn bên dưới rồi dán vào tin nhắn",
            "Zalo: copy the link below and paste it into a chat",
        ),
        "share_link": ("Đường dẫn của trang", "Link to this page"),
        "share_copy": ("Sao chép đường dẫn", "Copy the link"),
        "share_copied": ("Đã sao chép", "Copied"),
        "og_description": (
            "Sản phẩm OCOP của {producer}: nguồn gốc, chứng nhận và hành trình đã được xác minh.",
            "An OCOP product of {producer}: origin, certificates and journey, verified.",
        ),
    }
)
