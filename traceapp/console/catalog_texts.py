"""Vietnamese (first) and English texts of the catalogue pages: products, places, batches."""

from __future__ import annotations

from traceapp.i18n import Texts

CATALOG_TEXTS = Texts(
    {
        "nav_products": ("Sản phẩm", "Products"),
        "nav_places": ("Địa điểm", "Places"),
        "nav_batches": ("Lô hàng", "Batches"),
        # Products
        "products_title": ("Sản phẩm", "Products"),
        "products_none": ("Chưa có sản phẩm nào.", "No products yet."),
        "product_new": ("Thêm sản phẩm", "Add a product"),
        "product_edit": ("Sửa sản phẩm", "Edit the product"),
        "back_to_product": ("Về trang sản phẩm", "Back to the product"),
        "product": ("Sản phẩm", "Product"),
        "name_vi": ("Tên tiếng Việt", "Name in Vietnamese"),
        "name_en": ("Tên tiếng Anh (không bắt buộc)", "Name in English (optional)"),
        "group": ("Nhóm sản phẩm OCOP", "OCOP product group"),
        "group_food": ("Thực phẩm", "Food"),
        "group_drinks": ("Đồ uống", "Drinks"),
        "group_herbal": ("Thảo dược", "Herbal products"),
        "group_textiles_garments": ("Vải và may mặc", "Textiles and garments"),
        "group_souvenirs_furnishing_decoration": (
            "Lưu niệm, nội thất, trang trí",
            "Souvenirs, furnishing, decoration",
        ),
        "group_community_tourism_services": (
            "Dịch vụ du lịch cộng đồng",
            "Community tourism services",
        ),
        "description": ("Mô tả", "Description"),
        "standards": ("Tiêu chuẩn áp dụng", "Standards applied"),
        "standards_help": (
            "Cách nhau bằng dấu phẩy, ví dụ: TCVN 3218:2012, VietGAP",
            "Separated by commas, e.g. TCVN 3218:2012, VietGAP",
        ),
        "gtin_help": (
            "Nhập 12 chữ số đầu của mã GTIN-13 (trang sẽ tính chữ số kiểm tra), hoặc cả mã 13/14 chữ số.",
            "Type the first 12 digits of the GTIN-13 (the page computes the check digit), or the whole 13/14-digit code.",
        ),
        "gtin_check": ("Kiểm tra mã GTIN", "Check the GTIN"),
        "gtin_fixed": ("Mã GTIN của sản phẩm không đổi được.", "A product's GTIN cannot change."),
        "gtin_completed": (
            "{kind} đầy đủ: {gtin}. Chữ số kiểm tra là {check}: nhân các chữ số xen kẽ 3 và 1 từ phải sang được tổng {sum}, thêm {check} thì tròn chục.",
            "Full {kind}: {gtin}. The check digit is {check}: the digits weighted 3 and 1 alternately from the right sum to {sum}; adding {check} makes a multiple of ten.",
        ),
        "gtin_ok": (
            "{kind} {gtin}: chữ số kiểm tra {check} đúng.",
            "{kind} {gtin}: the check digit {check} is right.",
        ),
        "gtin_wrong": (
            "Mã {kind} bị gõ nhầm: chữ số kiểm tra phải là {expected}, không phải {typed}.",
            "This {kind} is mistyped: the check digit should be {expected}, not {typed}.",
        ),
        "gtin_wrong_or_body": (
            "Mã {kind} bị gõ nhầm: chữ số kiểm tra phải là {expected}, không phải {typed}. Nếu đây là 13 chữ số đầu của GTIN-14, mã đầy đủ là {gtin14}.",
            "This {kind} is mistyped: the check digit should be {expected}, not {typed}. If these are the first 13 digits of a GTIN-14, the full code is {gtin14}.",
        ),
        "gtin_not_digits": ("Mã GTIN chỉ gồm chữ số 0-9.", "A GTIN has digits 0-9 only."),
        "gtin_zero": ("Mã GTIN không thể toàn số 0.", "A GTIN cannot be all zeros."),
        "gtin_length": (
            {"other": "Hãy nhập 12, 13 hoặc 14 chữ số; đã nhập {count}."},
            {
                "one": "Type 12, 13 or 14 digits; this is {count}.",
                "other": "Type 12, 13 or 14 digits; these are {count}.",
            },
        ),
        "photo": ("Ảnh sản phẩm", "Product photo"),
        "photo_choose": ("Chọn hoặc chụp ảnh", "Choose or take a photo"),
        "photo_help": (
            "JPEG, PNG hoặc WebP, tối đa 10 MB. Thông tin vị trí trong ảnh sẽ bị xoá.",
            "JPEG, PNG or WebP, at most 10 MB. Location data in the photo is removed.",
        ),
        "photo_upload": ("Tải ảnh lên", "Upload the photo"),
        "certificates": ("Chứng nhận", "Certificates"),
        "certificates_help": (
            "Do văn phòng chương trình OCOP cấp; chỉ để xem.",
            "Granted by the OCOP programme office; shown read-only.",
        ),
        "certificates_none": ("Chưa có chứng nhận.", "No certificates yet."),
        "cert_dates": ("cấp {start}, hiệu lực đến {end}", "issued {start}, valid until {end}"),
        "cert_revoked": ("đã thu hồi", "revoked"),
        # Places
        "places_title": ("Địa điểm", "Places"),
        "places_none": ("Chưa có địa điểm nào.", "No places yet."),
        "place_new": ("Thêm địa điểm", "Add a place"),
        "place_name": ("Tên địa điểm", "Name of the place"),
        "place_edit": ("Sửa địa điểm", "Edit the place"),
        "place_fixed": (
            "Mã nội bộ và mã GLN không đổi được: các sự kiện đã ghi gọi địa điểm bằng các mã này.",
            "The internal code and the GLN cannot change: recorded events name the place by them.",
        ),
        "geo_clear_help": (
            "Để trống cả hai ô để xóa vị trí.",
            "Leave both empty to remove the position.",
        ),
        "place_kind": ("Loại địa điểm", "Kind of place"),
        "place_code": ("Mã nội bộ", "Internal code"),
        "place_code_help": (
            "Mã ngắn do cơ sở tự đặt, ví dụ VUON-1.",
            "A short code of your own, e.g. FARM-1.",
        ),
        "gln_help": (
            "Mã địa điểm toàn cầu GS1 (13 chữ số), nếu có.",
            "The GS1 Global Location Number (13 digits), if any.",
        ),
        "kind_farm": ("Vùng trồng, trang trại", "Farm"),
        "kind_facility": ("Xưởng sản xuất", "Workshop"),
        "kind_warehouse": ("Kho", "Warehouse"),
        "kind_shop": ("Cửa hàng", "Shop"),
        "kind_other": ("Khác", "Other"),
        "province": ("Tỉnh/thành phố", "Province"),
        "commune": ("Xã/phường", "Commune"),
        "street": ("Thôn, số nhà, đường", "Village, street"),
        "geo_title": ("Vị trí GPS (không bắt buộc)", "GPS position (optional)"),
        "geo_help": (
            "Đứng tại địa điểm và bấm nút để lấy vị trí từ điện thoại, hoặc tự nhập độ.",
            "Stand at the place and press the button to take the phone's position, or type the degrees.",
        ),
        "geo_button": ("Lấy vị trí của điện thoại", "Use the phone's position"),
        "geo_waiting": ("Đang lấy vị trí…", "Finding the position…"),
        "geo_done": (
            "Đã lấy vị trí (sai số khoảng {metres} m).",
            "Position taken (within about {metres} m).",
        ),
        "geo_denied": (
            "Điện thoại không cho phép lấy vị trí. Hãy tự nhập độ.",
            "The phone does not allow its position to be read. Type the degrees instead.",
        ),
        "geo_failed": (
            "Không lấy được vị trí. Hãy thử lại hoặc tự nhập độ.",
            "The position could not be found. Try again, or type the degrees.",
        ),
        "latitude": ("Vĩ độ", "Latitude"),
        "longitude": ("Kinh độ", "Longitude"),
        "err_invalid_latitude": (
            "Vĩ độ là một số từ -90 đến 90, ví dụ 22.123456, đi cùng kinh độ.",
            "A latitude is a number from -90 to 90, e.g. 22.123456, given with the longitude.",
        ),
        "err_invalid_longitude": (
            "Kinh độ là một số từ -180 đến 180, ví dụ 104.123456, đi cùng vĩ độ.",
            "A longitude is a number from -180 to 180, e.g. 104.123456, given with the latitude.",
        ),
        # Batches
        "batches_title": ("Lô hàng", "Batches"),
        "batches_none": ("Chưa có lô hàng nào.", "No batches yet."),
        "batch_new": ("Tạo lô hàng", "Create a batch"),
        "batch_needs_product": (
            "Hãy thêm sản phẩm trước khi tạo lô.",
            "Add a product before creating a batch.",
        ),
        "lot": ("Lô", "Lot"),
        "lot_help": (
            "Tối đa 20 ký tự: chữ không dấu, số và - . / _",
            "At most 20 characters: letters, digits and - . / _",
        ),
        "quantity": ("Số lượng", "Quantity"),
        "unit": ("Đơn vị", "Unit"),
        "production_date": ("Ngày sản xuất", "Production date"),
        "expiry_date": ("Hạn sử dụng", "Expiry date"),
        "origin": ("Nơi sản xuất", "Where it was produced"),
        "origin_none": ("(không ghi)", "(not given)"),
        "produced_on": ("sản xuất {date}", "produced {date}"),
        "expires_on": ("hạn {date}", "expires {date}"),
        "batch_open": ("đang lưu hành", "open"),
        "batch_closed": ("hết hạn hoặc đã thu hồi", "expired or recalled"),
        "batch_recalled": ("Lô này đã bị thu hồi.", "This batch is recalled."),
        "items_title": ("Tem đã phát hành", "Items issued"),
        "items_count": (
            {"other": "{count} tem đã phát hành."},
            {"one": "{count} item issued.", "other": "{count} items issued."},
        ),
        "item_active": ("đang lưu hành", "active"),
        "item_sold": ("đã bán", "sold"),
        "item_recalled": ("đã thu hồi", "recalled"),
        "item_destroyed": ("đã tiêu huỷ", "destroyed"),
        "item_claimed": ("đã kích hoạt", "claimed"),
        "events_title": ("Sự kiện", "Events"),
        "event_error": ("đã khai báo nhầm", "declared an error"),
        # Refusals of the catalogue's forms
        "err_required": ("Hãy điền mục này.", "Please fill this in."),
        "err_too_long": ("Quá dài.", "Too long."),
        "err_date": ("Hãy chọn ngày.", "Please choose a date."),
        "err_number": ("Hãy nhập một số không âm.", "Please enter a number, not negative."),
        "err_already_exists_gtin": (
            "Mã GTIN này đã được đăng ký.",
            "This GTIN is already registered.",
        ),
        "err_already_exists_code": (
            "Cơ sở đã có địa điểm với mã này.",
            "You already have a place with this code.",
        ),
        "err_already_exists_gln": (
            "Đã có địa điểm với mã GLN này.",
            "A place with this GLN exists.",
        ),
        "err_already_exists_lot": (
            "Sản phẩm này đã có lô với mã này.",
            "This product already has a batch with this lot code.",
        ),
        "err_invalid_check_digit_gln": (
            "Mã GLN bị gõ nhầm: chữ số kiểm tra không đúng.",
            "This GLN is mistyped: its check digit is wrong.",
        ),
        "err_invalid_length_gln": ("Mã GLN có 13 chữ số.", "A GLN has 13 digits."),
        "err_invalid_not_digits_gln": ("Mã GLN chỉ gồm chữ số.", "A GLN has digits only."),
        "err_invalid_charset": (
            "Chỉ dùng chữ không dấu, số và - . / _",
            "Use only letters without accents, digits and - . / _",
        ),
        "err_invalid_too_long": ("Tối đa 20 ký tự.", "At most 20 characters."),
        "err_invalid_empty": ("Hãy điền mục này.", "Please fill this in."),
        "err_invalid_expiryDate": (
            "Hạn sử dụng không được trước ngày sản xuất.",
            "The expiry date must not be before the production date.",
        ),
        "err_invalid_unit": (
            "Hãy ghi đơn vị cho số lượng.",
            "Please give the unit of the quantity.",
        ),
        "err_invalid_changes": ("Không có gì thay đổi.", "Nothing was changed."),
        "err_not_found_product": ("Hãy chọn sản phẩm.", "Please choose the product."),
        "err_not_found_originLocation": ("Hãy chọn địa điểm.", "Please choose the place."),
        "err_forbidden_originLocation": (
            "Hãy chọn một địa điểm của cơ sở.",
            "Please choose one of your places.",
        ),
        "err_not_an_image": (
            "Tệp này không phải ảnh JPEG, PNG hay WebP.",
            "This file is not a JPEG, PNG or WebP image.",
        ),
        "err_too_large": ("Ảnh quá lớn (tối đa 10 MB).", "The photo is too large (10 MB at most)."),
        "err_too_many_pixels": (
            "Ảnh có quá nhiều điểm ảnh.",
            "The photo has too many pixels.",
        ),
        "err_damaged_image": (
            "Ảnh bị hỏng, không đọc được.",
            "The photo is damaged and cannot be read.",
        ),
        "err_animated_image": ("Không nhận ảnh động.", "Animated images are not taken."),
    }
)
