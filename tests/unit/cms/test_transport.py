"""The transport: error mapping, retry decisions (counted), deadline, size cap, redirects, breaker, logs."""

from __future__ import annotations

import email.utils
import logging
import time
from typing import Any

import httpx
import pytest

from tests.unit.cms.fakes import FakeClock, FakeCms, drip, envelope, failure, holder, make_client, settings
from webapp.cms import CmsClient, errors
from webapp.cms.settings import validate_base_url
from webapp.cms.timing import reset_upstream_timer, upstream_elapsed_ms
from webapp.cms.wire import ApiRequest

ME = "GET /app/users/me"
ME_DATA = {"id": 7, "email": "ana@demo.migo", "name": "Ana", "status": "active", "partners": []}
DETAIL = "POST /app/partners/1/cardholders/5"
CREATE = "POST /app/partners/1/cardholders"


def _me(fake: FakeCms, **overrides: Any) -> None:
    client = make_client(fake, **overrides)
    client.auth.me(holder())


def _create(fake: FakeCms, **overrides: Any) -> None:
    client = make_client(fake, **overrides)
    client.cardholders.create(holder(), 1, {"name": "Ana"}, idempotency_key="k-1")


# -- error mapping -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (httpx.ConnectError("refused"), errors.UpstreamUnavailable),
        (httpx.ConnectTimeout("slow connect"), errors.UpstreamUnavailable),
        (httpx.PoolTimeout("pool"), errors.UpstreamUnavailable),
        (httpx.ReadTimeout("slow read"), errors.UpstreamTimeout),
        (httpx.RemoteProtocolError("reset"), errors.UpstreamTimeout),
        (httpx.ReadError("reset"), errors.UpstreamTimeout),
    ],
)
def test_transport_failures_map_to_the_tree(exc: Exception, cls: type[errors.CmsError]) -> None:
    fake = FakeCms(routes={ME: exc})
    with pytest.raises(cls):
        _me(fake)


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="not json {"),
        httpx.Response(200, html="<html><body>Bad gateway</body></html>"),
        httpx.Response(200, content=b""),
        httpx.Response(200, json=[1, 2, 3]),
        httpx.Response(200, json={"data": {}}),
        httpx.Response(200, json={"success": False, "errors": [{"code": "7003", "message": "x"}]}),
        httpx.Response(200, content=b'{"success": true, "data": NaN}'),
    ],
)
def test_malformed_answers_are_bad_upstream_responses(response: httpx.Response) -> None:
    fake = FakeCms(routes={ME: response})
    with pytest.raises(errors.BadUpstreamResponse):
        _me(fake)


def test_a_404_page_without_the_envelope_on_a_documented_operation_is_a_bad_answer() -> None:
    """On an assumed operation the same page means the CMS lacks it (tests/unit/cms/test_capabilities.py)."""
    fake = FakeCms(routes={"GET /app/modules": httpx.Response(404, html="<h1>not found</h1>")})
    with pytest.raises(errors.BadUpstreamResponse):
        make_client(fake).permissions.modules(holder())


def test_success_false_inside_200_keeps_the_upstream_code() -> None:
    body = {
        "success": False,
        "message": "weird",
        "errors": [{"code": "7003", "message": "Please contact support."}],
    }
    fake = FakeCms(routes={ME: httpx.Response(200, json=body)})
    with pytest.raises(errors.BadUpstreamResponse) as info:
        _me(fake)
    assert info.value.code == "7003"


def test_html_proxy_502_is_a_server_error() -> None:
    fake = FakeCms(routes={ME: httpx.Response(502, html="<html>Bad Gateway</html>")})
    with pytest.raises(errors.ServerError) as info:
        _me(fake, get_attempts=1)
    assert info.value.status == 502


def test_quickstart_status_code_envelope_is_accepted() -> None:
    fake = FakeCms(
        routes={ME: httpx.Response(200, json={"statusCode": 200, "message": "ok", "data": ME_DATA})}
    )
    client = make_client(fake)
    assert client.auth.me(holder()).email == "ana@demo.migo"


def test_envelope_error_is_mapped_with_verbatim_message() -> None:
    fake = FakeCms(routes={DETAIL: failure(404, "8012", "Cardholder not found.")})
    client = make_client(fake)
    with pytest.raises(errors.NotFound) as info:
        client.cardholders.detail(holder(), 1, 5)
    assert (info.value.code, info.value.message) == ("8012", "Cardholder not found.")


# -- redirects, size, deadline -------------------------------------------------------------------------------
def test_redirect_is_an_error_and_never_followed() -> None:
    fake = FakeCms(
        routes={
            ME: httpx.Response(302, headers={"Location": "https://evil.test/steal"}),
        }
    )
    client = make_client(fake)
    with pytest.raises(errors.BadUpstreamResponse) as info:
        client.auth.me(holder())
    assert info.value.status == 302
    assert all(r.url.host == "cms.test" for r in fake.calls)


