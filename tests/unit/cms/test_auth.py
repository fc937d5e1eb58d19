"""App token (signed login, verification, refresh) and user tokens (proactive, reactive, single-flight)."""

from __future__ import annotations

import base64
import threading
import time
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from tests.unit.cms.fakes import (
    MERCHANT_KEYS,
    OTHER_KEYS,
    FakeClock,
    FakeCms,
    MemoryHolder,
    app_pair,
    envelope,
    failure,
    holder,
    json_body,
    make_client,
    sign,
    tokens_from,
    user_pair,
)
from webapp.cms import errors

# The sandbox's own claims (contract/ASSUMPTIONS.md §2), as a deployment would configure them to check.
STRICT_CLAIMS: dict[str, Any] = {
    "token_issuer": "ali-api-cms-rest",
    "token_audience": "ali-api-cms-rest",
    "token_type_claim": "typ",
    "token_required_claims": ("exp", "iat", "jti", "sub"),
}
ME = "GET /app/users/me"
ME_DATA = {"id": 7, "email": "ana@demo.migo", "name": "Ana", "status": "active", "partners": []}
LOGIN = "POST /app/users/login"
USER_REFRESH = "POST /app/users/refresh"
APP_LOGIN = "POST /app/auth/login"
APP_REFRESH = "POST /app/auth/refresh"


def _login_answer(pair: dict[str, Any] | None = None, **extra: Any) -> httpx.Response:
    pair = pair or user_pair(stage="otp")
    return envelope({"id": 7, "email": "ana@demo.migo", "name": "Ana", "otpRequired": True, **pair, **extra})


# -- app token -----------------------------------------------------------------------------------------------
def test_app_login_sends_the_documented_body_by_default() -> None:
    """docs/cms-api.md §1.2: `{merchant}` and nothing else; no key is needed for it."""
    fake = FakeCms(routes={ME: envelope(ME_DATA)})
    make_client(fake, merchant_private_key_pem=None).auth.me(holder())
    login = next(r for r in fake.calls if r.url.path.endswith("/app/auth/login"))
    assert json_body(login) == {"merchant": "migo-console"}
    assert "authorization" not in login.headers


def test_signed_app_login_needs_the_merchant_key() -> None:
    with pytest.raises(ValueError, match="private key"):
        make_client(FakeCms(), app_login="signed", merchant_private_key_pem=None)


def test_app_login_is_signed_with_the_merchant_key_when_configured() -> None:
    fake = FakeCms(routes={ME: envelope(ME_DATA)})
    client = make_client(fake, app_login="signed")
    client.auth.me(holder())
    login = next(r for r in fake.calls if r.url.path.endswith("/app/auth/login"))
    body = json_body(login)
    assert body["merchant"] == "migo-console"
    assert abs(int(body["timestamp"]) - time.time()) < 5
    public = load_pem_public_key(MERCHANT_KEYS.public_pem)
    public.verify(  # type: ignore[union-attr, call-arg]
        base64.b64decode(body["signature"]), f"migo-console:{body['timestamp']}".encode()
    )
    assert "authorization" not in login.headers


def test_both_tokens_go_upstream_with_bearer() -> None:
    fake = FakeCms(routes={ME: envelope(ME_DATA)})
    client = make_client(fake)
    h = holder()
    client.auth.me(h)
    call = fake.business_calls()[0]
    assert call.headers["authorization"].startswith("Bearer ey")
    tokens = h.load()
    assert tokens is not None
    assert call.headers["x-user-token"] == f"Bearer {tokens.access_token}"


def test_app_token_is_reused_across_calls_and_status_reports_it() -> None:
    fake = FakeCms(routes={ME: envelope(ME_DATA)})
    client = make_client(fake)
    for _ in range(3):
        client.auth.me(holder())
    assert fake.count(APP_LOGIN) == 1
    status = client.app_status()
    assert status.merchant == "migo-console"
    assert status.expires_at > time.time() + 1700
    assert abs(status.obtained_at - time.time()) < 5


