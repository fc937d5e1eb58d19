"""Faults injected by the sandbox, over real sockets: retries counted at the upstream, time bounded."""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Callable

import pytest

from tests.integration.cms.conftest import ANA, SessionHolder
from tests.support.keys import KeyPair
from tests.support.sandbox import SandboxHandle
from tests.unit.cms.fakes import FakeClock
from webapp.cms import CmsClient, CmsSettings, errors

ME = "GET /app/users/me"
CLOSE = "POST /app/partners/1/cardholders/*/close"


@pytest.fixture
def holder(sign_in: Callable[..., SessionHolder]) -> SessionHolder:
    return sign_in(ANA)


def _calls(sandbox: SandboxHandle, route: str) -> int:
    return len(sandbox.calls(route))


@pytest.mark.parametrize(
    ("mode", "params", "error"),
    [
        ("badjson", {}, errors.BadUpstreamResponse),
        ("html", {}, errors.ServerError),
        ("empty", {}, errors.BadUpstreamResponse),
        ("success_false", {}, errors.BadUpstreamResponse),
        ("status", {"status": 500}, errors.ServerError),
        ("status", {"status": 403, "code": "8011"}, errors.PermissionDenied),
    ],
)
def test_malformed_and_error_answers_map_without_retry(
    cms: CmsClient,
    holder: SessionHolder,
    clean_faults: SandboxHandle,
    mode: str,
    params: dict[str, object],
    error: type[errors.CmsError],
) -> None:
    clean_faults.set_fault(ME, mode, **params)
    with pytest.raises(error):
        cms.auth.me(holder)
    expected = 2 if mode == "html" else 1  # the proxy page is a 502: a GET tries once more
    assert _calls(clean_faults, ME) == expected


def test_get_retries_503_once_and_recovers(
    cms: CmsClient, holder: SessionHolder, clean_faults: SandboxHandle
) -> None:
    clean_faults.set_fault(ME, "status", status=503, times=1)
    assert cms.auth.me(holder).email == ANA
    assert _calls(clean_faults, ME) == 2


def test_post_503_is_not_retried(cms: CmsClient, holder: SessionHolder, clean_faults: SandboxHandle) -> None:
    clean_faults.set_fault(CLOSE, "status", status=503)
    with pytest.raises(errors.ServerError):
        cms.cardholders.close(holder, 1, 1, "test")
    assert _calls(clean_faults, CLOSE) == 1


@pytest.mark.parametrize(("value", "calls"), [("1", 2), ("3600", 1), ("soon", 1)])
def test_retry_after(
    cms: CmsClient, holder: SessionHolder, clean_faults: SandboxHandle, value: str, calls: int
) -> None:
    clean_faults.set_fault(ME, "retry_after", status=429, value=value, times=1)
    started = time.monotonic()
    if calls == 2:
        assert cms.auth.me(holder).email == ANA
    else:
        with pytest.raises(errors.RateLimited) as info:
            cms.auth.me(holder)
        assert info.value.retry_after == (3600.0 if value == "3600" else None)
    assert _calls(clean_faults, ME) == calls
    assert time.monotonic() - started < 2.5


