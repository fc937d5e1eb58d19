"""Transport to the CMS API: one shared httpx.Client, bounded time and size, retries, breaker, envelopes.

Everything here is about *how* bytes travel and what an answer means; tokens live in auth.py and the
operations in resources/. One CmsClient per process; it is thread-safe.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import stamina

from webapp.cms import errors, telemetry
from webapp.cms.capabilities import Capabilities
from webapp.cms.models import AppTokenStatus
from webapp.parsing import is_ascii_digits, parse_int

logger = logging.getLogger("webapp.cms")
# The console's security-event channel (webapp.logging_setup writes it as structured JSON). Named, not
# imported, so this package stays free of Flask.
security_logger = logging.getLogger("webapp.security")

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_SAFE_METHODS = frozenset({"GET", "HEAD"})
_RETRYABLE_5XX = frozenset({502, 503, 504})
_GATEWAY_5XX = frozenset({502, 504})
# These keep their meaning even from an edge proxy without the envelope (e.g. nginx's 413 page).
_STATUS_ONLY_4XX = frozenset({413, 429})
# Uploads and evidence carry up to 16 MB; they get a longer overall budget than a page read.
UPLOAD_DEADLINE_FACTOR = 4.0

Clock = Callable[[], float]


@dataclass(frozen=True)
class CmsSettings:
    """How to reach and trust the upstream. Defaults follow security-checklist §4.4."""

    base_url: str
    merchant: str
    # Only the signed app login needs the private key; without a public key token signatures go unverified.
    merchant_private_key_pem: bytes | None = field(default=None, repr=False)
    upstream_public_key_pem: bytes | None = field(default=None, repr=False)
    app_login: str = "plain"
    # Claim expectations: each off (None / empty) unless configured (contract/ASSUMPTIONS.md §2).
    token_issuer: str | None = None
    token_audience: str | None = None
    token_type_claim: str | None = None
    token_required_claims: tuple[str, ...] = ()
    capabilities_off: frozenset[str] = frozenset()
    # How long a verified code counts when the CMS answers the verification without an elevated token.
    elevation_seconds: int = 300
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    write_timeout: float = 10.0
    pool_timeout: float = 2.0
    deadline: float = 15.0
    max_response_bytes: int = 5_000_000
    max_pool: int = 20
    get_attempts: int = 2
    retry_after_cap: float = 2.0
    breaker_failures: int = 5
    breaker_reset_seconds: float = 30.0
    verify_tls: bool = True
    refresh_margin: int = 30


def validate_base_url(base_url: str) -> str:
    """https only, or plain http to loopback (the sandbox); no credentials, query or fragment in the URL."""
    url = httpx.URL(base_url)
    host = url.host
    if url.scheme == "https" or (url.scheme == "http" and host in _LOOPBACK_HOSTS):
        pass
    else:
        raise ValueError("CMS base URL must be https:// (plain http only for 127.0.0.1/localhost)")
    if not host or url.userinfo or url.query or url.fragment:
        raise ValueError("CMS base URL must be a plain https://host/path URL")
    return str(url).rstrip("/")


# -- per-thread upstream time, for the console's Server-Timing header ----------------------------------------
_timer = threading.local()


def reset_upstream_timer() -> None:
    _timer.seconds = 0.0


def upstream_elapsed() -> float:
    """Seconds spent waiting on the upstream by this thread since the last reset."""
    return float(getattr(_timer, "seconds", 0.0))


def upstream_elapsed_ms() -> float:
    return upstream_elapsed() * 1000.0


def _add_upstream_time(seconds: float) -> None:
    _timer.seconds = upstream_elapsed() + seconds


# -- circuit breaker -----------------------------------------------------------------------------------------
class CircuitBreaker:
    """Consecutive-failure breaker: open after N failures, one half-open probe after `reset_seconds`.

    Small and local on purpose: each console node judges the upstream from its own calls.
    """

    def __init__(self, failures: int, reset_seconds: float, clock: Clock = time.monotonic) -> None:
        self._threshold = max(1, failures)
        self._reset = reset_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            if self._probing or self._clock() - self._opened_at >= self._reset:
                return "half-open"
            return "open"

    def before_call(self) -> None:
        """Raise CircuitOpen unless a call may go out now (closed, or the single half-open probe)."""
        with self._lock:
            if self._opened_at is None:
                return
            waited = self._clock() - self._opened_at
            if waited >= self._reset and not self._probing:
                self._probing = True
                return
            remaining = max(0.0, self._reset - waited)
            raise errors.CircuitOpen(
                "The CMS is unavailable (circuit open); try again shortly.",
                status=503,
                retry_after=remaining if remaining > 0 else None,
            )

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probing = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._probing or self._failures >= self._threshold:
                self._opened_at = self._clock()
            self._probing = False

    def release(self) -> None:
        """A call ended without telling anything about the upstream: let another probe through."""
        with self._lock:
            self._probing = False


# -- requests and replies ------------------------------------------------------------------------------------
FilePart = tuple[str, bytes, str]


@dataclass
class ApiRequest:
    """One upstream operation. `route` is the path template used in logs (never query values)."""

    method: str
    path: str
    route: str
    params: Mapping[str, str | int] | None = None
    json: Any = None
    form: Mapping[str, str] | None = None
    files: Mapping[str, FilePart] | None = None
    headers: Mapping[str, str] | None = None
    idempotent: bool | None = None
    raw: bool = False
    deadline: float | None = None

    @property
    def is_idempotent(self) -> bool:
        return self.method.upper() in _SAFE_METHODS if self.idempotent is None else self.idempotent


@dataclass
class Reply:
    status: int
    headers: httpx.Headers
    data: Any = None
    content: bytes = b""
    message: str | None = None


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def parse_json(content: bytes) -> Any:
    """JSON with Decimal for non-integers (money stays exact) and no NaN/Infinity."""
    return json.loads(content, parse_float=Decimal, parse_constant=_reject_constant)


class _PoolExhausted(errors.UpstreamUnavailable):
    """Our own pool is full: the upstream was not reached and is not to blame, so the breaker ignores it."""


class _TlsRefused(errors.UpstreamUnavailable):
    """The upstream's certificate did not verify: asking again would meet the same certificate (F17)."""