def test_app_token_near_expiry_is_refreshed_not_relogged() -> None:
    fake = FakeCms(routes={APP_LOGIN: envelope(app_pair(ttl=20)), ME: envelope(ME_DATA)})
    client = make_client(fake, refresh_margin=30)
    client.auth.me(holder())
    client.auth.me(holder())
    assert fake.count(APP_LOGIN) == 1
    assert fake.count(APP_REFRESH) >= 1


def test_refused_app_refresh_falls_back_to_a_new_login() -> None:
    fake = FakeCms(
        routes={
            APP_LOGIN: [envelope(app_pair(ttl=20)), envelope(app_pair())],
            APP_REFRESH: failure(401, "8009", "Refresh token already used."),
            ME: envelope(ME_DATA),
        }
    )
    client = make_client(fake)
    client.auth.me(holder())
    client.auth.me(holder())
    assert fake.count(APP_LOGIN) == 2


def test_merchant_signature_refused_is_a_system_fault_not_a_sign_out() -> None:
    fake = FakeCms(
        routes={APP_LOGIN: failure(401, "8008", "Invalid merchant signature."), ME: envelope(ME_DATA)}
    )
    client = make_client(fake)
    with pytest.raises(errors.AppAuthFailed) as info:
        client.auth.me(holder())
    assert isinstance(info.value, errors.UpstreamUnavailable)
    assert not isinstance(info.value, errors.Unauthorized)
    assert info.value.code == "8008"


def test_expired_app_token_on_401_is_reobtained_and_the_call_retried() -> None:
    """A 401 does not say which token expired: the app token is renewed first (docs/cms-api.md §1.6)."""
    wall = FakeClock()
    wall.now = time.time()
    answers = [failure(401, "8000", "TOKEN_EXPIRED"), envelope(ME_DATA)]

    def me(request: httpx.Request) -> httpx.Response:
        wall.advance(1900)  # the app token (30 min) expires while this request is on the wire
        return answers.pop(0)

    fake = FakeCms(routes={APP_REFRESH: failure(401, "8009"), ME: me})
    client = make_client(fake, wall_clock=wall)
    assert client.auth.me(holder()).id == 7
    me_calls = [r for r in fake.calls if r.url.path.endswith("/users/me")]
    assert len(me_calls) == 2
    assert me_calls[0].headers["authorization"] != me_calls[1].headers["authorization"]
    assert fake.count(APP_REFRESH) >= 1  # the refresh token is tried before signing in again
    assert fake.count(USER_REFRESH) == 0


# -- verification of tokens received -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad_access",
    [
        pytest.param(lambda: sign("user", keys=OTHER_KEYS), id="wrong-key"),
        pytest.param(lambda: sign("user", ttl=-3600), id="expired"),
        pytest.param(lambda: sign("user", algorithm="HS256", secret="x" * 32), id="hs256"),
        pytest.param(lambda: sign("app"), id="wrong-typ"),
        pytest.param(lambda: sign("user", aud="someone-else"), id="wrong-audience"),
        pytest.param(lambda: sign("user", iss="evil"), id="wrong-issuer"),
        pytest.param(lambda: sign("user", jti=None), id="no-jti"),
        pytest.param(lambda: "not.a.jwt", id="garbage"),
    ],
)
def test_user_login_refuses_tokens_that_fail_verification(bad_access: Any) -> None:
    """With the public key and every claim expectation configured (the sandbox's own claims)."""
    pair = user_pair()
    pair["accessToken"] = bad_access()
    fake = FakeCms(routes={LOGIN: _login_answer(pair)})
    client = make_client(fake, **STRICT_CLAIMS)
    with pytest.raises(errors.BadUpstreamResponse, match=r"verification|wrong type|readable"):
        client.auth.login("ana@demo.migo", "pw")


