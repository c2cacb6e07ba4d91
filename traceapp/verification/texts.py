"""Vietnamese (default) and English texts of the consumer page, warnings and clone signals."""

from __future__ import annotations

from traceapp.i18n import LANGUAGES, Texts
from traceapp.verification.page_texts import PAGE_TEXTS
from traceapp.verification.story_texts import STORY_TEXTS

__all__ = ["LANGUAGES", "TEXTS", "text"]

TEXTS = (
    Texts(
        {
            # (vi, en); {name} placeholders come from Notice.params.
            "site": ("Truy xuất nguồn gốc OCOP", "OCOP traceability"),
            "switch": ("English", "Tiếng Việt"),
            "verified_all": ("Đã xác minh bằng chứng mật mã", "Cryptographically verified"),
            "verified_fail": ("KHÔNG xác minh được bằng chứng", "Proof verification FAILED"),
            "product": ("Sản phẩm", "Product"),
            "image": ("Hình ảnh", "Image"),
            "producer": ("Chủ thể sản xuất", "Producer"),
            "address": ("Địa chỉ", "Address"),
            "address_recorded": ("ghi nhận ngày {date}", "as recorded on {date}"),
            "group": ("Nhóm sản phẩm", "Product group"),
            "description": ("Mô tả", "Description"),
            "standards": ("Tiêu chuẩn áp dụng", "Applied standards"),
            "ocop": ("Xếp hạng OCOP", "OCOP rating"),
            "stars": ("{n} sao", "{n} stars"),
            "certificates": ("Chứng nhận", "Certificates"),
            "issuer": ("Cơ quan cấp", "Issued by"),
            "decision": ("Quyết định số", "Decision no."),
            "issued_on": ("Ngày cấp", "Issued on"),
            "valid_until": ("Hiệu lực đến", "Valid until"),
            "status_valid": ("Còn hiệu lực", "Valid"),
            "status_expired": ("Đã hết hiệu lực", "Expired"),
            "status_revoked": ("Đã bị thu hồi", "Revoked"),
            "status_not_yet_valid": ("Chưa có hiệu lực", "Not yet valid"),
            "level_district": ("cấp huyện", "district level"),
            "level_province": ("cấp tỉnh", "provincial level"),
            "level_national": ("cấp quốc gia", "national level"),
            "batch": ("Lô sản xuất", "Batch"),
            "lot": ("Số lô", "Lot"),
            "production_date": ("Ngày sản xuất", "Production date"),
            "expiry_date": ("Hạn sử dụng", "Expiry date"),
            "quantity": ("Sản lượng lô", "Batch quantity"),
            "origin": ("Vùng nguyên liệu", "Origin"),
            "trace_code": ("Mã truy xuất", "Traceability code"),
            "serial": ("Số sê-ri", "Serial number"),
            "item_status": ("Trạng thái", "Status"),
            "journey": ("Hành trình sản phẩm", "Journey"),
            "no_journey": ("Chưa có sự kiện nào được ghi nhận.", "No events recorded yet."),
            "at": ("tại", "at"),
            "to": ("đến", "to"),
            "corrected": ("Đã được đính chính", "Corrected"),
            "warnings": ("Cảnh báo", "Warnings"),
            "scans": ("Lượt kiểm tra", "Checks"),
            "scans_summary": (
                "Mã này đã được kiểm tra {checks} từ {places}, lần đầu ngày {date}.",
                "This code has been checked {checks} from {places}, first on {date}.",
            ),
            # Counted phrases: the notices' and the summary's numbers (CLDR plurals).
            "n_times": (
                {"other": "{count} lần"},
                {"one": "{count} time", "other": "{count} times"},
            ),
            "n_places": (
                {"other": "{count} nơi"},
                {"one": "{count} place", "other": "{count} different places"},
            ),
            "n_other_places": (
                {"other": "{count} nơi khác"},
                {"one": "{count} other place", "other": "{count} other places"},
            ),
            "n_days": ({"other": "{count} ngày"}, {"one": "{count} day", "other": "{count} days"}),
            "n_checks": (
                {"other": "{count} lượt kiểm tra"},
                {"one": "{count} check", "other": "{count} checks"},
            ),
            "clone_none": (
                "Không thấy dấu hiệu mã bị sao chép.",
                "No sign that this code was copied.",
            ),
            "clone_caution": ("Cần lưu ý", "Caution"),
            "clone_suspicious": ("Nghi ngờ mã bị sao chép", "This code may have been copied"),
            "proofs": ("Bằng chứng trên sổ cái", "Ledger proofs"),
            "proofs_intro": (
                "Mỗi thông tin trên trang được đối chiếu với điểm kiểm tra mới nhất của sổ cái "
                "(kích thước {size}), đã ký bằng khóa của sổ cái.",
                "Each fact on this page is checked against the ledger's latest checkpoint (size {size}), "
                "signed with the log key.",
            ),
            "entry": ("Mục số", "Entry"),
            "ok": ("hợp lệ", "verified"),
            "failed": ("KHÔNG hợp lệ", "FAILED"),
            "download_bundle": ("Tải gói bằng chứng (JSON)", "Download the proof bundle (JSON)"),
            "claim": ("Kích hoạt bảo hành / xác nhận mua", "Claim this item"),
            "claim_help": (
                "Cào lớp phủ trên tem để lấy mã PIN 8 số, rồi nhập vào đây.",
                "Scratch the label to reveal the 8-digit PIN and enter it here.",
            ),
            "pin": ("Mã PIN", "PIN"),
            "submit": ("Xác nhận", "Submit"),
            "claim_claimed": (
                "Cảm ơn bạn! Sản phẩm đã được xác nhận là của bạn.",
                "Thank you! This item is now registered as claimed.",
            ),
            "claim_wrong_pin": (
                "Mã PIN không đúng. Còn {left} lần thử trước khi bị khóa.",
                "Wrong PIN. {left} attempts left before the item is locked.",
            ),
            "claim_locked": (
                "Quá nhiều lần nhập sai. Vui lòng thử lại sau {minutes} phút.",
                "Too many wrong PINs. Please try again in {minutes} minutes.",
            ),
            "claim_already_claimed": (
                "Sản phẩm này đã được xác nhận trước đó.",
                "This item was already claimed.",
            ),
            "claim_no_pin": ("Sản phẩm này không có mã PIN.", "This item has no PIN."),
            "claim_not_claimable": (
                "Sản phẩm này không thể xác nhận (đã thu hồi hoặc tiêu hủy).",
                "This item cannot be claimed (recalled or destroyed).",
            ),
            "claim_bad_origin": (
                "Yêu cầu không hợp lệ. Vui lòng mở lại trang và thử lại.",
                "Invalid request. Please reload the page and try again.",
            ),
            "rate_limited": (
                "Quá nhiều yêu cầu. Vui lòng thử lại sau {seconds} giây.",
                "Too many requests. Please try again in {seconds} seconds.",
            ),
            "too_many": ("Bạn kiểm tra quá nhiều lần", "Too many checks"),
            "too_many_help": (
                {"other": "Để bảo vệ hệ thống, vui lòng đợi {count} giây rồi thử lại."},
                {
                    "one": "To protect the service, please wait {count} second and try again.",
                    "other": "To protect the service, please wait {count} seconds and try again.",
                },
            ),
            "bad_code": ("Mã không hợp lệ", "Invalid code"),
            "bad_code_help": (
                "Đường dẫn này không phải là mã truy xuất hợp lệ. Hãy quét lại mã QR trên tem.",
                "This link is not a valid traceability code. Please scan the QR code again.",
            ),
            "bad_gtin": ("Mã sản phẩm (GTIN) không hợp lệ.", "The product code (GTIN) is invalid."),
            "bad_lot": ("Số lô không hợp lệ.", "The lot code is invalid."),
            "bad_serial": ("Số sê-ri không hợp lệ.", "The serial number is invalid."),
            "bad_expiry": ("Hạn sử dụng (17) không hợp lệ.", "The expiry date (17) is invalid."),
            "bad_path": ("Cấu trúc đường dẫn không đúng.", "The link's structure is wrong."),
            "bad_query": ("Tham số sau dấu '?' không đúng.", "A parameter after '?' is wrong."),
            "not_found": ("Không tìm thấy", "Not found"),
            "not_found_help": (
                "Mã này không có trong hệ thống truy xuất OCOP. Sản phẩm có thể là hàng giả.",
                "This code is not in the OCOP traceability system. The product may be counterfeit.",
            ),
            "details": ("Chi tiết", "Details"),
            # Item statuses.
            "item_active": ("Đang lưu hành", "In circulation"),
            "item_sold": ("Đã bán", "Sold"),
            "item_recalled": ("Đã bị thu hồi", "Recalled"),
            "item_destroyed": ("Đã tiêu hủy", "Destroyed"),
            "item_claimed": ("Đã được người mua xác nhận", "Claimed by a buyer"),
            # Warnings.
            "w_projection_mismatch": (
                "Dữ liệu của trang này không khớp với sổ cái ({subjects}): cơ sở dữ liệu có thể đã bị "
                "sửa. Chưa thể tin các thông tin này; hãy báo cho đơn vị quản lý.",
                "What this page shows does not match the ledger ({subjects}): the database may have "
                "been altered. Do not rely on it; please tell the programme office.",
            ),
            "w_recalled": (
                "THU HỒI ({severity}) từ ngày {date}: {reason}. Không sử dụng sản phẩm này.",
                "RECALLED ({severity}) since {date}: {reason}. Do not use this product.",
            ),
            "w_destroyed": (
                "Sản phẩm mang mã này đã được ghi nhận là tiêu hủy: có thể là hàng giả.",
                "The item with this code was recorded as destroyed: this may be a counterfeit.",
            ),
            "w_claimed": (
                "Mã này đã được một người mua kích hoạt. Nếu bạn vừa mua sản phẩm còn nguyên tem, "
                "hãy cẩn thận: mã có thể bị sao chép.",
                "This code was already claimed by a buyer. If you just bought it with an intact "
                "label, be careful: the code may have been copied.",
            ),
            "w_expired": (
                "Sản phẩm đã hết hạn sử dụng ({date}).",
                "This product expired on {date}.",
            ),
            "w_expires_soon": (
                "Sản phẩm sắp hết hạn: còn {days} (hạn {date}).",
                "Expires soon: {days} left ({date}).",
            ),
            "w_expiry_mismatch": (
                "Hạn sử dụng trên tem ({printed}) khác với hồ sơ ({recorded}).",
                "The expiry printed on the label ({printed}) differs from the record ({recorded}).",
            ),
            "w_no_ocop": (
                "Sản phẩm chưa có xếp hạng OCOP được ghi nhận.",
                "No OCOP rating is recorded for this product.",
            ),
            "w_ocop_expired": (
                "Chứng nhận OCOP đã hết hiệu lực ngày {date}.",
                "The OCOP certificate expired on {date}.",
            ),
            "w_ocop_revoked": (
                "Chứng nhận OCOP đã bị thu hồi.",
                "The OCOP certificate was revoked.",
            ),
            "w_producer_suspended": (
                "Văn phòng chương trình OCOP đã tạm dừng chủ thể sản xuất này từ ngày {date}: "
                "{reason}.",
                "The OCOP programme office suspended this producer on {date}: {reason}.",
            ),
            "w_clone_many_checks": (
                "Mã này đã được kiểm tra {count} từ {clients}: nhiều hơn bình thường.",
                "This code was checked {count} from {clients}: more than usual.",
            ),
            "w_clone_after_sold": (
                "Mã vẫn được kiểm tra ở {others} sau khi sản phẩm đã bán.",
                "The code was checked from {others} after the item was sold.",
            ),
            "w_clone_after_claimed": (
                "Mã vẫn được kiểm tra ở {others} sau khi người mua đã kích hoạt.",
                "The code was checked from {others} after a buyer claimed it.",
            ),
            "w_clone_burst": (
                "Có từ {checks} trở lên trong 10 phút, từ nhiều nơi khác nhau.",
                "{checks} or more within 10 minutes, from different places.",
            ),
            "w_clone_status_destroyed": (
                "Sản phẩm mang mã này đã bị tiêu hủy, nhưng mã vẫn đang được quét.",
                "The item with this code was destroyed, yet the code is still being scanned.",
            ),
            # Product groups.
            "g_food": ("Thực phẩm", "Food"),
            "g_drinks": ("Đồ uống", "Drinks"),
            "g_herbal": ("Thảo dược", "Herbal products"),
            "g_textiles_garments": ("Vải và may mặc", "Textiles and garments"),
            "g_souvenirs_furnishing_decoration": (
                "Lưu niệm, nội thất, trang trí",
                "Souvenirs, furnishing, decoration",
            ),
            "g_community_tourism_services": (
                "Dịch vụ du lịch cộng đồng",
                "Community tourism services",
            ),
            # Producer kinds.
            "k_enterprise": ("Doanh nghiệp", "Enterprise"),
            "k_cooperative": ("Hợp tác xã", "Cooperative"),
            "k_household_business": ("Hộ kinh doanh", "Household business"),
            # CBV business steps (short names).
            "s_harvesting": ("Thu hoạch", "Harvesting"),
            "s_packing": ("Đóng gói", "Packing"),
            "s_shipping": ("Vận chuyển", "Shipping"),
            "s_receiving": ("Nhận hàng", "Receiving"),
            "s_storing": ("Lưu kho", "Storing"),
            "s_commissioning": ("Khởi tạo mã", "Commissioning"),
            "s_inspecting": ("Kiểm tra chất lượng", "Inspection"),
            "s_retail_selling": ("Bán lẻ", "Retail sale"),
            "s_transforming": ("Chế biến", "Processing"),
            "s_creating_class_instance": ("Sản xuất", "Production"),
            "s_labelling": ("Dán nhãn", "Labelling"),
            "s_destroying": ("Tiêu hủy", "Destruction"),
            "s_recalling": ("Thu hồi", "Recall"),
            "s_event": ("Sự kiện", "Event"),
            # CBV error declaration reasons.
            "r_incorrect_data": ("dữ liệu ghi sai", "incorrect data"),
            "r_did_not_occur": ("sự kiện không xảy ra", "the event did not occur"),
            # Proof subjects.
            "p_producer": ("Đăng ký chủ thể", "Producer registration"),
            "p_producer_update": ("Cập nhật chủ thể", "Producer update"),
            "p_product": ("Đăng ký sản phẩm", "Product registration"),
            "p_product_update": ("Cập nhật sản phẩm", "Product update"),
            "p_certification": ("Cấp chứng nhận", "Certification"),
            "p_certification_revoked": ("Thu hồi chứng nhận", "Certificate revocation"),
            "p_batch": ("Tạo lô", "Batch creation"),
            "p_items_issued": ("Phát hành mã sản phẩm", "Items issued"),
            "p_item_status": ("Trạng thái sản phẩm", "Item status"),
            "p_event": ("Sự kiện", "Event"),
            "p_event_correction": ("Đính chính sự kiện", "Event correction"),
            "p_location": ("Địa điểm", "Location"),
            "p_location_update": ("Cập nhật địa điểm", "Location update"),
            "p_recall": ("Thu hồi lô", "Recall"),
            "p_producer_suspended": ("Tạm dừng chủ thể", "Producer suspended"),
            # Product photo and producer logo (verify/photo.html, verify/logo.html).
            "p_product_photo": ("Ảnh sản phẩm", "Product photo"),
            "p_producer_logo": ("Logo chủ thể", "Producer logo"),
            "photo_alt": ("Ảnh sản phẩm {name}", "Photo of {name}"),
            "logo_alt": ("Logo của {name}", "Logo of {name}"),
            "photo_on_ledger": (
                "Mã băm SHA-256 của ảnh này được ghi trong sổ cái (mục #{seq}): {sha}",
                "This photo's SHA-256 hash is recorded on the ledger (entry #{seq}): {sha}",
            ),
        }
    )
    .merged(STORY_TEXTS)
    .merged(PAGE_TEXTS)
)


def text(lang: str, key: str, **params: object) -> str:
    """The text in ``lang`` (vi when unknown), NFC-normalised, with ``params`` filled in."""
    return TEXTS(lang, key, **params)
