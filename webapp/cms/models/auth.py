"""Tokens (the process's app token, each operator's user tokens), the password step's answer and the
signed-in operator (`GET /app/users/me`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from webapp.cms.models.declared import api
from webapp.cms.models.partners import PartnerRef
from webapp.cms.models.readers import list_of, str_or
from webapp.cms.models.users import Account


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


@dataclass(frozen=True)
class LoginResult:
    id: int
    email: str
    name: str
    tokens: UserTokens
    otp_required: bool


class Operator(Account, where="me"):
    # The signed-in operator's own answer may leave its status out.
    status: str = api(str_or("active"))
    partners: list[PartnerRef] = api(list_of(PartnerRef.from_api))
