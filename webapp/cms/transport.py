"""Transport to the CMS API: one shared httpx.Client, bounded time and size, retries, breaker, envelopes.

Everything here is about *how* bytes travel and what an answer means: the one place that maps an upstream
answer, or the failure to get one, onto the error tree (errors.py). Tokens live in auth.py and the
operations in resources/. One Upstream per process; it is thread-safe.
"""

from __future__ import annotations

import http.cookiejar
import logging
import ssl
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import stamina

from webapp.cms import errors, telemetry
from webapp.cms.answers import answer_to_reply
from webapp.cms.breaker import CircuitBreaker
from webapp.cms.settings import CmsSettings, validate_base_url
from webapp.cms.timing import (
    RETRY_WAIT_INITIAL,
    RETRY_WAIT_JITTER,
    RETRY_WAIT_MAX,
    Clock,
    add_upstream_time,
    attempt_timeout,
    shrink_read_timeout,
    wait_as_told,
)
from webapp.cms.wire import ApiRequest, Reply, dump_json
from webapp.parsing import is_ascii_digits, parse_int

logger = logging.getLogger("webapp.cms")
# The console's security-event channel (webapp.logging_setup writes it as structured JSON). Named, not
# imported, so this package stays free of Flask.
security_logger = logging.getLogger("webapp.security")

_RETRYABLE_5XX = frozenset({502, 503, 504})


class _PoolExhausted(errors.UpstreamUnavailable):
    """Our own pool is full: the upstream was not reached and is not to blame, so the breaker ignores it."""


class _TlsRefused(errors.UpstreamUnavailable):
    """The upstream's certificate did not verify: asking again would meet the same certificate
    (docs/faults.md F17)."""


@dataclass
class _Attempt:
    """What the log line of one attempt says, filled in as the attempt goes."""

    req: ApiRequest
    num: int
    streaming: bool
    started: float = 0.0
    status: int | None = None
    outcome: str = "error"


class _BodyTooBig(Exception):
    pass


class _DeadlinePassed(Exception):
    pass


class _RefuseAll(http.cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie: http.cookiejar.Cookie, request: urllib.request.Request) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: urllib.request.Request) -> bool:
        return False


def _no_cookies() -> http.cookiejar.CookieJar:
    """A jar that keeps nothing. One client serves every operator, and the API's sessions are its tokens: a
    cookie the CMS (or a proxy in front of it) set in one operator's answer must never ride along in another's
    call."""
    return http.cookiejar.CookieJar(policy=_RefuseAll())


