"""Sign-in, OTP, refresh and app-token handling against the sandbox."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from tests.integration.cms.conftest import ANA, SessionHolder
from tests.support.sandbox import SandboxHandle
from webapp.cms import CmsClient, errors


def test_app_status_obtains_a_verified_app_token(cms: CmsClient) -> None:
    status = cms.app_status()
    assert status.merchant == "migo-console"
    assert status.expires_at > time.time() + 60
    assert status.obtained_at <= time.time()


def test_full_sign_in_with_otp_then_me(cms: CmsClient, sandbox: SandboxHandle) -> None:
    result = cms.auth.login(ANA, "Sandbox-Demo-2026!")
    assert result.otp_required
    assert result.tokens.stage == "otp"
    holder = SessionHolder(ANA, result.tokens)
    with pytest.raises(errors.OtpRequired):
        cms.partners.list(holder)
    assert cms.auth.request_otp(holder, ANA, "login") > 0
    tokens = cms.auth.verify_otp(holder, ANA, sandbox.latest_otp(ANA), "login")
    assert tokens.stage == "full"
    assert holder.load() == tokens
    me = cms.auth.me(holder)
    assert me.email == ANA
    assert {p.partner_id for p in me.partners} == {1, 2}
    assert me.last_login_at is not None


@pytest.mark.parametrize("email", [ANA, "nobody-here@demo.migo"])
def test_wrong_password_and_unknown_email_look_the_same(cms: CmsClient, email: str) -> None:
    with pytest.raises(errors.Unauthorized) as info:
        cms.auth.login(email, "wrong-password")
    assert info.value.code == "8002"
    assert not isinstance(info.value, errors.SessionEnded)


def test_wrong_otp_is_a_field_error(
    cms: CmsClient, sandbox: SandboxHandle, new_operator: Callable[..., str]
) -> None:
    email = new_operator(partners=[1])
    result = cms.auth.login(email, "Sandbox-Demo-2026!")
    holder = SessionHolder(email, result.tokens)
    cms.auth.request_otp(holder, email, "login")
    right = sandbox.latest_otp(email)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    with pytest.raises(errors.ValidationFailed) as info:
        cms.auth.verify_otp(holder, email, wrong, "login")
    assert info.value.code == "8006"
    assert info.value.errors[0].field == "otp"


def test_locked_and_inactive_users(cms: CmsClient, new_operator: Callable[..., str]) -> None:
    with pytest.raises(errors.Locked) as locked:
        cms.auth.login(new_operator(partners=[1], locked=True), "Sandbox-Demo-2026!")
    assert locked.value.retry_after is not None
    with pytest.raises(errors.Inactive):
        cms.auth.login(new_operator(partners=[1], status="inactive"), "Sandbox-Demo-2026!")


def test_a_401_renews_the_app_token_first_and_the_call_is_retried(
    cms: CmsClient, sign_in: Callable[..., SessionHolder], clean_faults: SandboxHandle
) -> None:
    """docs/cms-api.md §1.6: which token expired is not told; the app token is renewed first."""
    holder = sign_in(ANA)
    before = holder.load()
    cms.app_status()
    clean_faults.set_fault("GET /app/users/me", "token_expired", times=1)
    assert cms.auth.me(holder).email == ANA
    assert holder.load() == before
    assert len(clean_faults.calls("POST /app/auth/refresh")) == 1
    assert len(clean_faults.calls("POST /app/users/refresh")) == 0
    assert len(clean_faults.calls("GET /app/users/me")) == 2


def test_a_second_401_refreshes_the_user_token_once_and_the_call_is_retried(
    cms: CmsClient, sign_in: Callable[..., SessionHolder], clean_faults: SandboxHandle
) -> None:
    holder = sign_in(ANA)
    before = holder.load()
    clean_faults.set_fault("GET /app/users/me", "token_expired", times=2)
    assert cms.auth.me(holder).email == ANA
    after = holder.load()
    assert before is not None
    assert after is not None
    assert after.refresh_token != before.refresh_token
    assert len(clean_faults.calls("POST /app/users/refresh")) == 1
    assert len(clean_faults.calls("GET /app/users/me")) == 3


def test_refresh_is_single_flight_for_parallel_requests(
    cms: CmsClient, sign_in: Callable[..., SessionHolder], clean_faults: SandboxHandle
) -> None:
    """Five parallel requests meet a 401 twice (before and after the app token's renewal): one user-token
    refresh upstream, all five succeed."""
    holder = sign_in(ANA)
    cms.app_status()
    clean_faults.set_fault("GET /app/users/me", "token_expired", times=10)
    # A slow refresh keeps the first five requests ahead of every retry.
    clean_faults.set_fault("POST /app/users/refresh", "delay", ms=400)
    gate = threading.Barrier(5)
    results: list[object] = []

    def worker() -> None:
        gate.wait()
        try:
            results.append(cms.auth.me(holder).email)
        except errors.CmsError as exc:  # pragma: no cover - shown by the assertion
            results.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results == [ANA] * 5
    assert len(clean_faults.calls("POST /app/users/refresh")) == 1


def test_reused_refresh_token_ends_the_session(
    make_cms: Callable[..., CmsClient], sign_in: Callable[..., SessionHolder]
) -> None:
    eager = make_cms(refresh_margin=100_000)  # every call refreshes first
    holder = sign_in(ANA)
    stale = holder.load()
    eager.auth.me(holder)  # rotates: the stale pair's refresh token is now used
    replay = SessionHolder(ANA, stale)
    with pytest.raises(errors.SessionEnded) as info:
        eager.auth.me(replay)
    assert info.value.code == "8009"
    # The family is revoked: the rotated pair is dead too.
    with pytest.raises(errors.SessionEnded):
        eager.auth.me(holder)


def test_garbled_access_token_is_replaced_through_the_refresh_token(
    cms: CmsClient, sign_in: Callable[..., SessionHolder]
) -> None:
    holder = sign_in(ANA)
    tokens = holder.load()
    assert tokens is not None
    holder.save(type(tokens)(**{**tokens.to_dict(), "access_token": tokens.access_token[:-4] + "AAAA"}))
    assert cms.auth.me(holder).email == ANA


def test_garbled_access_and_refresh_tokens_end_the_session(
    cms: CmsClient, sign_in: Callable[..., SessionHolder]
) -> None:
    holder = sign_in(ANA)
    tokens = holder.load()
    assert tokens is not None
    garbled = {
        "access_token": tokens.access_token[:-4] + "AAAA",
        "refresh_token": tokens.refresh_token[:-4] + "AAAA",
    }
    holder.save(type(tokens)(**{**tokens.to_dict(), **garbled}))
    with pytest.raises(errors.SessionEnded) as info:
        cms.auth.me(holder)
    assert info.value.code == "8001"


def test_unknown_merchant_key_is_an_app_auth_failure(make_cms: Callable[..., CmsClient]) -> None:
    from tests.support.keys import new_keypair

    impostor = make_cms(app_login="signed", merchant_private_key_pem=new_keypair().private_pem)
    with pytest.raises(errors.AppAuthFailed) as info:
        impostor.app_status()
    assert info.value.code == "8008"


def test_tokens_signed_by_another_key_are_refused(make_cms: Callable[..., CmsClient]) -> None:
    from tests.support.keys import new_keypair

    suspicious = make_cms(upstream_public_key_pem=new_keypair().public_pem)
    with pytest.raises(errors.AppAuthFailed, match="verification"):
        suspicious.app_status()
