"""CMS users of a partner (`/app/partners/{partnerId}/users`) and the account fields the signed-in operator
(models/auth.py) shares with them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from webapp.cms.models.partners import PartnerRef
from webapp.cms.models.readers import (
    Json,
    as_list,
    as_object,
    opt_bool,
    opt_str,
    opt_timestamp,
    req_int,
    req_str,
)


@dataclass(frozen=True)
class Account:
    """What the CMS says about any of its users, the signed-in operator included."""

    id: int
    email: str
    name: str
    status: str
    is_admin: bool
    otp_elevation: bool
    last_login_at: datetime | None


def account_fields(d: Json, w: str, *, default_status: str | None = None) -> dict[str, Any]:
    """The Account fields of `d`; the status is required unless a default is given."""
    required = default_status is None
    return {
        "id": req_int(d, "id", w),
        "email": req_str(d, "email", w),
        "name": req_str(d, "name", w),
        "status": req_str(d, "status", w) if required else opt_str(d, "status", w) or default_status,
        "is_admin": opt_bool(d, "isAdmin", w),
        "otp_elevation": opt_bool(d, "otpElevation", w),
        "last_login_at": opt_timestamp(d, "lastLoginAt", w),
    }


@dataclass(frozen=True)
class CmsUser(Account):
    created_at: datetime | None
    partners: list[PartnerRef]

    @classmethod
    def from_api(cls, raw: Any) -> CmsUser:
        w = "cmsUser"
        d = as_object(raw, w)
        return cls(
            **account_fields(d, w),
            created_at=opt_timestamp(d, "createdAt", w),
            partners=[PartnerRef.from_api(p) for p in as_list(d.get("partners") or [], "cmsUser.partners")],
        )