@pytest.mark.parametrize(
    "access",
    [
        pytest.param(lambda: sign("app"), id="other-typ"),
        pytest.param(lambda: sign("user", aud="someone-else"), id="other-audience"),
        pytest.param(lambda: sign("user", iss="someone"), id="other-issuer"),
    ],
)
def test_claims_are_not_required_unless_configured(access: Any) -> None:
    """Nothing documented says what the claims are: by default only the signature and exp count."""
    pair = user_pair()
    pair["accessToken"] = access()
    fake = FakeCms(routes={LOGIN: _login_answer(pair)})
    assert make_client(fake).auth.login("ana@demo.migo", "pw").id == 7


def test_without_a_public_key_opaque_tokens_are_accepted_and_expiry_comes_from_the_answer() -> None:
    answer = {
        "accessToken": "opaque-access",
        "refreshToken": "opaque-refresh",
        "expirationToken": 2_000_000_000,
    }
    fake = FakeCms(routes={LOGIN: envelope({"id": 7, "email": "ana@demo.migo", "name": "Ana", **answer})})
    result = make_client(fake, upstream_public_key_pem=None).auth.login("ana@demo.migo", "pw")
    assert result.tokens.access_expires_at == 2_000_000_000
    assert result.tokens.refresh_expires_at is None
    assert result.otp_required is False


def test_with_a_public_key_a_token_signed_by_another_key_is_refused_even_without_claim_checks() -> None:
    pair = user_pair()
    pair["accessToken"] = sign("user", keys=OTHER_KEYS)
    fake = FakeCms(routes={LOGIN: _login_answer(pair)})
    with pytest.raises(errors.BadUpstreamResponse, match="verification"):
        make_client(fake).auth.login("ana@demo.migo", "pw")


def test_app_token_failing_verification_is_an_app_auth_failure() -> None:
    pair = app_pair()
    pair["accessToken"] = sign("app", keys=OTHER_KEYS)
    fake = FakeCms(routes={APP_LOGIN: envelope(pair), ME: envelope(ME_DATA)})
    with pytest.raises(errors.AppAuthFailed):
        make_client(fake).auth.me(holder())
    assert fake.count(ME) == 0


def test_login_parses_verified_claims_and_forwards_the_password_verbatim() -> None:
    fake = FakeCms(routes={LOGIN: _login_answer()})
    client = make_client(fake)
    password = "  Contraseña con espacios ñ  "
    result = client.auth.login("ana@demo.migo", password)
    assert json_body(fake.business_calls()[0]) == {"email": "ana@demo.migo", "password": password}
    assert result.otp_required is True
    assert result.tokens.stage == "otp"
    assert result.tokens.access_expires_at > time.time() + 800
    assert "x-user-token" not in fake.business_calls()[0].headers
    assert result.tokens.access_token not in repr(result)


def test_wrong_password_is_unauthorized_not_session_ended() -> None:
    fake = FakeCms(routes={LOGIN: failure(401, "8002", "Invalid email or password.")})
    with pytest.raises(errors.Unauthorized) as info:
        make_client(fake).auth.login("ana@demo.migo", "bad")
    assert not isinstance(info.value, errors.SessionEnded)
    assert info.value.code == "8002"


def test_locked_user_keeps_retry_after() -> None:
    fake = FakeCms(
        routes={LOGIN: failure(403, "8003", "The user is temporarily locked.", Retry_After="1800")}
    )
    with pytest.raises(errors.Locked) as info:
        make_client(fake).auth.login("ana@demo.migo", "pw")
    assert info.value.retry_after == 1800.0


# -- user tokens ---------------------------------------------------------------------------------------------
def test_verify_otp_saves_the_elevated_pair() -> None:
    elv = int(time.time()) + 300
    fake = FakeCms(routes={"PUT /app/users/auth/otp": envelope({**user_pair(elv=elv), "elevatedUntil": elv})})
    h = holder()
    tokens = make_client(fake).auth.verify_otp(h, "ana@demo.migo", "123456", "elevation")
    assert h.load() == tokens
    assert tokens.elevated_until == elv
    assert tokens.stage == "full"
    assert json_body(fake.business_calls()[0]) == {
        "email": "ana@demo.migo",
        "otp": "123456",
        "purpose": "elevation",
    }