class _BodyTooBig(Exception):
    pass


class _DeadlinePassed(Exception):
    pass


class Upstream:
    """The shared httpx.Client plus the rules every upstream call follows."""

    def __init__(
        self,
        settings: CmsSettings,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self.clock = clock
        self.base_url = validate_base_url(settings.base_url)
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_reset_seconds, clock)
        self._http = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.write_timeout,
                pool=settings.pool_timeout,
            ),
            limits=httpx.Limits(
                max_connections=settings.max_pool, max_keepalive_connections=settings.max_pool
            ),
            follow_redirects=False,
            verify=settings.verify_tls,
            trust_env=False,
            headers={"Accept": "application/json", "User-Agent": "migo-cms-console"},
        )

    def close(self) -> None:
        self._http.close()

    # -- one logical call, with retries ----------------------------------------------------------------------
    def send(self, req: ApiRequest, auth_headers: Mapping[str, str] | None = None) -> Reply:
        budget = req.deadline if req.deadline is not None else self.settings.deadline
        deadline_at = self._clock() + budget

        def should_retry(exc: BaseException) -> bool | float:
            return isinstance(exc, Exception) and self._retry_decision(req, exc, deadline_at)

        for attempt in stamina.retry_context(
            on=should_retry,
            attempts=max(1, self.settings.get_attempts),
            timeout=budget,
            wait_initial=0.2,
            wait_max=1.0,
            wait_jitter=0.8,
        ):
            with attempt:
                return self._attempt(req, auth_headers or {}, attempt.num, deadline_at)
        raise AssertionError("unreachable: stamina re-raises the last failure")  # pragma: no cover

    def _retry_decision(self, req: ApiRequest, exc: Exception, deadline_at: float) -> bool | float:
        """GETs retry transient failures; anything else only when nothing was sent (RFC 9110 §9.2.2)."""
        remaining = deadline_at - self._clock()
        if remaining <= 0 or isinstance(exc, errors.CircuitOpen | errors.AppAuthFailed):
            return False
        if isinstance(exc, _PoolExhausted | _TlsRefused):
            # Waiting for our own full pool a second time would park the worker twice as long (F19); a
            # certificate that failed verification fails again, and each try is one more security event (F17).
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
                if hint is None or hint > self.settings.retry_after_cap or hint >= remaining:
                    return False
                return float(hint)
            return exc.status in _RETRYABLE_5XX
        return False

    # -- one attempt -----------------------------------------------------------------------------------------
    def _timeout_for(self, remaining: float) -> httpx.Timeout:
        s = self.settings
        return httpx.Timeout(
            connect=min(s.connect_timeout, remaining),
            read=min(s.read_timeout, remaining),
            write=min(s.write_timeout, remaining),
            pool=min(s.pool_timeout, remaining),
        )

    def build(self, req: ApiRequest, auth_headers: Mapping[str, str], remaining: float) -> httpx.Request:
        headers = dict(auth_headers)
        if req.headers:
            headers.update(req.headers)
        content: bytes | None = None
        if req.json is not None:
            content = json.dumps(req.json, default=_json_default, ensure_ascii=False).encode()
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
            timeout=self._timeout_for(remaining),
        )

    def _attempt(
        self, req: ApiRequest, auth_headers: Mapping[str, str], num: int, deadline_at: float
    ) -> Reply:
        self.breaker.before_call()
        started = self._clock()
        status: int | None = None
        outcome = "error"
        try:
            remaining = deadline_at - started
            if remaining <= 0:
                raise errors.UpstreamTimeout("The CMS did not answer in time.")
            request = self.build(req, auth_headers, remaining)
            try:
                response = self._http.send(request, stream=True)
            except httpx.TransportError as exc:
                raise self._transport_error(req, exc) from exc
            try:
                status = response.status_code
                reply = self._read(req, request, response, deadline_at)
            finally:
                response.close()
            outcome = "ok"
            return reply
        except errors.CmsError as exc:
            outcome = type(exc).__name__
            if status is None:
                status = exc.status
            self._count_for_breaker(exc)
            raise
        except BaseException:
            self.breaker.release()
            raise
        finally:
            elapsed = self._clock() - started
            _add_upstream_time(elapsed)
            if outcome == "ok":
                self.breaker.record_success()
            self._log(req, status, elapsed, num, outcome)
            telemetry.observe_breaker(self.breaker.state)

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
        except _BodyTooBig:
            raise errors.BadUpstreamResponse(
                "The CMS answer is too large.", status=status, outcome_unknown=unknown
            ) from None
        except _DeadlinePassed:
            raise errors.UpstreamTimeout(
                "The CMS answer took too long.", status=status, outcome_unknown=unknown
            ) from None
        except httpx.TimeoutException as exc:
            raise errors.UpstreamTimeout(
                "The CMS answer took too long.", status=status, outcome_unknown=unknown
            ) from exc
        except httpx.DecodingError as exc:
            raise errors.BadUpstreamResponse(
                "The CMS answer could not be decoded.", status=status, outcome_unknown=unknown
            ) from exc
        except httpx.TransportError as exc:
            raise errors.UpstreamTimeout(
                "The connection to the CMS broke.", status=status, outcome_unknown=unknown
            ) from exc

        if 200 <= status < 300 and req.raw:
            return Reply(status=status, headers=response.headers, content=content)

        body: Any = None
        if content.strip():
            try:
                body = parse_json(content)
            except ValueError:
                body = None

        if 400 <= status < 500 and status not in _STATUS_ONLY_4XX and not _looks_like_envelope(body):
            # A 4xx without the envelope came from something in between (a proxy page), not from the API.
            raise errors.BadUpstreamResponse(
                f"Unexpected HTTP {status} answer without the CMS envelope.", status=status
            )
        if status >= 400:
            gateway_unknown = unknown and status in _GATEWAY_5XX
            raise errors.error_from_response(status, body, response.headers, outcome_unknown=gateway_unknown)
        if status < 200:
            raise errors.BadUpstreamResponse(f"Unexpected HTTP {status} from the CMS.", status=status)
        if status == 204 and not content.strip():
            return Reply(status=status, headers=response.headers)
        return self._envelope(body, status, response.headers, unknown)

    @staticmethod
    def _envelope(body: Any, status: int, headers: httpx.Headers, unknown: bool) -> Reply:
        if not isinstance(body, Mapping):
            raise errors.BadUpstreamResponse(
                "The CMS answer is not a JSON envelope.", status=status, outcome_unknown=unknown
            )
        success = body.get("success")
        if success is None and isinstance(body.get("statusCode"), int):
            # The Quickstart's `{statusCode, message, data}` variant (KNOWN-API §2.1): accept it too.
            success = 200 <= body["statusCode"] < 300
        if success is not True:
            message, items = errors.error_from_envelope(body)
            raise errors.BadUpstreamResponse(
                message or "The CMS reported a failure inside a success answer.",
                status=status,
                errors=items,
                outcome_unknown=unknown,
            )
        message = body.get("message")
        return Reply(
            status=status,
            headers=headers,
            data=body.get("data"),
            message=message if isinstance(message, str) else None,
        )

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
            remaining = deadline_at - self._clock()
            if remaining <= 0:
                raise _DeadlinePassed
            _shrink_read_timeout(request, remaining)
        return bytes(buf)

    # -- streams (SSE) ---------------------------------------------------------------------------------------
    @contextmanager
    def stream(
        self, req: ApiRequest, auth_headers: Mapping[str, str], read_timeout: float
    ) -> Iterator[httpx.Response]:
        """An open 2xx streaming response; error statuses are read (capped) and raised like any call."""
        self.breaker.before_call()
        started = self._clock()
        status: int | None = None
        try:
            request = self.build(req, auth_headers, self.settings.deadline)
            timeout = self._timeout_for(self.settings.deadline).as_dict()
            timeout["read"] = read_timeout
            request.extensions["timeout"] = timeout
            try:
                response = self._http.send(request, stream=True)
            except httpx.TransportError as exc:
                raise self._transport_error(req, exc) from exc
            status = response.status_code
            try:
                if not 200 <= status < 300:
                    self._read(req, request, response, started + self.settings.deadline)
                    raise errors.BadUpstreamResponse("The CMS refused the stream.", status=status)
                self.breaker.record_success()
                yield response
            finally:
                response.close()
        except errors.CmsError as exc:
            self._count_for_breaker(exc)
            raise
        except GeneratorExit:
            raise
        except BaseException:
            self.breaker.release()
            raise
        finally:
            elapsed = self._clock() - started
            self._log(req, status, elapsed, 1, "stream")
            telemetry.observe_breaker(self.breaker.state)

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


