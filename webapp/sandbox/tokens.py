"""EdDSA JWTs as ASSUMPTIONS.md §2 describes them, and single-use refresh tokens with family revocation.

Expiry is judged against the sandbox clock (`clock.now`), not PyJWT's, so tests can move time instead of
sleeping.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, cast

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from sqlalchemy import update

from webapp.sandbox import codes
from webapp.sandbox.clock import now
from webapp.sandbox.db import session
from webapp.sandbox.envelope import ApiFailure
from webapp.sandbox.models import RefreshToken

ISSUER = "ali-api-cms-rest"
AUDIENCE = "ali-api-cms-rest"
APP, APP_REFRESH, USER, USER_REFRESH = "app", "app_refresh", "user", "user_refresh"
_EXTENSION = "sandbox_signing_key"


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    public: Ed25519PublicKey
    kid: str


def load_signing_key(private_pem: bytes) -> SigningKey:
    key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("SANDBOX_SIGNING_KEY_PEM must be an Ed25519 private key")
    public = key.public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return SigningKey(private=key, public=public, kid=hashlib.sha256(raw).hexdigest()[:16])


def signing_key() -> SigningKey:
    return cast(SigningKey, current_app.extensions[_EXTENSION])


def install_signing_key(app_extensions: dict[str, Any], private_pem: bytes) -> SigningKey:
    key = load_signing_key(private_pem)
    app_extensions[_EXTENSION] = key
    return key


def _ttl(name: str) -> int:
    return int(current_app.config[name])


def encode(typ: str, sub: str, ttl: int, **extra: Any) -> tuple[str, dict[str, Any]]:
    """Sign one token; answers the compact JWT and its claims."""
    key = signing_key()
    issued = int(now())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": sub,
        "typ": typ,
        "iat": issued,
        "exp": issued + ttl,
        "jti": uuid.uuid4().hex,
        **extra,
    }
    token = jwt.encode(claims, key.private, algorithm="EdDSA", headers={"kid": key.kid})
    return token, claims


class VerifiedTokens:
    """Claims of tokens whose signature, issuer and audience already checked out, newest last (bounded).

    Every API call carries the same two tokens for minutes; verifying an EdDSA signature and parsing the JWT
    again on each call was a third of the sandbox's time per call. Only the time-independent checks are
    remembered: type and expiry are judged on every call, against the sandbox clock.
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._claims: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, kid: str, token: str) -> dict[str, Any] | None:
        with self._lock:
            claims = self._claims.get((kid, token))
            if claims is not None:
                self._claims.move_to_end((kid, token))
            return claims

    def put(self, kid: str, token: str, claims: dict[str, Any]) -> None:
        with self._lock:
            self._claims[(kid, token)] = claims
            while len(self._claims) > self._size:
                self._claims.popitem(last=False)


_verified = VerifiedTokens()


def _verified_claims(token: str) -> dict[str, Any]:
    key = signing_key()
    known = _verified.get(key.kid, token)
    if known is not None:
        return dict(known)
    try:
        claims = jwt.decode(
            token,
            key.public,
            algorithms=["EdDSA"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={
                "verify_exp": False,
                "verify_iat": False,
                "require": ["exp", "iat", "sub", "jti", "typ"],
            },
        )
    except jwt.PyJWTError as exc:
        raise ApiFailure(codes.TOKEN_INVALID) from exc
    _verified.put(key.kid, token, dict(claims))
    return claims


def decode(token: str, typ: str) -> dict[str, Any]:
    """Verify signature, issuer, audience, type and expiry; 401 8000 when expired, 401 8001 otherwise."""
    claims = _verified_claims(token)
    if claims.get("typ") != typ or not isinstance(claims.get("exp"), int):
        raise ApiFailure(codes.TOKEN_INVALID)
    if claims["exp"] <= now():
        raise ApiFailure(codes.TOKEN_EXPIRED)
    return claims


# -- pairs and rotation -------------------------------------------------------------------------------------


def _pair_answer(
    access: tuple[str, dict[str, Any]],
    refresh: tuple[str, dict[str, Any]],
    *,
    family: str | None,
    **record: Any,
) -> dict[str, Any]:
    """Remember the refresh token (single use, in its family) and answer the documented token-pair shape."""
    (access_token, access_claims), (refresh_token, refresh_claims) = access, refresh
    session.add(
        RefreshToken(
            jti=refresh_claims["jti"],
            family=family or uuid.uuid4().hex,
            access_jti=access_claims["jti"],
            expires_at=float(refresh_claims["exp"]),
            **record,
        )
    )
    return {
        "accessToken": access_token,
        "refreshToken": refresh_token,
        "expirationToken": access_claims["exp"],
        "expirationRefreshToken": refresh_claims["exp"],
    }


def issue_app_pair(merchant: str, family: str | None = None) -> dict[str, Any]:
    """App login/refresh answer: `{accessToken, refreshToken, expirationToken, expirationRefreshToken}`."""
    sub = f"merchant:{merchant}"
    return _pair_answer(
        encode(APP, sub, _ttl("SANDBOX_APP_TOKEN_TTL")),
        encode(APP_REFRESH, sub, _ttl("SANDBOX_APP_REFRESH_TTL")),
        family=family,
        typ=APP_REFRESH,
        merchant=merchant,
    )


def issue_user_pair(
    user_id: int, *, stage: str, elevated_until: int = 0, family: str | None = None
) -> dict[str, Any]:
    """A user token pair; the stage rides along in the refresh record so a refresh cannot skip the OTP."""
    sub = f"user:{user_id}"
    return _pair_answer(
        encode(USER, sub, _ttl("SANDBOX_USER_TOKEN_TTL"), stage=stage, elv=elevated_until),
        encode(USER_REFRESH, sub, _ttl("SANDBOX_USER_REFRESH_TTL")),
        family=family,
        typ=USER_REFRESH,
        user_id=user_id,
        stage=stage,
    )


def consume_refresh(token: str, typ: str) -> RefreshToken:
    """Mark a refresh token used and return its record.

    A second presentation revokes the whole family (8009) and is committed at once, because the request
    itself fails afterwards and would otherwise roll the revocation back.
    """
    claims = decode(token, typ)
    record = session.get(RefreshToken, claims["jti"])
    if record is None or record.typ != typ:
        raise ApiFailure(codes.TOKEN_INVALID)
    if record.used:
        revoke_family(record.family)
        session.commit()
        raise ApiFailure(codes.REFRESH_TOKEN_REUSED)
    if record.revoked:
        raise ApiFailure(codes.TOKEN_INVALID)
    record.used = True
    return record


def revoke_family(family: str) -> None:
    session.execute(update(RefreshToken).where(RefreshToken.family == family).values(revoked=True))


def retire_pair_of_access(access_jti: str) -> None:
    """After an OTP verify hands out a new pair, the refresh token issued with the old access token dies."""
    record = session.query(RefreshToken).filter(RefreshToken.access_jti == access_jti).one_or_none()
    if record is not None:
        revoke_family(record.family)