def test_declared_size_over_the_cap_is_refused_without_reading() -> None:
    big = httpx.Response(200, headers={"Content-Length": "999999999"}, content=b"")
    fake = FakeCms(routes={ME: big})
    with pytest.raises(errors.BadUpstreamResponse, match="too large"):
        _me(fake)


def test_streamed_body_over_the_cap_is_cut() -> None:
    clock = FakeClock()
    chunks = [b'{"success": true, "data": "' + b"x" * 1000] * 50
    fake = FakeCms(routes={ME: lambda r: httpx.Response(200, stream=drip(chunks, clock, 0.0))})
    client = make_client(fake, clock=clock, max_response_bytes=10_000)
    with pytest.raises(errors.BadUpstreamResponse, match="too large"):
        client.auth.me(holder())


def test_slow_drip_is_cut_at_the_deadline() -> None:
    clock = FakeClock()
    chunks = [b" "] * 100 + [b'{"success": true}']
    fake = FakeCms(routes={ME: lambda r: httpx.Response(200, stream=drip(chunks, clock, 1.0))})
    client = make_client(fake, clock=clock, deadline=15.0, get_attempts=1)
    start = clock.now
    with pytest.raises(errors.UpstreamTimeout):
        client.auth.me(holder())
    assert clock.now - start <= 15.0 + 1.0


def test_drip_on_a_post_marks_the_outcome_unknown() -> None:
    clock = FakeClock()
    chunks = [b" "] * 100
    fake = FakeCms(routes={CREATE: lambda r: httpx.Response(201, stream=drip(chunks, clock, 1.0))})
    client = make_client(fake, clock=clock)
    with pytest.raises(errors.UpstreamTimeout) as info:
        client.cardholders.create(holder(), 1, {"name": "Ana"}, idempotency_key="k")
    assert info.value.outcome_unknown is True
    assert fake.count(CREATE) == 1