class Upstream:
    """The shared httpx.Client plus the rules every upstream call follows."""

    def __init__(
        self,
        settings: CmsSettings,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.base_url = validate_base_url(settings.base_url)
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_reset_seconds, clock)
        self._http = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            timeout=attempt_timeout(settings),
            limits=httpx.Limits(
                max_connections=settings.max_pool, max_keepalive_connections=settings.max_pool
            ),
            follow_redirects=False,
            verify=settings.verify_tls,
            trust_env=False,
            headers={"Accept": "application/json", "User-Agent": "migo-cms-console"},
            cookies=_no_cookies(),
        )

    def close(self) -> None:
        self._http.close()

    # -- one logical call, with retries ----------------------------------------------------------------------
    def send(self, req: ApiRequest, auth_headers: Mapping[str, str] | None = None) -> Reply:
        budget = req.deadline if req.deadline is not None else self.settings.deadline
        deadline_at = self.clock() + budget

        def should_retry(exc: BaseException) -> bool | float:
            return isinstance(exc, Exception) and self._retry_decision(req, exc, deadline_at)

        for attempt in stamina.retry_context(
            on=should_retry,
            attempts=max(1, self.settings.get_attempts),
            timeout=budget,
            wait_initial=RETRY_WAIT_INITIAL,
            wait_max=RETRY_WAIT_MAX,
            wait_jitter=RETRY_WAIT_JITTER,
        ):
            with attempt:
                return self._attempt(req, auth_headers or {}, attempt.num, deadline_at)
        raise AssertionError("unreachable: stamina re-raises the last failure")  # pragma: no cover

    def _retry_decision(self, req: ApiRequest, exc: Exception, deadline_at: float) -> bool | float:
        """GETs retry transient failures; anything else only when nothing was sent (RFC 9110 §9.2.2)."""
        remaining = deadline_at - self.clock()
        if remaining <= 0 or isinstance(exc, errors.CircuitOpen | errors.AppAuthFailed):
            return False
        if isinstance(exc, _PoolExhausted | _TlsRefused):
            # Waiting for our own full pool a second time would park the worker twice as long
            # (docs/faults.md F19); a certificate that failed verification fails again, and each try is one
            # more security event (docs/faults.md F17).
            return False
        if isinstance(exc, errors.UpstreamUnavailable):
            return True
        if not req.is_idempotent:
            return False
        if isinstance(exc, errors.UpstreamTimeout):
            return True
        if isinstance(exc, errors.RateLimited | errors.ServerError):
            hint = exc.retry_after
            if isinstance(exc, errors.RateLimited) or (exc.status == 503 and hint is not None):
                return wait_as_told(hint, self.settings.retry_after_cap, remaining)
            return exc.status in _RETRYABLE_5XX
        return False

    # -- one attempt -----------------------------------------------------------------------------------------
    def build(self, req: ApiRequest, auth_headers: Mapping[str, str], remaining: float) -> httpx.Request:
        headers = dict(auth_headers)
        if req.headers:
            headers.update(req.headers)
        content: bytes | None = None
        if req.json is not None:
            content = dump_json(req.json)
            headers["Content-Type"] = "application/json"
        files = None
        if req.files is not None:
            files = {name: (fname, data, ctype) for name, (fname, data, ctype) in req.files.items()}
        return self._http.build_request(
            req.method,
            req.path,
            params=dict(req.params) if req.params else None,
            content=content,
            data=dict(req.form) if req.form is not None else None,
            files=files,
            headers=headers,
            timeout=attempt_timeout(self.settings, remaining),
        )

    def _attempt(
        self, req: ApiRequest, auth_headers: Mapping[str, str], num: int, deadline_at: float
    ) -> Reply:
        with self._accounted(_Attempt(req, num, streaming=False)) as attempt:
            remaining = deadline_at - attempt.started
            if remaining <= 0:
                raise errors.UpstreamTimeout("The CMS did not answer in time.")
            request = self.build(req, auth_headers, remaining)
            response = self._open(req, request)
            try:
                attempt.status = response.status_code
                reply = self._read(req, request, response, deadline_at)
            finally:
                response.close()
            attempt.outcome = "ok"
            return reply

    @contextmanager
    def _accounted(self, attempt: _Attempt) -> Iterator[_Attempt]:
        """The breaker's gate and verdict, and one log line, around one attempt or stream.

        A stream logs as "stream" whatever happens and its time is not added to the page's upstream time
        (it outlives the request that opened it); a plain attempt logs its outcome."""
        self.breaker.before_call()
        attempt.started = self.clock()
        try:
            yield attempt
        except errors.CmsError as exc:
            if not attempt.streaming:
                attempt.outcome = type(exc).__name__
                if attempt.status is None:
                    attempt.status = exc.status
            self._count_for_breaker(exc)
            raise
        except GeneratorExit:
            raise
        except BaseException:
            self.breaker.release()
            raise
        finally:
            elapsed = self.clock() - attempt.started
            if not attempt.streaming:
                add_upstream_time(elapsed)
            if attempt.outcome == "ok":
                self.breaker.record_success()
            self._log(attempt.req, attempt.status, elapsed, attempt.num, attempt.outcome)
            telemetry.observe_breaker(self.breaker.state)

    def _open(self, req: ApiRequest, request: httpx.Request) -> httpx.Response:
        try:
            return self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise self._transport_error(req, exc) from exc

    def _count_for_breaker(self, exc: errors.CmsError) -> None:
        if isinstance(exc, errors.CircuitOpen):
            return
        if isinstance(exc, _PoolExhausted):
            self.breaker.release()
        elif isinstance(exc, errors.UpstreamTimeout | errors.ServerError | errors.UpstreamUnavailable):
            self.breaker.record_failure()
        else:
            # The upstream answered (a 4xx, or an odd body): it is alive.
            self.breaker.record_success()

    def _transport_error(self, req: ApiRequest, exc: httpx.TransportError) -> errors.CmsError:
        unknown = not req.is_idempotent
        if isinstance(exc, httpx.PoolTimeout):
            return _PoolExhausted("No free connection to the CMS; try again.")
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            tls_reason = _tls_failure_reason(exc)
            if tls_reason is not None:
                # A security control failing (ASVS 16.3.4): the upstream may be impersonated. Fail closed.
                security_logger.error(
                    "upstream_tls_failure",
                    extra={
                        "event": "upstream_tls_failure",
                        "upstream_host": self._http.base_url.host,
                        "upstream_route": req.route,
                        "tls_reason": tls_reason,
                    },
                )
                return _TlsRefused("The CMS cannot be reached.")
            return errors.UpstreamUnavailable("The CMS cannot be reached.")
        if isinstance(exc, httpx.TimeoutException):
            return errors.UpstreamTimeout("The CMS did not answer in time.", outcome_unknown=unknown)
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
            return errors.UpstreamTimeout("The connection to the CMS broke.", outcome_unknown=unknown)
        return errors.UpstreamUnavailable("The CMS cannot be reached.")

    def _read(
        self, req: ApiRequest, request: httpx.Request, response: httpx.Response, deadline_at: float
    ) -> Reply:
        status = response.status_code
        unknown = not req.is_idempotent
        if 300 <= status < 400:
            # Never followed: httpx would forward x-user-token to wherever Location points.
            raise errors.BadUpstreamResponse(
                f"The CMS answered with a redirect (HTTP {status}).", status=status, outcome_unknown=unknown
            )
        try:
            content = self._read_capped(request, response, deadline_at)
        except (_BodyTooBig, _DeadlinePassed) as exc:
            raise _reading_failure(exc, status, unknown) from None
        except (httpx.DecodingError, httpx.TransportError) as exc:
            raise _reading_failure(exc, status, unknown) from exc

        if 200 <= status < 300 and req.raw:
            return Reply(status=status, headers=response.headers, content=content)

        return answer_to_reply(status, response.headers, content, unknown)

    def _read_capped(self, request: httpx.Request, response: httpx.Response, deadline_at: float) -> bytes:
        cap = self.settings.max_response_bytes
        declared = response.headers.get("content-length", "")
        if is_ascii_digits(declared) and parse_int(declared, minimum=0, maximum=cap) is None:
            raise _BodyTooBig
        buf = bytearray()
        for chunk in response.iter_bytes():
            buf += chunk
            if len(buf) > cap:
                raise _BodyTooBig
            remaining = deadline_at - self.clock()
            if remaining <= 0:
                raise _DeadlinePassed
            shrink_read_timeout(request, remaining)
        return bytes(buf)

    # -- streams (SSE) ---------------------------------------------------------------------------------------
    @contextmanager
    def stream(
        self, req: ApiRequest, auth_headers: Mapping[str, str], read_timeout: float
    ) -> Iterator[httpx.Response]:
        """An open 2xx streaming response; error statuses are read (capped) and raised like any call."""
        with self._accounted(_Attempt(req, 1, streaming=True, outcome="stream")) as attempt:
            request = self.build(req, auth_headers, self.settings.deadline)
            timeout = attempt_timeout(self.settings, self.settings.deadline).as_dict()
            timeout["read"] = read_timeout
            request.extensions["timeout"] = timeout
            response = self._open(req, request)
            status = attempt.status = response.status_code
            try:
                if not 200 <= status < 300:
                    self._read(req, request, response, attempt.started + self.settings.deadline)
                    raise errors.BadUpstreamResponse("The CMS refused the stream.", status=status)
                self.breaker.record_success()
                yield response
            finally:
                response.close()

    # -- logging ---------------------------------------------------------------------------------------------
    @staticmethod
    def _log(req: ApiRequest, status: int | None, elapsed: float, attempt: int, outcome: str) -> None:
        """One log line and one metric observation per attempt (webapp.cms.telemetry)."""
        telemetry.observe_call(req.method, req.route, outcome, elapsed)
        ms = round(elapsed * 1000, 1)
        level = logging.INFO if outcome in {"ok", "stream"} else logging.WARNING
        logger.log(
            level,
            "upstream %s %s -> %s in %.1f ms (attempt %d, %s)",
            req.method,
            req.route,
            status if status is not None else "-",
            ms,
            attempt,
            outcome,
            extra={
                "event": "upstream_call" if level == logging.INFO else "upstream_error",
                "upstream_method": req.method,
                "upstream_route": req.route,
                "upstream_status": status,
                "elapsed_ms": ms,
                "attempt": attempt,
                "outcome": outcome,
            },
        )


def _reading_failure(exc: Exception, status: int, unknown: bool) -> errors.CmsError:
    """What a failure while reading an answer's body means."""
    kind: type[errors.CmsError]
    if isinstance(exc, _BodyTooBig):
        kind, message = errors.BadUpstreamResponse, "The CMS answer is too large."
    elif isinstance(exc, _DeadlinePassed | httpx.TimeoutException):
        kind, message = errors.UpstreamTimeout, "The CMS answer took too long."
    elif isinstance(exc, httpx.DecodingError):
        kind, message = errors.BadUpstreamResponse, "The CMS answer could not be decoded."
    else:
        kind, message = errors.UpstreamTimeout, "The connection to the CMS broke."
    return kind(message, status=status, outcome_unknown=unknown)


def _tls_failure_reason(exc: BaseException) -> str | None:
    """Why the TLS handshake failed (e.g. "self-signed certificate", "Hostname mismatch, …"), or None when
    the failure was not TLS."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, ssl.SSLCertVerificationError):
            return str(cur.verify_message or cur.reason or "certificate verify failed")
        if isinstance(cur, ssl.SSLError):
            return str(cur.reason or type(cur).__name__)
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "SSL" in str(exc):
        return "TLS handshake failed"
    return None
