"""Operator sign-in (#3), OTP request and verify (#5, #6) and the current operator (`GET /app/users/me`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from webapp.cms.errors import BadUpstreamResponse
from webapp.cms.models import LoginResult, Operator, UserTokens, as_object, opt_bool, req_int, req_str
from webapp.cms.resources import Resource

if TYPE_CHECKING:
    from webapp.cms.auth import TokenHolder

OTP_PURPOSES = frozenset({"login", "elevation"})


class AuthResource(Resource):
    def login(self, email: str, password: str) -> LoginResult:
        """Password step. The password is forwarded byte for byte (no trimming)."""
        reply = self._call(
            None, "POST", "/app/users/login", "/app/users/login", json={"email": email, "password": password}
        )
        data = as_object(reply.data, "login")
        tokens = self._auth.user_tokens(data, "login")
        return LoginResult(
            id=req_int(data, "id", "login"),
            email=req_str(data, "email", "login"),
            name=req_str(data, "name", "login"),
            tokens=tokens,
            # The token's own stage is the authority; the flag is the documented hint.
            otp_required=opt_bool(data, "otpRequired", "login") or tokens.stage == "otp",
        )

    def request_otp(self, holder: TokenHolder, email: str, purpose: str = "login") -> int:
        """Ask for a code by mail; answers its lifetime in seconds (the same for any email)."""
        _check_purpose(purpose)
        reply = self._call(
            holder,
            "POST",
            "/app/users/auth/otp",
            "/app/users/auth/otp",
            json={"email": email, "purpose": purpose},
        )
        data = as_object(reply.data, "otp")
        expires_in = data.get("expiresIn")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int):
            raise BadUpstreamResponse("Unexpected upstream data: otp.expiresIn is not an integer")
        return expires_in

    def verify_otp(self, holder: TokenHolder, email: str, otp: str, purpose: str) -> UserTokens:
        """Trade a code for a new (full, elevated) token pair and store it in the holder."""
        _check_purpose(purpose)
        reply = self._call(
            holder,
            "PUT",
            "/app/users/auth/otp",
            "/app/users/auth/otp",
            json={"email": email, "otp": otp, "purpose": purpose},
            idempotent=False,
        )
        data = as_object(reply.data, "otpVerify")
        tokens = self._auth.user_tokens(data, "otpVerify")
        elevated = data.get("elevatedUntil")
        if tokens.elevated_until == 0 and isinstance(elevated, int) and not isinstance(elevated, bool):
            tokens = UserTokens(
                access_token=tokens.access_token,
                refresh_token=tokens.refresh_token,
                access_expires_at=tokens.access_expires_at,
                refresh_expires_at=tokens.refresh_expires_at,
                elevated_until=min(elevated, tokens.access_expires_at),
                stage=tokens.stage,
            )
        with holder.lock():
            holder.save(tokens)
        return tokens

    def me(self, holder: TokenHolder) -> Operator:
        reply = self._call(holder, "GET", "/app/users/me", "/app/users/me")
        return Operator.from_api(reply.data)


def _check_purpose(purpose: str) -> None:
    if purpose not in OTP_PURPOSES:
        raise ValueError(f"unknown OTP purpose {purpose!r}")