def test_per_attempt_timeouts_never_exceed_the_remaining_deadline() -> None:
    seen: list[dict[str, float]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return envelope(ME_DATA)

    fake = FakeCms(routes={ME: answer})
    _me(fake, deadline=4.0)
    assert seen[0]["connect"] == 3.0
    assert seen[0]["read"] <= 4.0
    assert seen[0]["pool"] == 2.0


# -- retries -------------------------------------------------------------------------------------------------
def test_get_retries_a_503_once_then_succeeds() -> None:
    fake = FakeCms(routes={ME: [failure(503, "8026"), envelope(ME_DATA)]})
    _me(fake)
    assert fake.count(ME) == 2


def test_get_gives_up_after_the_attempt_budget() -> None:
    fake = FakeCms(routes={ME: [failure(503, "8026"), failure(503, "8026"), envelope(ME_DATA)]})
    with pytest.raises(errors.ServerError):
        _me(fake)
    assert fake.count(ME) == 2


@pytest.mark.parametrize("status", [502, 504])
def test_get_retries_gateway_errors(status: int) -> None:
    fake = FakeCms(routes={ME: [httpx.Response(status), envelope(ME_DATA)]})
    _me(fake)
    assert fake.count(ME) == 2


def test_get_does_not_retry_a_500() -> None:
    fake = FakeCms(routes={ME: [failure(500, "7003"), envelope(ME_DATA)]})
    with pytest.raises(errors.ServerError):
        _me(fake)
    assert fake.count(ME) == 1


@pytest.mark.parametrize(
    "exc", [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("reset"), httpx.ConnectError("refused")]
)
def test_get_retries_transport_failures(exc: Exception) -> None:
    fake = FakeCms(routes={ME: [exc, envelope(ME_DATA)]})
    _me(fake)
    assert fake.count(ME) == 2


@pytest.mark.parametrize("response", [failure(503, "8026"), failure(502, "7003"), failure(429, "8021")])
def test_post_is_never_retried_on_answers(response: httpx.Response) -> None:
    fake = FakeCms(routes={CREATE: [response, envelope({})]})
    with pytest.raises(errors.ApiError):
        _create(fake)
    assert fake.count(CREATE) == 1


def test_post_read_timeout_is_not_retried_and_outcome_unknown() -> None:
    fake = FakeCms(routes={CREATE: [httpx.ReadTimeout("slow"), envelope({})]})
    with pytest.raises(errors.UpstreamTimeout) as info:
        _create(fake)
    assert info.value.outcome_unknown is True
    assert fake.count(CREATE) == 1


def test_post_504_marks_outcome_unknown_but_a_get_does_not() -> None:
    fake = FakeCms(routes={CREATE: failure(504, "7003")})
    with pytest.raises(errors.ServerError) as info:
        _create(fake)
    assert info.value.outcome_unknown is True
    fake2 = FakeCms(routes={ME: failure(504, "7003")})
    with pytest.raises(errors.ServerError) as info2:
        _me(fake2)
    assert info2.value.outcome_unknown is False


def test_post_is_retried_when_nothing_was_sent() -> None:
    fake = FakeCms(routes={CREATE: [httpx.ConnectError("refused"), envelope(_CARDHOLDER)]})
    _create(fake)
    assert fake.count(CREATE) == 2
    assert {
        r.headers["Idempotency-Key"] for r in fake.calls if r.method == "POST" and "cardholders" in r.url.path
    } == {"k-1"}


def test_cardholder_detail_post_is_not_retried_even_on_503() -> None:
    fake = FakeCms(routes={DETAIL: [failure(503, "8026"), envelope(_CARDHOLDER)]})
    client = make_client(fake)
    with pytest.raises(errors.ServerError):
        client.cardholders.detail(holder(), 1, 5, otp="123456")
    assert fake.count(DETAIL) == 1


@pytest.mark.parametrize(
    ("value", "calls"),
    [("1", 2), ("0", 2), ("3600", 1), ("soon", 1), (None, 1)],
)
def test_429_is_retried_only_with_a_short_retry_after(value: str | None, calls: int) -> None:
    headers = {"Retry-After": value} if value is not None else {}
    first = failure(429, "8021", **headers)
    fake = FakeCms(routes={ME: [first, envelope(ME_DATA)]})
    if calls == 2:
        _me(fake)
    else:
        with pytest.raises(errors.RateLimited) as info:
            _me(fake)
        expected = float(value) if value and value.isdigit() else None
        assert info.value.retry_after == expected
    assert fake.count(ME) == calls


@pytest.mark.parametrize(("value", "calls"), [("1", 2), ("3600", 1), ("garbage", 2)])
def test_503_retry_after_rules(value: str, calls: int) -> None:
    fake = FakeCms(routes={ME: [failure(503, "8026", Retry_After=value), envelope(ME_DATA)]})
    if calls == 2:
        _me(fake)
    else:
        with pytest.raises(errors.ServerError):
            _me(fake)
    assert fake.count(ME) == calls


def test_retry_after_as_http_date_in_the_near_future_is_honoured() -> None:
    soon = email.utils.formatdate(time.time() + 1, usegmt=True)
    fake = FakeCms(routes={ME: [failure(429, "8021", Retry_After=soon), envelope(ME_DATA)]})
    _me(fake)
    assert fake.count(ME) == 2


def test_a_long_retry_after_is_not_slept_on() -> None:
    import stamina

    with stamina.set_testing(False):
        fake = FakeCms(routes={ME: [failure(429, "8021", Retry_After="3600"), envelope(ME_DATA)]})
        started = time.monotonic()
        with pytest.raises(errors.RateLimited):
            _me(fake)
        assert time.monotonic() - started < 1.0


# -- breaker -------------------------------------------------------------------------------------------------
def test_breaker_opens_after_consecutive_failures_and_stops_calling() -> None:
    clock = FakeClock()
    fake = FakeCms(routes={ME: failure(500, "7003")})
    client = make_client(fake, clock=clock, breaker_failures=5, breaker_reset_seconds=30.0)
    for _ in range(5):
        with pytest.raises(errors.ServerError):
            client.auth.me(holder())
    assert client.breaker.state == "open"
    calls = fake.count(ME)
    with pytest.raises(errors.CircuitOpen) as info:
        client.auth.me(holder())
    assert fake.count(ME) == calls
    assert info.value.retry_after == pytest.approx(30.0)


def test_breaker_half_open_probe_closes_on_success() -> None:
    clock = FakeClock()
    fake = FakeCms(routes={ME: failure(500, "7003")})
    client = make_client(fake, clock=clock, breaker_failures=2, breaker_reset_seconds=30.0)
    for _ in range(2):
        with pytest.raises(errors.ServerError):
            client.auth.me(holder())
    clock.advance(29)
    with pytest.raises(errors.CircuitOpen):
        client.auth.me(holder())
    clock.advance(2)
    fake.routes[ME] = envelope(ME_DATA)
    client.auth.me(holder())
    assert client.breaker.state == "closed"
    assert fake.count(ME) == 3


def test_breaker_failed_probe_opens_again() -> None:
    clock = FakeClock()
    fake = FakeCms(routes={ME: failure(500, "7003")})
    client = make_client(fake, clock=clock, breaker_failures=2, breaker_reset_seconds=30.0)
    for _ in range(2):
        with pytest.raises(errors.ServerError):
            client.auth.me(holder())
    clock.advance(31)
    with pytest.raises(errors.ServerError):
        client.auth.me(holder())
    with pytest.raises(errors.CircuitOpen):
        client.auth.me(holder())


def test_4xx_never_trip_the_breaker() -> None:
    fake = FakeCms(routes={ME: failure(403, "8011"), DETAIL: failure(422, "7000")})
    client = make_client(fake, breaker_failures=2)
    for _ in range(6):
        with pytest.raises(errors.PermissionDenied):
            client.auth.me(holder())
        with pytest.raises(errors.ValidationFailed):
            client.cardholders.detail(holder(), 1, 5)
    assert client.breaker.state == "closed"


def test_timeouts_and_connect_errors_count_for_the_breaker() -> None:
    fake = FakeCms(routes={ME: [httpx.ConnectError("x"), httpx.ReadTimeout("y")]})
    client = make_client(fake, breaker_failures=4, get_attempts=2)
    for _ in range(2):
        with pytest.raises((errors.UpstreamUnavailable, errors.UpstreamTimeout)):
            client.auth.me(holder())
    assert client.breaker.state == "open"


# -- configuration, logs, timing -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "http://cms.example.com/cms/rest",
        "ftp://cms.test",
        "https://user:pw@cms.test/",
        "https://cms.test/?a=1",
        "cms",
    ],
)
def test_base_url_must_be_https_or_loopback(url: str) -> None:
    with pytest.raises(ValueError, match="base URL"):
        validate_base_url(url)