def test_access_token_close_to_expiry_is_refreshed_before_the_call() -> None:
    fake = FakeCms(routes={USER_REFRESH: envelope(user_pair()), ME: envelope(ME_DATA)})
    h = holder(access_ttl=10)
    old = h.load()
    make_client(fake, refresh_margin=30).auth.me(h)
    assert fake.count(USER_REFRESH) == 1
    new = h.load()
    assert old is not None
    assert new is not None
    assert new.refresh_token != old.refresh_token
    me_call = next(r for r in fake.calls if r.url.path.endswith("/users/me"))
    assert me_call.headers["x-user-token"] == f"Bearer {new.access_token}"
    refresh_call = next(r for r in fake.calls if r.url.path.endswith("/users/refresh"))
    assert json_body(refresh_call) == {"refreshToken": old.refresh_token}


def test_a_401_renews_the_app_token_then_refreshes_the_user_token_even_for_a_post() -> None:
    create = "POST /app/partners/1/cardholders"
    cardholder = {"cardholderId": 9, "name": "A", "lastName": "B", "status": "active"}
    fake = FakeCms(
        routes={
            USER_REFRESH: envelope(user_pair()),
            create: [failure(401, "8001"), failure(401, "8001"), envelope(cardholder)],
        }
    )
    h = holder()
    make_client(fake).cardholders.create(h, 1, {"name": "A"}, idempotency_key="key-1")
    assert fake.count(APP_REFRESH) == 1  # the app token first
    assert fake.count(USER_REFRESH) == 1  # then the user token
    assert fake.count(create) == 3


def test_second_token_expired_after_refresh_ends_the_session() -> None:
    fake = FakeCms(routes={USER_REFRESH: envelope(user_pair()), ME: failure(401, "8000", "TOKEN_EXPIRED")})
    with pytest.raises(errors.SessionEnded):
        make_client(fake).auth.me(holder())
    assert fake.count(ME) == 3  # first try, after the app token, after the user token
    assert fake.count(USER_REFRESH) == 1


@pytest.mark.parametrize("code", ["8009", "8001", "8000"])
def test_refused_refresh_ends_the_session(code: str) -> None:
    fake = FakeCms(routes={USER_REFRESH: failure(401, code), ME: failure(401, "8000", "TOKEN_EXPIRED")})
    with pytest.raises(errors.SessionEnded) as info:
        make_client(fake).auth.me(holder())
    assert info.value.code == code


def test_a_401_with_no_code_at_all_is_recovered_from_like_any_other() -> None:
    """No error code is needed: docs/cms-api.md documents only the status."""
    fake = FakeCms(
        routes={
            USER_REFRESH: envelope(user_pair()),
            ME: [httpx.Response(401, json={"success": False, "message": "Unauthorized"}), envelope(ME_DATA)],
        }
    )
    assert make_client(fake).auth.me(holder()).id == 7


def test_user_token_refused_after_both_renewals_ends_the_session() -> None:
    fake = FakeCms(
        routes={ME: failure(401, "8001", "Invalid or missing token."), USER_REFRESH: envelope(user_pair())}
    )
    with pytest.raises(errors.SessionEnded):
        make_client(fake).auth.me(holder())
    assert fake.count(APP_REFRESH) == 1
    assert fake.count(USER_REFRESH) == 1
    assert fake.count(ME) == 3


def test_a_wrong_password_is_sent_once() -> None:
    """A 401 on the password step is wrong credentials: no renewal, no second failure counted upstream."""
    fake = FakeCms(routes={LOGIN: failure(401, "8002", "Wrong email or password.")})
    with pytest.raises(errors.Unauthorized):
        make_client(fake).auth.login("ana@demo.migo", "bad")
    assert fake.count(LOGIN) == 1
    assert fake.count(APP_LOGIN) == 1