def test_read_timeout_get_twice_post_once_and_unknown(
    make_cms: Callable[..., CmsClient],
    sign_in: Callable[..., SessionHolder],
    clean_faults: SandboxHandle,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The sandbox records a call only once it answers, so attempts are counted from the client's log."""
    quick = make_cms(read_timeout=0.5, deadline=5.0)
    holder = sign_in(ANA, client=quick)

    def attempts(route: str) -> list[int]:
        return [r.attempt for r in caplog.records if getattr(r, "upstream_route", None) == route]  # type: ignore[attr-defined]

    clean_faults.set_fault(ME, "delay", ms=1500)
    with (
        caplog.at_level(logging.INFO, logger="webapp.cms"),
        pytest.raises(errors.UpstreamTimeout) as get_error,
    ):
        quick.auth.me(holder)
    assert get_error.value.outcome_unknown is False
    assert attempts("/app/users/me") == [1, 2]

    clean_faults.set_fault(CLOSE, "delay", ms=1500)
    with (
        caplog.at_level(logging.INFO, logger="webapp.cms"),
        pytest.raises(errors.UpstreamTimeout) as post_error,
    ):
        quick.cardholders.close(holder, 1, 1, "test")
    assert post_error.value.outcome_unknown is True
    assert attempts("/app/partners/{partnerId}/cardholders/{cardholderId}/close") == [1]


def test_slow_drip_is_cut_at_the_deadline(
    make_cms: Callable[..., CmsClient], sign_in: Callable[..., SessionHolder], clean_faults: SandboxHandle
) -> None:
    tight = make_cms(deadline=1.5, get_attempts=1)
    holder = sign_in(ANA, client=tight)
    clean_faults.set_fault(ME, "drip", interval=0.2)
    started = time.monotonic()
    with pytest.raises(errors.UpstreamTimeout):
        tight.auth.me(holder)
    assert time.monotonic() - started < 1.5 + 1.0


def test_connection_reset_is_a_timeout_class_failure(
    cms: CmsClient, holder: SessionHolder, clean_faults: SandboxHandle
) -> None:
    clean_faults.set_fault(ME, "reset")
    with pytest.raises((errors.UpstreamTimeout, errors.BadUpstreamResponse)):
        cms.auth.me(holder)


def test_connection_refused_is_unavailable_and_fast(merchant_keys: KeyPair, signing_keys: KeyPair) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = CmsClient(
        CmsSettings(
            base_url=f"http://127.0.0.1:{port}/cms/rest",
            merchant="migo-console",
            merchant_private_key_pem=merchant_keys.private_pem,
            upstream_public_key_pem=signing_keys.public_pem,
        )
    )
    started = time.monotonic()
    with pytest.raises(errors.UpstreamUnavailable):
        client.app_status()
    assert time.monotonic() - started < 4.0
    client.close()


def test_breaker_opens_then_a_probe_closes_it(
    sandbox: SandboxHandle,
    merchant_keys: KeyPair,
    signing_keys: KeyPair,
    sign_in: Callable[..., SessionHolder],
    clean_faults: SandboxHandle,
) -> None:
    clock = FakeClock()
    client = CmsClient(
        CmsSettings(
            base_url=sandbox.base_url,
            merchant="migo-console",
            merchant_private_key_pem=merchant_keys.private_pem,
            upstream_public_key_pem=signing_keys.public_pem,
            breaker_failures=3,
            breaker_reset_seconds=30,
        ),
        clock=clock,
    )
    holder = sign_in(ANA, client=client)
    clean_faults.set_fault(ME, "status", status=500)
    for _ in range(3):
        with pytest.raises(errors.ServerError):
            client.auth.me(holder)
    seen = _calls(clean_faults, ME)
    with pytest.raises(errors.CircuitOpen):
        client.auth.me(holder)
    assert _calls(clean_faults, ME) == seen
    clean_faults.clear_faults()
    clock.advance(31)
    assert client.auth.me(holder).email == ANA
    assert client.breaker.state == "closed"
    client.close()


def test_idempotency_key_reaches_the_upstream(
    cms: CmsClient, holder: SessionHolder, clean_faults: SandboxHandle
) -> None:
    key = str(uuid.uuid4())
    with pytest.raises(errors.ApiError):
        cms.cardholders.create(holder, 1, {"name": "incomplete"}, idempotency_key=key)
    recorded = clean_faults.calls("POST /app/partners/1/cardholders")
    assert recorded
    assert recorded[-1]["idempotencyKey"] == key


def test_search_text_travels_only_as_a_query_key(
    cms: CmsClient, holder: SessionHolder, clean_faults: SandboxHandle, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="webapp.cms"):
        cms.cardholders.list(holder, 1, search="1234567890123")
    recorded = clean_faults.calls("GET /app/partners/1/cardholders")
    assert "searchText" in recorded[-1]["queryKeys"]
    ours = [r for r in caplog.records if r.name.startswith("webapp.cms")]
    assert ours
    assert all("1234567890123" not in r.getMessage() + str(r.__dict__) for r in ours)
