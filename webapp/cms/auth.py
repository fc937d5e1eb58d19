"""Tokens: the per-process app token (merchant login) and each operator's user tokens.

What is documented is required, what is assumed is optional (contract/ASSUMPTIONS.md §2):

* App login sends the documented `{merchant}`; the signed variant (Ed25519 over `merchant:timestamp`) is a
  setting for the case the real CMS turns out to need it.
* A token's signature is verified when the upstream's Ed25519 public key is configured; issuer, audience, type
  and required claims are checked only when a setting asks for them.
* Expiry comes from `exp` when the token has one, else from the answer's expiry field, else it is unknown and
  learned from a 401. The app token falls back to the documented 30-minute merchant-token lifetime
  (docs/cms-api.md §1.5), so it is renewed before it lapses even when nothing says when that is.
* On a 401 from a data call the app token is renewed first, then the user token, then the call gives up
  (docs/cms-api.md §1.6): no error code is required to tell an expired token.

User-token refresh is single-flight through the holder's lock, because refresh tokens are single-use
(docs/cms-api.md §1.5): two parallel refreshes with the same token would revoke the whole family and sign the
operator out for nothing.
"""

from __future__ import annotations

import base64
import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar, cast

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from webapp.cms import errors, telemetry
from webapp.cms.capabilities import Capabilities
from webapp.cms.models.auth import AppTokenStatus, UserTokens
from webapp.cms.models.readers import as_object, req_str
from webapp.cms.settings import CmsSettings
from webapp.cms.transport import Upstream
from webapp.cms.wire import ApiRequest, Reply

R = TypeVar("R")

# Small allowance for clock skew between us and the upstream when checking exp/iat.
CLOCK_LEEWAY_SECONDS = 10
# docs/cms-api.md §1.5: merchant tokens live 30 minutes (documented for all Migo APIs); used only when the CMS
# says nothing itself.
DOCUMENTED_APP_TOKEN_SECONDS = 1800
APP_LOGIN_MODES = ("plain", "signed")
# The token kinds the console tells apart; `CMS_TOKEN_TYPE_CLAIM` names the claim that carries them.
APP, APP_REFRESH, USER, USER_REFRESH = "app", "app_refresh", "user", "user_refresh"


class TokenHolder(Protocol):
    """One operator's tokens. The console implements it on its server-side session."""

    def load(self) -> UserTokens | None: ...

    def save(self, tokens: UserTokens) -> None: ...

    def lock(self) -> contextlib.AbstractContextManager[None]: ...


class TokenVerifier:
    """Reads a received token: its signature when a key is configured, its claims as far as settings ask.

    Without a key the token is decoded only to read `exp`, `stage` and `elv`; an opaque (non-JWT) token is
    accepted then, since nothing documented says the tokens are readable by us."""

    def __init__(self, settings: CmsSettings) -> None:
        """The key and the claim expectations are those of `settings`."""
        self._key: Ed25519PublicKey | None = None
        if settings.upstream_public_key_pem:
            key = load_pem_public_key(settings.upstream_public_key_pem)
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("the upstream public key must be an Ed25519 key")
            self._key = key
        self._issuer = settings.token_issuer
        self._audience = settings.token_audience
        self._type_claim = settings.token_type_claim
        self._required = list(settings.token_required_claims)

    @property
    def verifies_signatures(self) -> bool:
        return self._key is not None

    def verify(self, token: str, kind: str, what: str) -> dict[str, Any]:
        """The claims of `token` (empty for an opaque token when nothing is to be verified)."""
        options: dict[str, Any] = {
            "verify_signature": self._key is not None,
            "verify_exp": True,
            "verify_iat": self._key is not None,
            "verify_nbf": True,
            "verify_aud": self._audience is not None,
            "verify_iss": self._issuer is not None,
            "require": self._required,
        }
        checks_claims = bool(self._issuer or self._audience or self._type_claim or self._required)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key if self._key is not None else "",  # unused when verify_signature is off
                algorithms=["EdDSA"],
                audience=self._audience,
                issuer=self._issuer,
                leeway=CLOCK_LEEWAY_SECONDS,
                options=cast(Any, options),
            )
        except jwt.InvalidSignatureError as exc:
            raise errors.BadUpstreamResponse(
                f"The CMS sent a {what} that failed verification: {exc}"
            ) from exc
        except jwt.DecodeError as exc:
            if self._key is None and not checks_claims:
                return {}
            raise errors.BadUpstreamResponse(f"The CMS sent a {what} that is not a readable JWT") from exc
        except jwt.PyJWTError as exc:
            raise errors.BadUpstreamResponse(
                f"The CMS sent a {what} that failed verification: {exc}"
            ) from exc
        if self._type_claim is not None and claims.get(self._type_claim) != kind:
            raise errors.BadUpstreamResponse(
                f"The CMS sent a {what} of the wrong type ({claims.get(self._type_claim)})"
            )
        return claims


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def expiry(claims: Mapping[str, Any], answer: Mapping[str, Any], field: str) -> int | None:
    """`exp` of the token, else the answer's expiry field (Wallet style `expirationToken`), else None."""
    return _int(claims.get("exp")) or _int(answer.get(field))


