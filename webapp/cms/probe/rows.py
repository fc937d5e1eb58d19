"""What each probe row says: the assumption in words and the contract operation it checks."""

from __future__ import annotations

from typing import Any

CLAIMS_TEXT = "{kind} token is a JWT with iss, aud, typ, jti, exp, iat, sub"
PAGINATION_TEXT = "pagination wrapper {items, page, limit, total, totalPages}"
BAD_TOKEN_TEXT = "a bad x-user-token answers 401 with an error code"  # noqa: S105 - a label
UNKNOWN_ROUTE_TEXT = "an unknown route answers 404 7010"
ENVELOPE_TEXT = "answers use the envelope {success, message?, data?, errors?}"
CODES_TEXT = 'error codes are strings "7000"-"8099"'

SIGN_IN_ROWS: list[tuple[str, str, str]] = [
    ("app-login", "#1 app login answers a token pair", "appLogin"),
    ("app-token-expiry", "app token answer carries expirationToken, expirationRefreshToken", "appLogin"),
    ("user-login", "#3 user login answers {id, accessToken, refreshToken, email, name}", "userLogin"),
    ("user-login-otp", "user login answer carries otpRequired", "userLogin"),
    ("otp-request", "#5 OTP request (purpose login) answers expiresIn", "requestOtp"),
    ("otp-verify", "#6 OTP verify {email, otp, purpose} answers a token pair", "verifyOtp"),
]

ROW_TEXT: dict[str, tuple[str, str]] = {
    "current-operator": ("current operator exists, shape as in the contract", "getCurrentOperator"),
    "partners-list": ("partners list exists, shape as in the contract", "listPartners"),
    "modules": ("#8 modules: shape as in the contract", "listModules"),
    "permissions": ("#7 own permissions on each partner: shape as in the contract", "getUserPermissions"),
    "partner-detail": ("partner detail exists, shape as in the contract", "getPartner"),
    "balance": ("#10 balance: shape as in the contract", "getBalance"),
    "cardholders": ("#11 cardholders first page: shape as in the contract", "listCardholders"),
    "process-requests": ("#18 process requests first page: shape as in the contract", "listProcessRequests"),
    "process-request-list": (
        "#19 process requests (all): shape as in the contract",
        "listAllProcessRequests",
    ),
    "cms-users": ("CMS users list exists, shape as in the contract", "listCmsUsers"),
    "cardholder-cards": ("a cardholder's cards exist as a route", "listCardholderCards"),
    "partner-cards": ("partner cards exist, shape as in the contract", "listPartnerCards"),
    "batch-status": ("batch status exists as a route", "getBatch"),
    "process-request-detail": ("process-request detail exists as a route", "getProcessRequest"),
    "cardholder-detail": ("#13 cardholder detail without OTP: shape as in the contract", "getCardholder"),
    "progress": ("#16 progress frames: shape as in the contract", "streamBatchProgress"),
}
READ_ROWS: list[tuple[str, str, str]] = [(k, t, o) for k, (t, o) in ROW_TEXT.items()]
# key order in READ_ROWS: the first four need no partner, the rest do (see _reads).
assert [k for k, _, _ in READ_ROWS[:4]] == ["current-operator", "partners-list", "modules", "permissions"]

WRITE_ROWS: list[tuple[str, str, str, str, Any]] = [
    (
        "cms-user-changes",
        "CMS-user changes exist as a route",
        "updateCmsUser",
        "/app/partners/{pid}/users/{id}",
        {},
    ),
    (
        "permission-grants",
        "permission grants exist as a route",
        "grantPermissions",
        "/app/users/{id}/permissions",
        {"permissions": []},
    ),
    (
        "cardholder-changes",
        "cardholder changes exist as a route",
        "updateCardholder",
        "/app/partners/{pid}/cardholders/{id}",
        {},
    ),
    (
        "card-actions",
        "card actions exist as a route",
        "unblockCard",
        "/app/partners/{pid}/cards/{id}/unblock",
        None,
    ),
    (
        "process-request-decisions",
        "process-request decisions exist as a route",
        "cancelProcessRequest",
        "/app/partners/{pid}/process-requests/{id}/cancel",
        {},
    ),
]
