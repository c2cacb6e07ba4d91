"""Vietnamese (first) and English texts of the console."""

from __future__ import annotations

from traceapp.console.catalog_texts import CATALOG_TEXTS
from traceapp.console.offline_texts import OFFLINE_TEXTS
from traceapp.console.stats_texts import STATS_TEXTS
from traceapp.console.work_texts import WORK_TEXTS
from traceapp.i18n import Texts

TEXTS = (
    Texts(
        {
            "site": ("Sổ truy xuất OCOP", "OCOP trace console"),
            "switch": ("English", "Tiếng Việt"),
            "skip": ("Bỏ qua đến nội dung", "Skip to content"),
            "nav_dashboard": ("Tổng quan", "Overview"),
            "nav_staff": ("Nhân viên", "Staff"),
            "nav_account": ("Tài khoản", "Account"),
            "nav_office": ("Văn phòng", "Office"),
            "sign_out": ("Đăng xuất", "Sign out"),
            # Sign-in
            "login_title": ("Đăng nhập", "Sign in"),
            "login_field": ("Email hoặc số điện thoại", "Email or phone number"),
            "password": ("Mật khẩu", "Password"),
            "login_button": ("Đăng nhập", "Sign in"),
            "signed_out": ("Bạn đã đăng xuất.", "You are signed out."),
            "signin_wrong": (
                "Sai email, số điện thoại hoặc mật khẩu.",
                "Wrong email, phone number or password.",
            ),
            "signin_locked": (
                "Tài khoản tạm khóa do nhập sai mật khẩu nhiều lần. Thử lại sau {minutes} phút.",
                "This account is locked after too many wrong passwords. Try again in {minutes} min.",
            ),
            "signin_client_limit": (
                "Thiết bị này đã đăng nhập sai quá nhiều lần. Thử lại sau {minutes} phút.",
                "Too many failed sign-ins from this device. Try again in {minutes} min.",
            ),
            "signin_suspended": (
                "Tài khoản đã bị tạm dừng. Hãy liên hệ văn phòng chương trình OCOP.",
                "This account is suspended. Please contact the OCOP programme office.",
            ),
            # Invitation
            "accept_title": ("Nhận lời mời", "Accept the invitation"),
            "accept_intro": (
                "Bạn được mời làm {role} của {producer}. Tạo tài khoản để bắt đầu.",
                "You are invited as {role} of {producer}. Create your account to begin.",
            ),
            "accept_intro_office": (
                "Bạn được mời làm {role}. Tạo tài khoản để bắt đầu.",
                "You are invited as {role}. Create your account to begin.",
            ),
            "name": ("Họ và tên", "Full name"),
            "email": ("Email", "Email"),
            "phone": ("Số điện thoại", "Phone number"),
            "contact_help": (
                "Nhập email hoặc số điện thoại (dùng để đăng nhập). Thông tin cá nhân không ghi lên sổ cái.",
                "Give an email or a phone number (you sign in with it). Personal data never goes on the ledger.",
            ),
            "password_help": (
                "Ít nhất {n} ký tự, không dùng mật khẩu phổ biến.",
                "At least {n} characters, not a common password.",
            ),
            "accept_button": ("Tạo tài khoản", "Create account"),
            "err_not_found_token": (
                "Liên kết mời không hợp lệ: đã dùng hoặc đã hết hạn.",
                "This invitation link is not valid: used or expired.",
            ),
            # Errors of forms
            "err_password_short": (
                "Mật khẩu quá ngắn (ít nhất {n} ký tự).",
                "Password too short (at least {n} characters).",
            ),
            "err_password_long": ("Mật khẩu quá dài.", "Password too long."),
            "err_password_common": (
                "Mật khẩu này quá phổ biến, hãy chọn mật khẩu khác.",
                "This password is too common; choose another.",
            ),
            "err_invalid_email": ("Email không hợp lệ.", "Not a valid email address."),
            "err_invalid_phone": ("Số điện thoại không hợp lệ.", "Not a valid phone number."),
            "err_invalid_login": (
                "Email hoặc số điện thoại không hợp lệ.",
                "Not a valid email or phone number.",
            ),
            "err_invalid_name": ("Hãy nhập họ và tên.", "Please enter your name."),
            "err_already_exists_email": (
                "Đã có tài khoản với email hoặc số điện thoại này.",
                "An account with this email or phone number exists.",
            ),
            "err_invalid_current": (
                "Mật khẩu hiện tại không đúng.",
                "The current password is wrong.",
            ),
            "err_forbidden_role": (
                "Bạn không có quyền mời vai trò này.",
                "You may not invite this role.",
            ),
            "err_not_found_producer": ("Không tìm thấy chủ thể.", "No such producer."),
            "err_invalid_producer": ("Hãy chọn chủ thể.", "Choose the producer."),
            "csrf_title": ("Biểu mẫu đã hết hạn", "The form has expired"),
            "csrf_help": (
                "Hãy tải lại trang và gửi lại biểu mẫu.",
                "Please reload the page and send the form again.",
            ),
            "not_found_title": ("Không tìm thấy trang", "Page not found"),
            "not_found_help": (
                "Trang này không tồn tại hoặc bạn không có quyền xem.",
                "This page does not exist, or is not yours to see.",
            ),
            "back": ("Về trang tổng quan", "Back to the overview"),
            # Roles
            "role_producer_owner": ("chủ cơ sở", "owner"),
            "role_producer_staff": ("nhân viên", "staff member"),
            "role_office_admin": ("quản trị văn phòng", "office administrator"),
            "role_office_staff": ("cán bộ văn phòng", "office staff"),
            "role_auditor": ("kiểm toán viên", "auditor"),
            # Dashboard
            "dashboard_title": ("Tổng quan", "Overview"),
            "hello": ("Xin chào, {name}", "Hello, {name}"),
            "products": ("Sản phẩm", "Products"),
            "open_batches": ("Lô đang lưu hành", "Open batches"),
            "items_issued": ("Tem đã phát hành", "Items issued"),
            "scans_week": ("Lượt quét 7 ngày qua", "Scans in the last 7 days"),
            "recalls": ("Thu hồi", "Recalls"),
            "certs_ending": ("Chứng nhận sắp hết hạn", "Certificates ending soon"),
            "certs_none": (
                "Không có chứng nhận nào hết hạn trong 60 ngày tới.",
                "No certificate ends in the next 60 days.",
            ),
            "cert_until": (
                "{scheme} · {product} · đến {date}",
                "{scheme} · {product} · until {date}",
            ),
            "office_dashboard": (
                "Bạn đăng nhập với vai trò {role}.",
                "You are signed in as {role}.",
            ),
            # Account
            "account_title": ("Tài khoản của tôi", "My account"),
            "change_password": ("Đổi mật khẩu", "Change password"),
            "current_password": ("Mật khẩu hiện tại", "Current password"),
            "new_password": ("Mật khẩu mới", "New password"),
            "save": ("Lưu", "Save"),
            "password_changed": (
                "Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc.",
                "Password changed. Your other sessions have ended.",
            ),
            "language": ("Ngôn ngữ", "Language"),
            "language_auto": ("Theo trình duyệt", "As the browser asks"),
            "language_saved": ("Đã lưu ngôn ngữ.", "Language saved."),
            "sign_out_everywhere": ("Đăng xuất khỏi mọi thiết bị", "Sign out everywhere"),
            "sign_out_everywhere_help": (
                "Kết thúc mọi phiên đăng nhập của bạn, kể cả phiên này.",
                "Ends every session of yours, this one included.",
            ),
            "recent_sign_ins": ("Các lần đăng nhập gần đây", "Recent sign-ins"),
            "sign_in_ok": ("Thành công", "Succeeded"),
            "sign_in_failed": ("Thất bại", "Failed"),
            "device": ("thiết bị {client}", "device {client}"),
            # Passkeys (only with the script; the password always works)
            "passkeys": ("Khóa đăng nhập (passkey)", "Passkeys"),
            "passkeys_count": (
                {"other": "Bạn có {count} khóa đăng nhập."},
                {"one": "You have {count} passkey.", "other": "You have {count} passkeys."},
            ),
            "passkey_add": ("Thêm khóa đăng nhập", "Add a passkey"),
            "passkey_sign_in": ("Đăng nhập bằng khóa đăng nhập", "Sign in with a passkey"),
            "passkey_added": ("Đã thêm khóa đăng nhập.", "Passkey added."),
            "passkey_added_on": ("thêm lúc {date}", "added {date}"),
            "passkey_used_on": ("dùng lần cuối {date}", "last used {date}"),
            "passkey_failed": (
                "Không dùng được khóa đăng nhập. Hãy thử lại hoặc dùng mật khẩu.",
                "The passkey did not work. Try again, or use your password.",
            ),
            "err_invalid_passkey": (
                "Không xác minh được khóa đăng nhập. Hãy thử lại.",
                "The passkey could not be verified. Please try again.",
            ),
            # Staff
            "staff_title": ("Nhân viên", "Staff"),
            "invite_staff": ("Mời nhân viên", "Invite a staff member"),
            "invite_button": ("Tạo liên kết mời", "Create invitation link"),
            "suspended": ("đã tạm dừng", "suspended"),
            "member_since": ("Tham gia {date}", "Joined {date}"),
            "pending": ("Lời mời chưa dùng", "Unused invitations"),
            "expires": ("hết hạn {date}", "expires {date}"),
            "invited_title": ("Liên kết mời", "Invitation link"),
            "invited_help": (
                "Gửi liên kết này (hoặc cho quét mã QR) cho người được mời. Liên kết chỉ dùng được một lần, hết hạn sau 7 ngày, và chỉ hiện một lần này.",
                "Send this link (or let them scan the QR code) to the person invited. It works once, expires in 7 days, and is shown only this once.",
            ),
            "qr_alt": ("Mã QR của liên kết mời", "QR code of the invitation link"),
            "print": ("In trang này để trao tận tay.", "Print this page to hand it over."),
            # Office
            "office_title": ("Văn phòng chương trình", "Programme office"),
            "invite_owner": ("Mời chủ cơ sở", "Invite a producer's owner"),
            "producer": ("Chủ thể", "Producer"),
            "office_only_admin": (
                "Chỉ quản trị văn phòng mới gửi lời mời.",
                "Only an office administrator sends invitations.",
            ),
        }
    )
    .merged(WORK_TEXTS)
    .merged(CATALOG_TEXTS)
    .merged(OFFLINE_TEXTS)
    .merged(STATS_TEXTS)
)