def _looks_like_envelope(body: Any) -> bool:
    return isinstance(body, Mapping) and ("success" in body or "errors" in body or "statusCode" in body)


def _shrink_read_timeout(request: httpx.Request, remaining: float) -> None:
    """Let the next socket read wait no longer than the overall deadline (httpcore re-reads this per read)."""
    timeout = request.extensions.get("timeout")
    if isinstance(timeout, dict):
        current = timeout.get("read")
        if current is None or current > remaining:
            timeout["read"] = remaining


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


# -- the public client ---------------------------------------------------------------------------------------
class CmsClient:
    """Entry point for the console: `client.<resource>.<operation>(holder, ...)`."""

    def __init__(
        self,
        settings: CmsSettings,
        transport: httpx.BaseTransport | None = None,
        *,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
    ) -> None:
        from webapp.cms.auth import AppTokens, Authenticator, TokenVerifier
        from webapp.cms.resources.auth import AuthResource
        from webapp.cms.resources.cardholders import CardholdersResource
        from webapp.cms.resources.cards import CardsResource
        from webapp.cms.resources.partners import PartnersResource
        from webapp.cms.resources.permissions import PermissionsResource
        from webapp.cms.resources.process_requests import ProcessRequestsResource
        from webapp.cms.resources.uploads import UploadsResource
        from webapp.cms.resources.users import UsersResource

        self.settings = settings
        self.upstream = Upstream(settings, transport, clock)
        verifier = TokenVerifier(
            settings.upstream_public_key_pem,
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            type_claim=settings.token_type_claim,
            required_claims=settings.token_required_claims,
        )
        self.app_tokens = AppTokens(settings, self.upstream, verifier, wall_clock)
        self.authenticator = Authenticator(self.upstream, self.app_tokens, verifier, settings, wall_clock)
        self.auth = AuthResource(self.authenticator)
        self.partners = PartnersResource(self.authenticator)
        self.permissions = PermissionsResource(self.authenticator)
        self.users = UsersResource(self.authenticator)
        self.cardholders = CardholdersResource(self.authenticator)
        self.cards = CardsResource(self.authenticator)
        self.uploads = UploadsResource(self.authenticator)
        self.process_requests = ProcessRequestsResource(self.authenticator)

    @property
    def capabilities(self) -> Capabilities:
        return self.authenticator.capabilities

    @property
    def breaker(self) -> CircuitBreaker:
        return self.upstream.breaker

    def app_status(self) -> AppTokenStatus:
        """The app token's state, obtaining it first if needed (shown on the sign-in page and /readyz)."""
        self.app_tokens.current()
        return self.app_tokens.status()

    def close(self) -> None:
        self.upstream.close()
