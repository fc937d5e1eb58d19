"""Typed shapes of what the CMS answers, each parsed by a small explicit `from_api(dict)`.

Unknown fields are ignored and unknown enum values are kept as plain strings, so an additive upstream
change never breaks the console; a missing required field or a wrong type raises BadUpstreamResponse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from webapp.cms.errors import ApiErrorItem, BadUpstreamResponse

Json = Mapping[str, Any]

TERMINAL_BATCH_STATUSES = frozenset({"completed", "failed"})


# -- field readers -------------------------------------------------------------------------------------------
def _bad(where: str, key: str, why: str) -> BadUpstreamResponse:
    return BadUpstreamResponse(f"Unexpected upstream data: {where}.{key} {why}")


def as_object(value: Any, where: str) -> Json:
    if not isinstance(value, Mapping):
        raise BadUpstreamResponse(f"Unexpected upstream data: {where} is not an object")
    return value


def as_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise BadUpstreamResponse(f"Unexpected upstream data: {where} is not a list")
    return value


def req_str(d: Json, key: str, where: str) -> str:
    value = d.get(key)
    if not isinstance(value, str):
        raise _bad(where, key, "is missing or not a string")
    return value


def opt_str(d: Json, key: str, where: str) -> str | None:
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(where, key, "is not a string")
    return value


def req_int(d: Json, key: str, where: str) -> int:
    value = d.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(where, key, "is missing or not an integer")
    return value


def opt_int(d: Json, key: str, where: str, default: int | None = None) -> int | None:
    value = d.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(where, key, "is not an integer")
    return value


def opt_bool(d: Json, key: str, where: str, default: bool = False) -> bool:
    value = d.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _bad(where, key, "is not a boolean")
    return value


def to_decimal(value: Any, where: str, key: str) -> Decimal:
    """Money: JSON numbers arrive as Decimal (parse_float=Decimal in the parser); text is accepted."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str | float):
        raise _bad(where, key, "is not a number")
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise _bad(where, key, "is not a number") from None
    if not amount.is_finite():
        raise _bad(where, key, "is not a finite number")
    return amount


def opt_decimal(d: Json, key: str, where: str) -> Decimal | None:
    value = d.get(key)
    return None if value is None else to_decimal(value, where, key)


def parse_timestamp(value: Any, where: str, key: str) -> datetime:
    """ISO 8601 (with `Z` or an offset; naive means UTC) or Unix seconds, always returned timezone-aware."""
    if isinstance(value, bool):
        raise _bad(where, key, "is not a timestamp")
    if isinstance(value, int | float | Decimal):
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise _bad(where, key, "is not a timestamp") from None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
        except ValueError:
            raise _bad(where, key, "is not a timestamp") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise _bad(where, key, "is not a timestamp")


def opt_timestamp(d: Json, key: str, where: str) -> datetime | None:
    value = d.get(key)
    return None if value is None or value == "" else parse_timestamp(value, where, key)


def opt_date(d: Json, key: str, where: str) -> date | None:
    value = d.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _bad(where, key, "is not a date")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise _bad(where, key, "is not a date") from None


def str_list(d: Json, key: str, where: str) -> tuple[str, ...]:
    value = d.get(key)
    if value is None:
        return ()
    items = as_list(value, f"{where}.{key}")
    return tuple(str(item) for item in items if isinstance(item, str | int) and not isinstance(item, bool))


def error_items(value: Any, where: str) -> list[ApiErrorItem]:
    if value is None:
        return []
    out: list[ApiErrorItem] = []
    for raw in as_list(value, where):
        item = as_object(raw, where)
        code = item.get("code")
        out.append(
            ApiErrorItem(
                code=str(code) if code is not None else "",
                message=str(item.get("message") or ""),
                field=item.get("field") if isinstance(item.get("field"), str) else None,
            )
        )
    return out