class AppTokens:
    """The app token of this process: obtained on demand, renewed before expiry, guarded by a lock."""

    def __init__(
        self,
        settings: CmsSettings,
        upstream: Upstream,
        verifier: TokenVerifier,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if settings.app_login not in APP_LOGIN_MODES:
            raise ValueError(f"CMS app login must be one of {', '.join(APP_LOGIN_MODES)}")
        self._key: Ed25519PrivateKey | None = None
        if settings.app_login == "signed":
            if not settings.merchant_private_key_pem:
                raise ValueError("the signed app login needs the merchant's Ed25519 private key")
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
        self._refresh_exp: int | None = None
        self._obtained_at = 0

    def current(self) -> str:
        """A usable app token, obtaining or refreshing it first when it is missing or about to expire."""
        with self._lock:
            now = self._clock()
            if self._access is not None and self._access_exp - now > self._margin:
                return self._access
            return self._renew_locked()

    def renew(self, used: str) -> None:
        """After a 401: replace `used` (refresh, else sign in again) unless another thread already did."""
        with self._lock:
            if used == self._access:
                self._renew_locked()

    def suspect(self, used: str) -> None:
        """A 401 that was not retried: let the next call renew `used` first (it may be what was refused)."""
        with self._lock:
            if used == self._access:
                self._access_exp = 0

    def _renew_locked(self) -> str:
        """Counted as an app-token refresh when it replaces a token this process held (not the first one)."""
        renewal = self._access is not None
        try:
            token = self._renew_or_sign_in()
        except Exception:
            if renewal:
                telemetry.count_token_refresh("app", "failed")
            raise
        if renewal:
            telemetry.count_token_refresh("app", "ok")
        return token

    def _renew_or_sign_in(self) -> str:
        now = self._clock()
        if self._refresh is not None and (
            self._refresh_exp is None or self._refresh_exp - now > self._margin
        ):
            try:
                return self._obtain(self._refresh_request())
            except (errors.AppAuthFailed, errors.ApiError):
                pass  # refresh refused (reused, revoked, expired): sign in again
        return self._obtain(self._login_request())

    def status(self) -> AppTokenStatus:
        with self._lock:
            return AppTokenStatus(
                obtained_at=self._obtained_at, expires_at=self._access_exp, merchant=self._merchant
            )

    def _login_request(self) -> ApiRequest:
        body: dict[str, str] = {"merchant": self._merchant}
        if self._key is not None:
            timestamp = str(int(self._clock()))
            signature = self._key.sign(f"{self._merchant}:{timestamp}".encode())
            body["timestamp"] = timestamp
            body["signature"] = base64.b64encode(signature).decode("ascii")
        return ApiRequest("POST", "/app/auth/login", "/app/auth/login", json=body)

    def _refresh_request(self) -> ApiRequest:
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
            refresh = data.get("refreshToken")
            access_claims = self._verifier.verify(access, APP, "app token")
            refresh_claims = (
                self._verifier.verify(refresh, APP_REFRESH, "app refresh token")
                if isinstance(refresh, str) and refresh
                else {}
            )
        except errors.BadUpstreamResponse as exc:
            raise errors.AppAuthFailed(str(exc), status=reply.status) from exc
        now = int(self._clock())
        self._access = access
        self._access_exp = (
            expiry(access_claims, data, "expirationToken") or now + DOCUMENTED_APP_TOKEN_SECONDS
        )
        self._refresh = refresh if isinstance(refresh, str) and refresh else None
        self._refresh_exp = expiry(refresh_claims, data, "expirationRefreshToken")
        self._obtained_at = now
        return access


class Authenticator:
    """Adds both tokens to calls and recovers from expiry: proactive refresh, then renewal after a 401."""

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
        self.capabilities = Capabilities(settings.capabilities_off)
        self._margin = settings.refresh_margin
        self._clock = clock

    def now(self) -> float:
        return self._clock()

    # -- token parsing ---------------------------------------------------------------------------------------
    def user_tokens(self, data: Mapping[str, Any], where: str) -> UserTokens:
        """UserTokens from an answer with accessToken/refreshToken (the documented login answer)."""
        access = req_str(data, "accessToken", where)
        refresh = req_str(data, "refreshToken", where)
        access_claims = self.verifier.verify(access, USER, "user token")
        refresh_claims = self.verifier.verify(refresh, USER_REFRESH, "user refresh token")
        stage = access_claims.get("stage")
        return UserTokens(
            access_token=access,
            refresh_token=refresh,
            access_expires_at=expiry(access_claims, data, "expirationToken"),
            refresh_expires_at=expiry(refresh_claims, data, "expirationRefreshToken"),
            elevated_until=_int(access_claims.get("elv")) or 0,
            stage=stage if isinstance(stage, str) else "full",
        )

    # -- calls -----------------------------------------------------------------------------------------------
    def call(self, holder: TokenHolder | None, request: ApiRequest, *, renew_on_401: bool = True) -> Reply:
        """Send with the app token, plus the operator's token when a holder is given."""
        return self.run(
            holder, lambda headers: self.upstream.send(request, headers), renew_on_401=renew_on_401
        )

    def run(
        self, holder: TokenHolder | None, send: Callable[[dict[str, str]], R], *, renew_on_401: bool = True
    ) -> R:
        """Run `send(headers)`; after a 401 renew the app token, then refresh the user token, each once.

        `renew_on_401=False` is for the password step and the user refresh: a 401 there is most likely the
        credentials refused, and sending a password twice would count two failures towards the account's
        lock-out. The app token is still renewed before the next call, in case it was the one refused."""
        tokens = self._fresh_tokens(holder) if holder is not None else None
        app_renewed = False
        user_refreshed = False
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
                if not renew_on_401:
                    self.app_tokens.suspect(app)  # renewed by the next call, without resending this one
                    raise
                if not app_renewed:
                    app_renewed = True
                    self.app_tokens.renew(app)
                    continue
                if holder is None or tokens is None:
                    raise
                if not user_refreshed:
                    user_refreshed = True
                    tokens = self._refresh(holder, tokens)
                    continue
                raise errors.SessionEnded(
                    exc.message, status=exc.status, errors=exc.errors, retry_after=exc.retry_after
                ) from exc

    def _fresh_tokens(self, holder: TokenHolder) -> UserTokens:
        tokens = holder.load()
        if tokens is None:
            raise errors.SessionEnded("There is no upstream session for this operator.", status=401)
        expires = tokens.access_expires_at
        if expires is not None and expires - self._clock() <= self._margin:
            return self._refresh(holder, tokens)
        return tokens

    def _refresh(self, holder: TokenHolder, used: UserTokens) -> UserTokens:
        """Rotate the pair once under the holder's lock; reuse another thread's (or node's) rotation."""
        with holder.lock():
            current = holder.load()
            if current is None:
                raise errors.SessionEnded("There is no upstream session for this operator.", status=401)
            if current.refresh_token != used.refresh_token:
                return current
            if current.refresh_expires_at is not None and current.refresh_expires_at <= self._clock():
                raise errors.SessionEnded("The upstream session has expired.", status=401)
            request = ApiRequest(
                "POST",
                "/app/users/refresh",
                "/app/users/refresh",
                json={"refreshToken": current.refresh_token},
            )
            try:
                try:
                    # A 401 here is the refresh token refused: the app token is renewed by the call that
                    # failed, so renewing it again would only repeat a refresh the CMS has already judged.
                    reply = self.call(None, request, renew_on_401=False)
                except errors.ApiError as exc:
                    raise errors.SessionEnded(
                        exc.message, status=exc.status, errors=exc.errors, retry_after=exc.retry_after
                    ) from exc
                fresh = self.user_tokens(as_object(reply.data, "refresh"), "refresh")
            except Exception:
                telemetry.count_token_refresh("user", "failed")
                raise
            telemetry.count_token_refresh("user", "ok")
            holder.save(fresh)
            return fresh