def test_after_a_refused_password_the_next_call_renews_the_app_token_first() -> None:
    """The 401 may have been the app token's (revoked upstream): the next sign-in does not repeat it."""
    fake = FakeCms(routes={LOGIN: [failure(401, "8002"), _login_answer()]})
    client = make_client(fake)
    with pytest.raises(errors.Unauthorized):
        client.auth.login("ana@demo.migo", "bad")
    client.auth.login("ana@demo.migo", "good")
    logins = [r for r in fake.calls if r.url.path.endswith("/users/login")]
    assert logins[0].headers["authorization"] != logins[1].headers["authorization"]
    assert fake.count(LOGIN) == 2


def test_no_tokens_in_the_holder_ends_the_session_without_calling() -> None:
    fake = FakeCms(routes={ME: envelope(ME_DATA)})
    with pytest.raises(errors.SessionEnded):
        make_client(fake).auth.me(MemoryHolder(None))
    assert fake.business_calls() == []


def test_expired_refresh_token_ends_the_session_without_calling() -> None:
    h = holder(access_ttl=5)
    tokens = h.load()
    assert tokens is not None
    h.tokens = tokens.__class__(**{**tokens.to_dict(), "refresh_expires_at": int(time.time()) - 1})
    fake = FakeCms(routes={ME: envelope(ME_DATA)})
    with pytest.raises(errors.SessionEnded):
        make_client(fake).auth.me(h)
    assert fake.count(USER_REFRESH) == 0


def test_refresh_is_single_flight_across_threads() -> None:
    """Five parallel requests meet an expired user token: exactly one refresh, all five succeed."""
    fresh = user_pair()
    old = tokens_from(user_pair())
    gate = threading.Barrier(5)

    def me(request: httpx.Request) -> httpx.Response:
        if request.headers["x-user-token"] == f"Bearer {old.access_token}":
            return failure(401, "8000", "TOKEN_EXPIRED")
        return envelope(ME_DATA)

    refreshes: list[str] = []

    def refresh(request: httpx.Request) -> httpx.Response:
        refreshes.append(json_body(request)["refreshToken"])
        if len(refreshes) > 1:
            return failure(401, "8009", "Refresh token already used.")
        return envelope(fresh)

    fake = FakeCms(routes={ME: me, USER_REFRESH: refresh})
    client = make_client(fake)
    client.app_status()
    h = MemoryHolder(old)
    results: list[object] = []

    def worker() -> None:
        gate.wait()
        try:
            results.append(client.auth.me(h).id)
        except errors.CmsError as exc:  # pragma: no cover - reported by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert results == [7] * 5
    assert refreshes == [old.refresh_token]
    assert h.saves == 1


def test_rotation_done_by_another_node_is_reused() -> None:
    """Inside the lock the holder is re-read: a pair rotated elsewhere is used instead of refreshing again."""
    other_nodes_pair = tokens_from(user_pair())
    stale = tokens_from(user_pair())

    class RotatedElsewhere(MemoryHolder):
        def __init__(self) -> None:
            super().__init__(stale)
            self.loads = 0

        def load(self) -> Any:
            self.loads += 1
            return stale if self.loads == 1 else other_nodes_pair

    fake = FakeCms(
        routes={
            ME: lambda r: (
                envelope(ME_DATA)
                if r.headers["x-user-token"] == f"Bearer {other_nodes_pair.access_token}"
                else failure(401, "8000", "TOKEN_EXPIRED")
            ),
            USER_REFRESH: envelope(user_pair()),
        }
    )
    make_client(fake).auth.me(RotatedElsewhere())
    assert fake.count(USER_REFRESH) == 0
    assert fake.count(ME) == 3  # stale pair, stale pair with a renewed app token, the other node's pair


def test_user_tokens_repr_hides_the_tokens() -> None:
    tokens = tokens_from(user_pair())
    assert tokens.access_token not in repr(tokens)
    assert tokens.refresh_token not in repr(tokens)
    assert type(tokens).from_dict(tokens.to_dict()) == tokens