# -- tokens --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UserTokens:
    """One operator's upstream token pair. Times are Unix seconds, None when the CMS did not say (a token
    without `exp` and an answer without expiry fields): the console then learns expiry from a 401."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: int | None
    refresh_expires_at: int | None
    elevated_until: int = 0
    stage: str = "full"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UserTokens:
        def when(key: str) -> int | None:
            value = data.get(key)
            return None if value is None else int(value)

        return cls(
            access_token=str(data["access_token"]),
            refresh_token=str(data["refresh_token"]),
            access_expires_at=when("access_expires_at"),
            refresh_expires_at=when("refresh_expires_at"),
            elevated_until=int(data.get("elevated_until", 0)),
            stage=str(data.get("stage", "full")),
        )

    def is_elevated(self, now: float) -> bool:
        return self.elevated_until > now

    def with_elevation(self, until: int) -> UserTokens:
        return replace(self, elevated_until=until)


@dataclass(frozen=True)
class AppTokenStatus:
    obtained_at: int
    expires_at: int
    merchant: str


# -- auth and operators --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoginResult:
    id: int
    email: str
    name: str
    tokens: UserTokens
    otp_required: bool


@dataclass(frozen=True)
class PartnerRef:
    partner_id: int
    name: str

    @classmethod
    def from_api(cls, raw: Any) -> PartnerRef:
        d = as_object(raw, "partner")
        return cls(partner_id=req_int(d, "partnerId", "partner"), name=opt_str(d, "name", "partner") or "")


@dataclass(frozen=True)
class Operator:
    id: int
    email: str
    name: str
    status: str
    is_admin: bool
    otp_elevation: bool
    last_login_at: datetime | None
    partners: list[PartnerRef]

    @classmethod
    def from_api(cls, raw: Any) -> Operator:
        w = "me"
        d = as_object(raw, w)
        return cls(
            id=req_int(d, "id", w),
            email=req_str(d, "email", w),
            name=req_str(d, "name", w),
            status=opt_str(d, "status", w) or "active",
            is_admin=opt_bool(d, "isAdmin", w),
            otp_elevation=opt_bool(d, "otpElevation", w),
            last_login_at=opt_timestamp(d, "lastLoginAt", w),
            partners=[PartnerRef.from_api(p) for p in as_list(d.get("partners", []), "me.partners")],
        )


# -- partners and balance ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Branding:
    primary_color: str | None = None
    logo_text: str | None = None


@dataclass(frozen=True)
class Partner:
    partner_id: int
    name: str
    legal_name: str | None
    country: str | None
    currency: str | None
    status: str | None
    branding: Branding
    features: tuple[str, ...]
    created_at: datetime | None

    @classmethod
    def from_api(cls, raw: Any) -> Partner:
        w = "partner"
        d = as_object(raw, w)
        brand_raw = d.get("branding")
        brand = as_object(brand_raw, "partner.branding") if brand_raw is not None else {}
        return cls(
            partner_id=req_int(d, "partnerId", w),
            name=req_str(d, "name", w),
            legal_name=opt_str(d, "legalName", w),
            country=opt_str(d, "country", w),
            currency=opt_str(d, "currency", w),
            status=opt_str(d, "status", w),
            branding=Branding(
                primary_color=opt_str(brand, "primaryColor", "partner.branding"),
                logo_text=opt_str(brand, "logoText", "partner.branding"),
            ),
            features=str_list(d, "features", w),
            created_at=opt_timestamp(d, "createdAt", w),
        )


@dataclass(frozen=True)
class Balance:
    id: int | None
    client_id: int | None
    available: Decimal
    currency: str
    updated_at: datetime | None
    created_at: datetime | None

    @classmethod
    def from_api(cls, raw: Any) -> Balance:
        w = "balance"
        d = as_object(raw, w)
        if "available" not in d:
            raise _bad(w, "available", "is missing")
        return cls(
            id=opt_int(d, "id", w),
            client_id=opt_int(d, "clientId", w),
            available=to_decimal(d["available"], w, "available"),
            currency=req_str(d, "currency", w),
            updated_at=opt_timestamp(d, "updatedAt", w),
            created_at=opt_timestamp(d, "createdAt", w),
        )


# -- permissions ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Permission:
    permission_id: int
    resource: str
    action: str
    description: str | None = None

    @property
    def key(self) -> str:
        return f"{self.resource}:{self.action}"

    @classmethod
    def from_api(cls, raw: Any) -> Permission:
        w = "permission"
        d = as_object(raw, w)
        return cls(
            permission_id=req_int(d, "permissionId", w),
            resource=req_str(d, "resource", w),
            action=req_str(d, "action", w),
            description=opt_str(d, "description", w),
        )


@dataclass(frozen=True)
class Module:
    id: int
    key: str | None
    name: str
    description: str | None
    permissions: list[Permission]

    @classmethod
    def from_api(cls, raw: Any) -> Module:
        w = "module"
        d = as_object(raw, w)
        return cls(
            id=req_int(d, "id", w),
            key=opt_str(d, "key", w),
            name=req_str(d, "name", w),
            description=opt_str(d, "description", w),
            permissions=[
                Permission.from_api(p) for p in as_list(d.get("permissions", []), "module.permissions")
            ],
        )


@dataclass(frozen=True)
class UserPermissions:
    user_id: int
    partner_id: int
    permissions: list[Permission]

    def permission_keys(self) -> frozenset[str]:
        return frozenset(p.key for p in self.permissions)

    @classmethod
    def from_api(cls, raw: Any, user_id: int, partner_id: int) -> UserPermissions:
        """Tolerant of `data` being the documented object or a bare list of permissions."""
        w = "userPermissions"
        if isinstance(raw, list):
            return cls(user_id, partner_id, [Permission.from_api(p) for p in raw])
        d = as_object(raw, w)
        return cls(
            user_id=opt_int(d, "cmsUserId", w, user_id) or user_id,
            partner_id=opt_int(d, "partnerId", w, partner_id) or partner_id,
            permissions=[
                Permission.from_api(p) for p in as_list(d.get("permissions", []), w + ".permissions")
            ],
        )


@dataclass(frozen=True)
class PermissionSpec:
    """One permission to create through POST /app/permissions (#9)."""

    resource: str
    action: str
    description: str | None = None

    def to_api(self) -> dict[str, str]:
        body = {"resource": self.resource, "action": self.action}
        if self.description:
            body["description"] = self.description
        return body


# -- CMS users -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CmsUser:
    id: int
    email: str
    name: str
    status: str
    is_admin: bool
    otp_elevation: bool
    last_login_at: datetime | None
    created_at: datetime | None
    partners: list[PartnerRef]

    @classmethod
    def from_api(cls, raw: Any) -> CmsUser:
        w = "cmsUser"
        d = as_object(raw, w)
        return cls(
            id=req_int(d, "id", w),
            email=req_str(d, "email", w),
            name=req_str(d, "name", w),
            status=req_str(d, "status", w),
            is_admin=opt_bool(d, "isAdmin", w),
            otp_elevation=opt_bool(d, "otpElevation", w),
            last_login_at=opt_timestamp(d, "lastLoginAt", w),
            created_at=opt_timestamp(d, "createdAt", w),
            partners=[PartnerRef.from_api(p) for p in as_list(d.get("partners") or [], "cmsUser.partners")],
        )


# -- cards and cardholders -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Card:
    card_id: int
    masked_pan: str | None
    last4: str | None
    status: str
    balance: Decimal | None
    currency: str | None
    expires_at: str | None
    cardholder_id: int | None
    created_at: datetime | None

    @classmethod
    def from_api(cls, raw: Any) -> Card:
        w = "card"
        d = as_object(raw, w)
        expires = d.get("expiresAt")
        return cls(
            card_id=req_int(d, "cardId", w),
            masked_pan=opt_str(d, "maskedPan", w),
            last4=opt_str(d, "last4", w),
            status=req_str(d, "status", w),
            balance=opt_decimal(d, "balance", w),
            currency=opt_str(d, "currency", w),
            # The expiry format is unknown (a date, or MM/YY): it is only displayed, so keep the text.
            expires_at=None if expires is None else str(expires),
            cardholder_id=opt_int(d, "cardholderId", w),
            created_at=opt_timestamp(d, "createdAt", w),
        )


@dataclass(frozen=True)
class CardholderSummary:
    cardholder_id: int
    name: str
    last_name: str
    email: str | None
    phone_number: str | None
    document_type: str | None
    document_number: str | None
    status: str
    created_at: datetime | None
    card_count: int

    @classmethod
    def from_api(cls, raw: Any) -> CardholderSummary:
        w = "cardholder"
        d = as_object(raw, w)
        return cls(**_summary_fields(d, w))


def _summary_fields(d: Json, w: str) -> dict[str, Any]:
    return {
        "cardholder_id": req_int(d, "cardholderId", w),
        "name": req_str(d, "name", w),
        "last_name": req_str(d, "lastName", w),
        "email": opt_str(d, "email", w),
        "phone_number": opt_str(d, "phoneNumber", w),
        "document_type": opt_str(d, "documentType", w),
        "document_number": opt_str(d, "documentNumber", w),
        "status": req_str(d, "status", w),
        "created_at": opt_timestamp(d, "createdAt", w),
        "card_count": opt_int(d, "cardCount", w, 0) or 0,
    }


@dataclass(frozen=True)
class Cardholder:
    cardholder_id: int
    name: str
    last_name: str
    email: str | None
    phone_number: str | None
    document_type: str | None
    document_number: str | None
    status: str
    created_at: datetime | None
    card_count: int
    address: str | None
    country_of_birth: str | None
    date_of_birth: date | None
    marital_status: str | None
    gender: str | None
    updated_at: datetime | None
    closed_at: datetime | None
    pii_masked: bool
    cards: list[Card]

    @classmethod
    def from_api(cls, raw: Any) -> Cardholder:
        w = "cardholder"
        d = as_object(raw, w)
        cards = [Card.from_api(c) for c in as_list(d.get("cards") or [], "cardholder.cards")]
        fields = _summary_fields(d, w)
        if d.get("cardCount") is None:
            fields["card_count"] = len(cards)
        return cls(
            **fields,
            address=opt_str(d, "address", w),
            country_of_birth=opt_str(d, "countryOfBirth", w),
            date_of_birth=opt_date(d, "dateOfBirth", w),
            marital_status=opt_str(d, "maritalStatus", w),
            gender=opt_str(d, "gender", w),
            updated_at=opt_timestamp(d, "updatedAt", w),
            closed_at=opt_timestamp(d, "closedAt", w),
            # Unknown means "treat as masked": never assume the PII is the full value.
            pii_masked=opt_bool(d, "piiMasked", w, default=True),
            cards=cards,
        )


@dataclass(frozen=True)
class NewCardholder:
    """The twelve documented fields of cardholder create (#12), all required."""

    name: str
    last_name: str
    address: str
    country_of_birth: str
    date_of_birth: str
    marital_status: str
    gender: str
    phone_number: str
    email: str
    document_type: str
    document_number: str
    card_id: int

    def to_api(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "lastName": self.last_name,
            "address": self.address,
            "countryOfBirth": self.country_of_birth,
            "dateOfBirth": self.date_of_birth,
            "maritalStatus": self.marital_status,
            "gender": self.gender,
            "phoneNumber": self.phone_number,
            "email": self.email,
            "documentType": self.document_type,
            "documentNumber": self.document_number,
            "cardId": self.card_id,
        }


# -- bulk uploads --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RowError:
    row: int | None
    code: str
    message: str
    field: str | None = None


@dataclass(frozen=True)
class Batch:
    id: str
    type: str | None
    status: str
    total: int
    processed: int
    succeeded: int
    failed: int
    created_at: datetime | None
    finished_at: datetime | None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_BATCH_STATUSES

    @classmethod
    def from_api(cls, raw: Any) -> Batch:
        w = "batch"
        d = as_object(raw, w)
        batch_id = d.get("id", d.get("batchId"))
        if not isinstance(batch_id, str):
            raise _bad(w, "id", "is missing or not a string")
        return cls(
            id=batch_id,
            type=opt_str(d, "type", w),
            status=req_str(d, "status", w),
            total=opt_int(d, "total", w, 0) or 0,
            processed=opt_int(d, "processed", w, 0) or 0,
            succeeded=opt_int(d, "succeeded", w, 0) or 0,
            failed=opt_int(d, "failed", w, 0) or 0,
            created_at=opt_timestamp(d, "createdAt", w),
            finished_at=opt_timestamp(d, "finishedAt", w),
        )


@dataclass(frozen=True)
class BatchRow:
    row: int
    status: str
    cardholder_id: int | None
    errors: list[ApiErrorItem]

    @classmethod
    def from_api(cls, raw: Any) -> BatchRow:
        w = "batchRow"
        d = as_object(raw, w)
        return cls(
            row=req_int(d, "row", w),
            status=req_str(d, "status", w),
            cardholder_id=opt_int(d, "cardholderId", w),
            errors=error_items(d.get("errors"), "batchRow.errors"),
        )


@dataclass(frozen=True)
class ProgressFrame:
    batch_id: str
    type: str | None
    status: str
    total: int
    processed: int
    succeeded: int
    failed: int
    errors: list[RowError]

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_BATCH_STATUSES

    @classmethod
    def from_api(cls, raw: Any) -> ProgressFrame:
        w = "progress"
        d = as_object(raw, w)
        errors: list[RowError] = []
        for item in as_list(d.get("errors") or [], "progress.errors"):
            e = as_object(item, "progress.errors")
            code = e.get("code")
            errors.append(
                RowError(
                    row=opt_int(e, "row", "progress.errors"),
                    code=str(code) if code is not None else "",
                    message=str(e.get("message") or ""),
                    field=opt_str(e, "field", "progress.errors"),
                )
            )
        total = opt_int(d, "total", w, 0) or 0
        processed = opt_int(d, "processed", w, 0) or 0
        return cls(
            batch_id=req_str(d, "batchId", w),
            type=opt_str(d, "type", w),
            status=opt_str(d, "status", w) or _status_from_counts(total, processed),
            total=total,
            processed=processed,
            succeeded=opt_int(d, "succeeded", w, 0) or 0,
            failed=opt_int(d, "failed", w, 0) or 0,
            errors=errors,
        )


def _status_from_counts(total: int, processed: int) -> str:
    """Only `batchId` is documented in a frame (KNOWN-API §4.1): without a status, every row processed is
    the end of the batch."""
    return "completed" if total > 0 and processed >= total else "processing"


# -- process requests ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Person:
    id: int
    name: str | None
    email: str | None

    @classmethod
    def from_api(cls, raw: Any, where: str) -> Person:
        d = as_object(raw, where)
        return cls(
            id=req_int(d, "id", where), name=opt_str(d, "name", where), email=opt_str(d, "email", where)
        )


@dataclass(frozen=True)
class EvidenceInfo:
    file_name: str | None
    content_type: str | None
    size: int | None
    sha256: str | None


@dataclass(frozen=True)
class ProcessRequest:
    id: int
    partner_id: int | None
    requested_amount: Decimal
    currency: str | None
    observations: str | None
    status: str
    requested_by: Person | None
    decided_by: Person | None
    decision_reason: str | None
    evidence: EvidenceInfo | None
    created_at: datetime | None
    updated_at: datetime | None
    decided_at: datetime | None

    @classmethod
    def from_api(cls, raw: Any) -> ProcessRequest:
        w = "processRequest"
        d = as_object(raw, w)
        if "requestedAmount" not in d:
            raise _bad(w, "requestedAmount", "is missing")
        ev_raw = d.get("evidence")
        evidence = None
        if ev_raw is not None:
            ev = as_object(ev_raw, "processRequest.evidence")
            evidence = EvidenceInfo(
                file_name=opt_str(ev, "fileName", "evidence"),
                content_type=opt_str(ev, "contentType", "evidence"),
                size=opt_int(ev, "size", "evidence"),
                sha256=opt_str(ev, "sha256", "evidence"),
            )
        requested = d.get("requestedBy")
        decided = d.get("decidedBy")
        return cls(
            id=req_int(d, "id", w),
            partner_id=opt_int(d, "partnerId", w),
            requested_amount=to_decimal(d["requestedAmount"], w, "requestedAmount"),
            currency=opt_str(d, "currency", w),
            observations=opt_str(d, "observations", w),
            status=req_str(d, "status", w),
            requested_by=Person.from_api(requested, "requestedBy") if requested is not None else None,
            decided_by=Person.from_api(decided, "decidedBy") if decided is not None else None,
            decision_reason=opt_str(d, "decisionReason", w),
            evidence=evidence,
            created_at=opt_timestamp(d, "createdAt", w),
            updated_at=opt_timestamp(d, "updatedAt", w),
            decided_at=opt_timestamp(d, "decidedAt", w),
        )


@dataclass(frozen=True)
class EvidenceFile:
    """A downloaded evidence file. `content` holds the bytes."""

    content: bytes = field(repr=False)
    content_type: str
    file_name: str
