"""Texts of the consumer pages beyond the facts: the verdict, the landing page, the report form.

Merged into ``texts.TEXTS`` (one catalog; a key defined twice is refused at import).
"""

from __future__ import annotations

from traceapp.i18n import Texts

PAGE_TEXTS = Texts(
    {
        # The verdict (verdict.py): headline and one plain sentence under it.
        "v_recalled": ("Sản phẩm bị thu hồi: không sử dụng", "Recalled: do not use"),
        "v_recalled_help": (
            "Nhà sản xuất đã thu hồi lô hàng này. Xem lý do trong phần cảnh báo bên dưới.",
            "The producer has recalled this batch. The reason is in the warnings below.",
        ),
        "v_unverified": ("Không xác minh được thông tin", "This record could not be verified"),
        "v_unverified_help": (
            "Thông tin trên trang không khớp với sổ cái. Đừng tin các thông tin này.",
            "What this page shows does not match the ledger. Do not rely on it.",
        ),
        "v_copy": ("Nghi ngờ mã bị sao chép", "This code may have been copied"),
        "v_copy_help": (
            "Sản phẩm có thể là hàng giả. Hãy hỏi người bán và báo cho chúng tôi.",
            "The product may be a fake. Ask the seller and report it to us.",
        ),
        "v_expired": ("Sản phẩm đã hết hạn sử dụng", "This product has expired"),
        "v_expired_help": (
            "Không nên sử dụng sản phẩm đã quá hạn.",
            "Do not use a product past its expiry date.",
        ),
        "v_ocop_revoked": ("Chứng nhận OCOP đã bị thu hồi", "OCOP certificate revoked"),
        "v_ocop_revoked_help": (
            "Mã truy xuất là thật, nhưng sản phẩm không còn được công nhận OCOP.",
            "The code is genuine, but the product is no longer OCOP rated.",
        ),
        "v_ocop_expired": ("Chứng nhận OCOP đã hết hiệu lực", "OCOP certificate expired"),
        "v_ocop_expired_help": (
            "Mã truy xuất là thật, nhưng xếp hạng OCOP của sản phẩm đã hết hạn.",
            "The code is genuine, but the product's OCOP rating has expired.",
        ),
        "v_no_ocop": ("Chưa có xếp hạng OCOP", "No OCOP rating"),
        "v_no_ocop_help": (
            "Mã truy xuất là thật, nhưng sản phẩm chưa có xếp hạng OCOP được ghi nhận.",
            "The code is genuine, but no OCOP rating is recorded for this product.",
        ),
        "v_producer_suspended": (
            "Chủ thể sản xuất đang bị tạm dừng",
            "The producer is suspended",
        ),
        "v_producer_suspended_help": (
            "Mã truy xuất là thật, nhưng văn phòng chương trình OCOP đang tạm dừng chủ thể sản "
            "xuất này. Xem lý do bên dưới.",
            "The code is genuine, but the OCOP programme office has suspended this producer. "
            "See the reason below.",
        ),
        "v_claimed": ("Mã đã được người mua khác kích hoạt", "Already claimed by another buyer"),
        "v_claimed_help": (
            "Nếu bạn vừa mua sản phẩm còn nguyên tem, mã có thể bị sao chép.",
            "If you just bought it with an intact label, the code may have been copied.",
        ),
        "v_caution": ("Sản phẩm thật, cần lưu ý", "Genuine, with a caution"),
        "v_caution_help": (
            "Mã được kiểm tra nhiều hơn bình thường. Xem cảnh báo bên dưới.",
            "This code is checked more than usual. See the warnings below.",
        ),
        "v_genuine": ("Sản phẩm thật, có trong hệ thống OCOP", "Genuine OCOP product"),
        "v_genuine_help": (
            "Thông tin sản phẩm khớp với sổ cái truy xuất nguồn gốc.",
            "The product's record matches the traceability ledger.",
        ),
        "v_thanks": (
            "Cảm ơn bạn đã kích hoạt sản phẩm này.",
            "Thank you for claiming this product.",
        ),
        "proof_line_ok": ("Đã xác minh bằng chứng mật mã", "Cryptographically verified"),
        "proof_line_bad": ("KHÔNG xác minh được bằng chứng", "Proof verification FAILED"),
        "proofs_summary": (
            {"other": "Bằng chứng trên sổ cái: {count} mục đều hợp lệ"},
            {
                "one": "Ledger proof: {count} entry verified",
                "other": "Ledger proofs: {count} entries verified",
            },
        ),
        "proofs_summary_bad": (
            "Bằng chứng trên sổ cái: có mục KHÔNG hợp lệ",
            "Ledger proofs: some entries FAILED",
        ),
        "valid_until_days": (
            {"other": "Còn hiệu lực đến {date} (còn {count} ngày)"},
            {
                "one": "Valid until {date} ({count} day left)",
                "other": "Valid until {date} ({count} days left)",
            },
        ),
        "unit_none": ("đơn vị", "units"),
        # Recall severities and the subjects of a mismatch, in words.
        "severity_low": ("mức thấp", "low"),
        "severity_medium": ("mức trung bình", "medium"),
        "severity_high": ("mức cao", "high"),
        "severity_critical": ("mức nghiêm trọng", "critical"),
        "m_producer": ("chủ thể", "producer"),
        "m_producer_suspended": ("việc tạm dừng chủ thể", "the producer's suspension"),
        "m_product": ("sản phẩm", "product"),
        "m_certification": ("chứng nhận", "certificate"),
        "m_batch": ("lô", "batch"),
        "m_item": ("mã sản phẩm", "item"),
        "m_event": ("sự kiện", "event"),
        "m_location": ("địa điểm", "location"),
        "m_recall": ("thu hồi", "recall"),
        "claim_malformed": (
            "Mã PIN gồm 8 chữ số. Hãy kiểm tra lại; lần nhập này không bị tính.",
            "The PIN has 8 digits. Please check it; this try was not counted.",
        ),
        # Landing page.
        "home_title": ("Kiểm tra sản phẩm OCOP", "Check an OCOP product"),
        "home_intro": (
            "Quét mã QR trên tem bằng máy ảnh điện thoại, hoặc nhập mã bên dưới.",
            "Scan the QR code on the label with your phone's camera, or enter the code below.",
        ),
        "home_code": ("Đường dẫn hoặc mã truy xuất", "Link or traceability code"),
        "home_code_help": (
            "Dán đường dẫn của mã QR, hoặc mã (01)…(10)…(21)….",
            "Paste the QR code's link, or a code (01)…(10)…(21)….",
        ),
        "home_or": (
            "Hoặc nhập số lô và số sê-ri in dưới mã QR:",
            "Or enter the lot and serial number printed under the QR code:",
        ),
        "home_check": ("Kiểm tra", "Check"),
        "home_error": ("Không đọc được mã", "The code could not be read"),
        "home_bad_input": (
            "Hãy nhập đường dẫn của mã QR, hoặc cả số lô và số sê-ri.",
            "Enter the QR code's link, or both the lot and the serial number.",
        ),
        "home_foreign": (
            "Đường dẫn này không thuộc hệ thống truy xuất OCOP.",
            "This link does not belong to the OCOP traceability system.",
        ),
        "home_unknown": (
            "Không tìm thấy sản phẩm với số lô và số sê-ri này. Sản phẩm có thể là hàng giả.",
            "No product has this lot and serial number. The product may be counterfeit.",
        ),
        "home_ocop": ("OCOP là gì?", "What is OCOP?"),
        "home_ocop_text": (
            "OCOP (Mỗi xã một sản phẩm) là chương trình quốc gia đánh giá và xếp hạng sản phẩm "
            "đặc trưng của địa phương từ 3 đến 5 sao.",
            "OCOP (One Commune One Product) is Vietnam's national programme that rates local "
            "specialities from 3 to 5 stars.",
        ),
        "home_how": ("Cách kiểm tra", "How to check"),
        "home_how_1": (
            "Quét mã QR trên tem sản phẩm.",
            "Scan the QR code on the product's label.",
        ),
        "home_how_2": (
            "Xem dòng kết luận ở đầu trang: thật, cần lưu ý, hay không sử dụng.",
            "Read the verdict at the top: genuine, caution, or do not use.",
        ),
        "home_how_3": (
            "Cào lớp phủ để lấy mã PIN và kích hoạt khi bạn đã mua.",
            "Scratch off the PIN and claim the item once you have bought it.",
        ),
        "home_fake": ("Nghi ngờ hàng giả?", "Suspect a fake?"),
        "home_fake_text": (
            "Nếu mã không tìm thấy, bị cảnh báo sao chép, hoặc tem có dấu hiệu bị bóc, "
            "hãy báo cho văn phòng chương trình OCOP.",
            "If the code is not found, is flagged as copied, or the label looks tampered "
            "with, tell the OCOP programme office.",
        ),
        # Report a suspected fake.
        "report_link": ("Báo cáo nghi ngờ hàng giả", "Report a suspected fake"),
        "report_title": ("Báo cáo nghi ngờ hàng giả", "Report a suspected fake"),
        "report_intro": (
            "Thông tin của bạn được gửi đến văn phòng chương trình OCOP để xem xét.",
            "Your report goes to the OCOP programme office for review.",
        ),
        "report_code": ("Mã sản phẩm", "Product code"),
        "report_reason": ("Lý do", "Reason"),
        "report_r_not_found": ("Mã không có trong hệ thống", "The code is not in the system"),
        "report_r_copied": ("Cảnh báo mã bị sao chép", "The code is flagged as copied"),
        "report_r_label": ("Tem bị bóc, sửa hoặc in mờ", "The label is torn, altered or blurred"),
        "report_r_product": (
            "Sản phẩm khác với thông tin trên trang",
            "The product differs from this page",
        ),
        "report_r_other": ("Lý do khác", "Other"),
        "report_details": ("Mô tả thêm (không bắt buộc)", "More details (optional)"),
        "report_contact": (
            "Số điện thoại hoặc email để liên hệ (không bắt buộc)",
            "Phone or email for a reply (optional)",
        ),
        "report_photo": (
            "Ảnh chụp sản phẩm hoặc tem (không bắt buộc)",
            "A photo of the product or label (optional)",
        ),
        "report_photo_help": (
            "Một ảnh JPEG, PNG hoặc WebP, tối đa {max} MB. Ảnh được lưu lại sau khi xoá thông "
            "tin đi kèm (như vị trí GPS) và chỉ văn phòng chương trình OCOP xem được.",
            "One JPEG, PNG or WebP picture, at most {max} MB. It is kept without its embedded "
            "data (such as the GPS position) and only the OCOP programme office can see it.",
        ),
        "report_send": ("Gửi báo cáo", "Send the report"),
        "report_thanks": ("Cảm ơn bạn đã báo cáo", "Thank you for your report"),
        "report_thanks_text": (
            "Văn phòng chương trình OCOP sẽ xem xét báo cáo của bạn.",
            "The OCOP programme office will look into it.",
        ),
        "too_many_reports": ("Bạn đã gửi nhiều báo cáo", "You have sent many reports"),
        "too_many_reports_help": (
            {"other": "Cảm ơn bạn. Bạn có thể gửi báo cáo tiếp theo sau {count} phút."},
            {
                "one": "Thank you. You can send another report in {count} minute.",
                "other": "Thank you. You can send another report in {count} minutes.",
            },
        ),
        "report_back": ("Quay lại sản phẩm", "Back to the product"),
        "report_home": ("Về trang chủ", "Home"),
        "report_errors": ("Vui lòng sửa các mục sau", "Please correct the following"),
        "report_e_code": ("Mã sản phẩm không hợp lệ.", "The product code is invalid."),
        "report_e_reason": ("Hãy chọn một lý do.", "Please choose a reason."),
        "report_e_details": (
            "Mô tả quá dài (tối đa {max} ký tự).",
            "The details are too long (at most {max} characters).",
        ),
        "report_e_contact": (
            "Thông tin liên hệ quá dài (tối đa {max} ký tự).",
            "The contact is too long (at most {max} characters).",
        ),
        "report_e_photo_too_large": (
            "Ảnh quá lớn: tối đa {max} MB. Hãy chọn ảnh nhỏ hơn hoặc chụp lại.",
            "The photo is too large: at most {max} MB. Choose a smaller one or take it again.",
        ),
        "report_e_photo_not_an_image": (
            "Tệp đính kèm không phải là ảnh JPEG, PNG hoặc WebP.",
            "The attached file is not a JPEG, PNG or WebP picture.",
        ),
        "report_e_photo_too_many_pixels": (
            "Ảnh có quá nhiều điểm ảnh. Hãy chọn ảnh nhỏ hơn.",
            "The picture has too many pixels. Choose a smaller one.",
        ),
        "report_e_photo_damaged_image": (
            "Không đọc được ảnh (tệp bị hỏng hoặc thiếu).",
            "The picture cannot be read (the file is damaged or incomplete).",
        ),
        "report_e_photo_animated_image": (
            "Ảnh động không được nhận. Hãy gửi một ảnh tĩnh.",
            "Animated pictures are not taken. Send a single picture.",
        ),
        "report_e_photo_invalid": ("Không nhận được ảnh này.", "This picture cannot be taken."),
        "report_e_photo_again": (
            "Vì lý do bảo mật, trình duyệt không giữ ảnh đã chọn: hãy chọn lại ảnh.",
            "For your safety the browser does not keep the chosen photo: choose it again.",
        ),
        "report_e_origin": (
            "Yêu cầu không hợp lệ. Vui lòng mở lại trang và thử lại.",
            "Invalid request. Please reload the page and try again.",
        ),
    }
)
