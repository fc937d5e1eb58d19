"""Operator sign-in (#3), OTP request and verify (#5, #6) and the current operator (`GET /app/users/me`,
assumed: capability `current-operator`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from webapp.cms.errors import BadUpstreamResponse
from webapp.cms.models import LoginResult, Operator, UserTokens, as_object, opt_bool, req_int, req_str
from webapp.cms.resources import Resource

if TYPE_CHECKING:
    from webapp.cms.auth import TokenHolder

OTP_PURPOSES = frozenset({"login", "elevation"})


class AuthResource(Resource):
    def login(self, email: str, password: str) -> LoginResult:
        """Password step. The password is forwarded byte for byte (no trimming) and sent once: a 401 here
        is a wrong password, not a stale app token to renew and retry."""
        reply = self._call(
            None,
            "POST",
            "/app/users/login",
            json={"email": email, "password": password},
            renew_on_401=False,
        )
        data = as_object(reply.data, "login")
        tokens = self._auth.user_tokens(data, "login")
        return LoginResult(
            id=req_int(data, "id", "login"),
            email=req_str(data, "email", "login"),
            name=req_str(data, "name", "login"),
            tokens=tokens,
            # Assumed hints; without them the console's own policy decides (SIGN_IN_OTP).
            otp_required=opt_bool(data, "otpRequired", "login") or tokens.stage == "otp",
        )

    def request_otp(self, holder: TokenHolder, email: str, purpose: str = "login") -> int | None:
        """Ask for a code by mail; answers its lifetime in seconds when the CMS says (assumed `expiresIn`)."""
        _check_purpose(purpose)
        reply = self._call(
            holder,
            "POST",
            "/app/users/auth/otp",
            json={"email": email, "purpose": purpose},
        )
        data = reply.data if isinstance(reply.data, Mapping) else {}
        expires_in = data.get("expiresIn")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
            return None
        return expires_in

    def verify_otp(self, holder: TokenHolder, email: str, otp: str, purpose: str) -> UserTokens:
        """Verify a code. When the CMS answers a new token pair (assumed, the Wallet's elevated token) it
        replaces the held one; when it answers none, the held pair stays and counts as elevated for
        `elevation_seconds` (the CMS keeps the elevation on its side, docs/cms-api.md §1.4)."""
        _check_purpose(purpose)
        reply = self._call(
            holder,
            "PUT",
            "/app/users/auth/otp",
            json={"email": email, "otp": otp, "purpose": purpose},
            idempotent=False,
        )
        data = reply.data if isinstance(reply.data, Mapping) else {}
        now = int(self._auth.now())
        with holder.lock():
            if isinstance(data.get("accessToken"), str):
                tokens = self._auth.user_tokens(data, "otpVerify")
                elevated = data.get("elevatedUntil")
                if (
                    tokens.elevated_until == 0
                    and isinstance(elevated, int)
                    and not isinstance(elevated, bool)
                ):
                    ceiling = tokens.access_expires_at or elevated
                    tokens = tokens.with_elevation(min(elevated, ceiling))
            else:
                held = holder.load()
                if held is None:
                    raise BadUpstreamResponse("There is no upstream session to keep after the code.")
                tokens = replace(held, stage="full").with_elevation(
                    now + self._auth.settings.elevation_seconds
                )
            holder.save(tokens)
        return tokens

    def me(self, holder: TokenHolder) -> Operator:
        """The signed-in operator with partners and flags (assumed capability `current-operator`)."""
        reply = self._call(holder, "GET", "/app/users/me")
        return Operator.from_api(reply.data)


def _check_purpose(purpose: str) -> None:
    if purpose not in OTP_PURPOSES:
        raise ValueError(f"unknown OTP purpose {purpose!r}")
