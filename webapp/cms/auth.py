"""Tokens: the per-process app token (signed merchant login) and each operator's user tokens.

Every JWT received is verified with the upstream's Ed25519 public key before it is trusted or stored.
User-token refresh is single-flight through the holder's lock, because refresh tokens are single-use
(KNOWN-API §1.5): two parallel refreshes with the same token would revoke the whole family and sign the
operator out for nothing.
"""

from __future__ import annotations

import base64
import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from webapp.cms import errors
from webapp.cms.models import AppTokenStatus, UserTokens, as_object, req_str

if TYPE_CHECKING:
    from webapp.cms.client import ApiRequest, CmsSettings, Reply, Upstream

R = TypeVar("R")

# Small allowance for clock skew between us and the upstream when checking exp/iat.
CLOCK_LEEWAY_SECONDS = 10
_APP_TYPES = frozenset({"app"})
_USER_ACCESS_TYPES = frozenset({"user"})


class TokenHolder(Protocol):
    """One operator's tokens. The console implements it on its server-side session."""

    def load(self) -> UserTokens | None: ...

    def save(self, tokens: UserTokens) -> None: ...

    def lock(self) -> contextlib.AbstractContextManager[None]: ...


class TokenVerifier:
    """EdDSA-only verification with audience, issuer and required claims (ASSUMPTIONS.md §2)."""

    def __init__(self, public_key_pem: bytes, audience: str) -> None:
        key = load_pem_public_key(public_key_pem)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the upstream public key must be an Ed25519 key")
        self._key = key
        self._audience = audience

    def verify(self, token: str, types: frozenset[str], what: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=["EdDSA"],
                audience=self._audience,
                issuer=self._audience,
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "jti", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise errors.BadUpstreamResponse(
                f"The CMS sent a {what} that failed verification: {exc}"
            ) from exc
        typ = claims.get("typ")
        if typ not in types:
            raise errors.BadUpstreamResponse(f"The CMS sent a {what} of the wrong type ({typ})")
        if not isinstance(claims.get("exp"), int):
            raise errors.BadUpstreamResponse(f"The CMS sent a {what} without a usable exp")
        return claims


def _int_claim(claims: Mapping[str, Any], key: str) -> int:
    value = claims.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class AppTokens:
    """The app token of this process: obtained on demand, refreshed before expiry, guarded by a lock."""

    def __init__(
        self,
        settings: CmsSettings,
        upstream: Upstream,
        verifier: TokenVerifier,
        clock: Callable[[], float] = time.time,
    ) -> None:
        key = load_pem_private_key(settings.merchant_private_key_pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the merchant private key must be an Ed25519 key")
        self._key = key
        self._merchant = settings.merchant
        self._margin = settings.refresh_margin
        self._upstream = upstream
        self._verifier = verifier
        self._clock = clock
        self._lock = threading.Lock()
        self._access: str | None = None
        self._access_exp = 0
        self._refresh: str | None = None
        self._refresh_exp = 0
        self._obtained_at = 0

    def current(self) -> str:
        """A usable app token, obtaining or refreshing it first when it is missing or about to expire."""
        with self._lock:
            now = self._clock()
            if self._access is not None and self._access_exp - now > self._margin:
                return self._access
            if self._refresh is not None and self._refresh_exp - now > self._margin:
                try:
                    return self._obtain(self._refresh_request())
                except (errors.AppAuthFailed, errors.ApiError):
                    pass  # refresh refused (reused, revoked, expired): sign in again
            return self._obtain(self._login_request())

    def still_valid(self, token: str) -> bool:
        """Whether `token` is our current app token and not past its exp by our clock."""
        with self._lock:
            return token == self._access and self._access_exp > self._clock()

    def invalidate(self, token: str) -> None:
        """Forget `token` so the next call signs in again (unless another thread already replaced it)."""
        with self._lock:
            if token == self._access:
                self._access = None
                self._access_exp = 0

    def status(self) -> AppTokenStatus:
        with self._lock:
            return AppTokenStatus(
                obtained_at=self._obtained_at, expires_at=self._access_exp, merchant=self._merchant
            )

    def _login_request(self) -> ApiRequest:
        from webapp.cms.client import ApiRequest

        timestamp = str(int(self._clock()))
        signature = self._key.sign(f"{self._merchant}:{timestamp}".encode())
        body = {
            "merchant": self._merchant,
            "timestamp": timestamp,
            "signature": base64.b64encode(signature).decode("ascii"),
        }
        return ApiRequest("POST", "/app/auth/login", "/app/auth/login", json=body)

    def _refresh_request(self) -> ApiRequest:
        from webapp.cms.client import ApiRequest

        return ApiRequest(
            "POST", "/app/auth/refresh", "/app/auth/refresh", json={"refreshToken": self._refresh}
        )

    def _obtain(self, request: ApiRequest) -> str:
        try:
            reply = self._upstream.send(request)
        except errors.ApiError as exc:
            if isinstance(exc, errors.Unauthorized | errors.Forbidden | errors.ValidationFailed):
                raise errors.AppAuthFailed(
                    f"The CMS refused the console's merchant credentials: {exc.message}",
                    status=exc.status,
                    errors=exc.errors,
                ) from exc
            raise
        try:
            data = as_object(reply.data, "appToken")
            access = req_str(data, "accessToken", "appToken")
            refresh = req_str(data, "refreshToken", "appToken")
            access_claims = self._verifier.verify(access, _APP_TYPES, "app token")
            refresh_claims = self._verifier.verify(refresh, frozenset({"app_refresh"}), "app refresh token")
        except errors.BadUpstreamResponse as exc:
            raise errors.AppAuthFailed(str(exc), status=reply.status) from exc
        self._access, self._access_exp = access, _int_claim(access_claims, "exp")
        self._refresh, self._refresh_exp = refresh, _int_claim(refresh_claims, "exp")
        self._obtained_at = int(self._clock())
        return access


class Authenticator:
    """Adds both tokens to calls and recovers from expiry: proactive refresh, then one retry after a 401."""

    def __init__(
        self,
        upstream: Upstream,
        app_tokens: AppTokens,
        verifier: TokenVerifier,
        settings: CmsSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.upstream = upstream
        self.app_tokens = app_tokens
        self.verifier = verifier
        self.settings = settings
        self._margin = settings.refresh_margin
        self._clock = clock

    # -- token parsing ---------------------------------------------------------------------------------------
    def user_tokens(self, data: Mapping[str, Any], where: str) -> UserTokens:
        """UserTokens from an answer with accessToken/refreshToken; times come from the verified claims."""
        access = req_str(data, "accessToken", where)
        refresh = req_str(data, "refreshToken", where)
        access_claims = self.verifier.verify(access, _USER_ACCESS_TYPES, "user token")
        refresh_claims = self.verifier.verify(refresh, frozenset({"user_refresh"}), "user refresh token")
        stage = access_claims.get("stage")
        return UserTokens(
            access_token=access,
            refresh_token=refresh,
            access_expires_at=_int_claim(access_claims, "exp"),
            refresh_expires_at=_int_claim(refresh_claims, "exp"),
            elevated_until=_int_claim(access_claims, "elv"),
            stage=stage if isinstance(stage, str) else "full",
        )

    # -- calls -----------------------------------------------------------------------------------------------
    def call(self, holder: TokenHolder | None, request: ApiRequest) -> Reply:
        """Send with the app token, plus the operator's token when a holder is given."""
        return self.run(holder, lambda headers: self.upstream.send(request, headers))

    def run(self, holder: TokenHolder | None, send: Callable[[dict[str, str]], R]) -> R:
        """Run `send(headers)`; on 401 re-obtain the app token or refresh the user token, then once more."""
        tokens = self._fresh_tokens(holder) if holder is not None else None
        app_retried = False
        user_retried = False
        while True:
            app = self.app_tokens.current()
            headers = {"Authorization": f"Bearer {app}"}
            if tokens is not None:
                headers["x-user-token"] = f"Bearer {tokens.access_token}"
            try:
                return send(headers)
            except errors.SessionEnded:
                raise
            except errors.Unauthorized as exc:
                # 8000/8001 do not say which token failed: if ours is past exp, it was the app token.
                if not app_retried and exc.code in {"8000", "8001"} and not self.app_tokens.still_valid(app):
                    app_retried = True
                    self.app_tokens.invalidate(app)
                    continue
                if holder is None or tokens is None:
                    raise
                if not user_retried and isinstance(exc, errors.TokenExpired):
                    user_retried = True
                    tokens = self._refresh(holder, tokens)
                    continue
                raise errors.SessionEnded(
                    exc.message, status=exc.status, errors=exc.errors, retry_after=exc.retry_after
                ) from exc

    def _fresh_tokens(self, holder: TokenHolder) -> UserTokens:
        tokens = holder.load()
        if tokens is None:
            raise errors.SessionEnded("There is no upstream session for this operator.", status=401)
        if tokens.access_expires_at - self._clock() <= self._margin:
            return self._refresh(holder, tokens)
        return tokens

    def _refresh(self, holder: TokenHolder, used: UserTokens) -> UserTokens:
        """Rotate the pair once under the holder's lock; reuse another thread's (or node's) rotation."""
        from webapp.cms.client import ApiRequest

        with holder.lock():
            current = holder.load()
            if current is None:
                raise errors.SessionEnded("There is no upstream session for this operator.", status=401)
            if current.refresh_token != used.refresh_token:
                return current
            if current.refresh_expires_at <= self._clock():
                raise errors.SessionEnded("The upstream session has expired.", status=401)
            request = ApiRequest(
                "POST",
                "/app/users/refresh",
                "/app/users/refresh",
                json={"refreshToken": current.refresh_token},
            )
            try:
                reply = self.run(None, lambda headers: self.upstream.send(request, headers))
            except errors.ApiError as exc:
                raise errors.SessionEnded(
                    exc.message, status=exc.status, errors=exc.errors, retry_after=exc.retry_after
                ) from exc
            fresh = self.user_tokens(as_object(reply.data, "refresh"), "refresh")
            holder.save(fresh)
            return fresh