@pytest.mark.parametrize(
    "url", ["https://api.ali.app/cms/rest/", "http://127.0.0.1:5001/cms/rest", "http://localhost:1"]
)
def test_good_base_urls(url: str) -> None:
    assert validate_base_url(url) == url.rstrip("/")


def test_the_shared_httpx_client_is_configured_explicitly() -> None:
    client = CmsClient(settings())
    http = client.upstream._http
    assert http.follow_redirects is False
    assert http.timeout == httpx.Timeout(connect=3.0, read=10.0, write=10.0, pool=2.0)
    assert http.trust_env is False
    client.close()


def test_one_log_line_per_call_with_route_template_and_no_query_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    page = {"items": [], "page": 1, "limit": 50, "total": 0, "totalPages": 0}
    fake = FakeCms(routes={"GET /app/partners/1/cardholders": envelope(page)})
    client = make_client(fake)
    h = holder()
    with caplog.at_level(logging.INFO, logger="webapp.cms"):
        client.cardholders.list(h, 1, search="1234567890101")
    lines = [r for r in caplog.records if r.name == "webapp.cms"]
    business = [
        r for r in lines if getattr(r, "upstream_route", "") == "/app/partners/{partnerId}/cardholders"
    ]
    assert len(business) == 1
    record = business[0]
    assert record.upstream_status == 200  # type: ignore[attr-defined]
    assert record.attempt == 1  # type: ignore[attr-defined]
    text = "\n".join(r.getMessage() + str(r.__dict__) for r in lines)
    assert "1234567890101" not in text
    tokens = h.load()
    assert tokens is not None
    assert tokens.access_token not in text


def test_upstream_time_accumulates_per_thread() -> None:
    clock = FakeClock()
    chunks = [b'{"success": true, "data":', b"1}"]
    fake = FakeCms(routes={ME: lambda r: httpx.Response(200, stream=drip(chunks, clock, 0.25))})
    client = make_client(fake, clock=clock)
    reset_upstream_timer()
    client.upstream.send(ApiRequest("GET", "/app/users/me", "/app/users/me"))
    assert upstream_elapsed_ms() == pytest.approx(500.0)
    reset_upstream_timer()
    assert upstream_elapsed_ms() == 0.0


_CARDHOLDER = {
    "cardholderId": 5,
    "name": "Ana",
    "lastName": "López",
    "status": "active",
    "piiMasked": True,
}


def test_a_cookie_set_in_one_answer_never_rides_along_in_a_later_call() -> None:
    """One client serves every operator: a session cookie from the CMS (or a proxy before it) is refused."""
    answers = [
        envelope(ME_DATA, headers={"Set-Cookie": "connect.sid=s%3Aoperator-a; Path=/; HttpOnly"}),
        envelope(ME_DATA),
    ]
    fake = FakeCms(routes={ME: answers})
    client = make_client(fake)
    client.auth.me(holder())
    client.auth.me(holder())
    sent = [request for request in fake.calls if request.url.path.endswith("/app/users/me")]
    assert len(sent) == 2
    assert [request.headers.get("cookie") for request in sent] == [None, None]
