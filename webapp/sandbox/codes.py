"""The error codes the sandbox answers with: documented ones and the assumed CMS range (ASSUMPTIONS.md §1)."""

from __future__ import annotations

from typing import NamedTuple


class Code(NamedTuple):
    code: str
    status: int
    message: str


CHECK_PARAMETERS = Code("7000", 400, "Check the parameters provided.")
GREATER_THAN_ZERO = Code("7001", 400, "The amount must be greater than zero.")
INVALID_FORMAT_AMOUNT = Code("7002", 400, "Invalid amount format.")
CONSULT_WITH_SUPPORT = Code("7003", 500, "Please contact support for assistance.")
EXTERNAL_ID_ALREADY_EXISTS = Code("7006", 409, "External ID already exists.")
NOT_FOUND = Code("7010", 404, "Not found, verify endpoint")
USER_NOT_FOUND = Code("7100", 404, "User not found in the system.")
CARD_NOT_FOUND = Code("7200", 404, "Card not found in the system.")
INVALID_STATUS_CARD = Code("7213", 409, "The card status does not allow this operation.")

TOKEN_EXPIRED = Code("8000", 401, "TOKEN_EXPIRED")
TOKEN_INVALID = Code("8001", 401, "Invalid or missing token.")
INVALID_CREDENTIALS = Code("8002", 401, "Invalid email or password.")
USER_LOCKED = Code("8003", 403, "The user is temporarily locked.")
USER_INACTIVE = Code("8004", 403, "The user is inactive.")
OTP_REQUIRED = Code("8005", 403, "This operation requires a recent OTP verification.")
OTP_INVALID = Code("8006", 400, "The OTP code is not valid.")
OTP_EXPIRED = Code("8007", 400, "The OTP code has expired or was already used.")
MERCHANT_SIGNATURE_INVALID = Code("8008", 401, "Invalid merchant signature.")
REFRESH_TOKEN_REUSED = Code("8009", 401, "Refresh token already used.")
PARTNER_NOT_ASSIGNED = Code("8010", 403, "FORBIDDEN")
PERMISSION_DENIED = Code("8011", 403, "You do not have permission to perform this action.")
CARDHOLDER_NOT_FOUND = Code("8012", 404, "Cardholder not found.")
DUPLICATE_CARDHOLDER = Code("8013", 409, "A cardholder with this data already exists.")
CARD_NOT_AVAILABLE = Code("8014", 409, "The card is not available.")
INVALID_FILE = Code("8015", 400, "Invalid file.")
FILE_TOO_LARGE = Code("8016", 413, "The file is too large.")
BATCH_NOT_FOUND = Code("8017", 404, "Batch not found.")
PROCESS_REQUEST_NOT_FOUND = Code("8018", 404, "Process request not found.")
SELF_APPROVAL_FORBIDDEN = Code("8019", 403, "You cannot decide on your own request.")
INVALID_STATE = Code("8020", 409, "The current state does not allow this operation.")
RATE_LIMITED = Code("8021", 429, "Too many requests.")
IDEMPOTENCY_CONFLICT = Code("8022", 409, "Idempotency key reused with a different request.")
GRANT_ESCALATION = Code("8023", 403, "You cannot grant a permission you do not hold.")
SELF_PERMISSION_CHANGE = Code("8024", 403, "You cannot change your own permissions.")
EMAIL_TAKEN = Code("8025", 409, "A user with this email already exists.")
SERVICE_UNAVAILABLE = Code("8026", 503, "Service temporarily unavailable.")
UPSTREAM_UNAVAILABLE = Code("8027", 502, "The upstream processor could not be reached.")
UPSTREAM_TIMEOUT = Code("8028", 504, "The upstream processor did not answer in time.")

ALL: tuple[Code, ...] = tuple(v for v in globals().copy().values() if isinstance(v, Code))
