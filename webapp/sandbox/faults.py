"""Fault injection and call recording for `/cms/rest/...` requests.

Both live in process memory on the app (`app.extensions["sandbox_faults"]`): they are test and demo controls,
not API state, and must not survive a restart.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Iterator
from typing import Any, cast

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from webapp.sandbox import codes
from webapp.sandbox.codes import Code
from webapp.sandbox.envelope import ApiFailure

API_PREFIX = "/cms/rest"
_EXTENSION = "sandbox_faults"

PASS_THROUGH_MODES = frozenset({"delay", "drip"})
CANNED_MODES = frozenset(
    {
        "status",
        "retry_after",
        "badjson",
        "html",
        "empty",
        "success_false",
        "token_expired",
        "reset",
        "redirect",
    }
)
SSE_MODES = frozenset({"sse_stall", "sse_drop", "sse_garbage"})
MODES = PASS_THROUGH_MODES | CANNED_MODES | SSE_MODES

# The error code an injected bare status carries when the fault names none.
_CODE_FOR_STATUS: dict[int, Code] = {
    400: codes.CHECK_PARAMETERS,
    401: codes.TOKEN_INVALID,
    403: codes.PERMISSION_DENIED,
    404: codes.NOT_FOUND,
    409: codes.INVALID_STATE,
    413: codes.FILE_TOO_LARGE,
    429: codes.RATE_LIMITED,
    502: codes.UPSTREAM_UNAVAILABLE,
    503: codes.SERVICE_UNAVAILABLE,
    504: codes.UPSTREAM_TIMEOUT,
}

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

PROXY_502_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


class FaultBoard:
    """Active faults (first added, first matched) and the bounded log of recorded calls."""

    def __init__(self, call_log_size: int) -> None:
        self._lock = threading.Lock()
        self._faults: list[dict[str, Any]] = []
        self._calls: deque[dict[str, Any]] = deque(maxlen=call_log_size)

    # faults
    def add(self, spec: dict[str, Any]) -> dict[str, Any]:
        fault = validate_fault(spec)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(f) for f in self._faults]

    def take(self, method: str, path: str, *, sse: bool) -> dict[str, Any] | None:
        """The first fault matching the request (SSE modes or the others), spending one of its `times`."""
        target = f"{method.upper()} {path}"
        with self._lock:
            for fault in self._faults:
                if (fault["mode"] in SSE_MODES) != sse or not _route_matches(fault["route"], target, path):
                    continue
                if fault["remaining"] is not None:
                    fault["remaining"] -= 1
                    if fault["remaining"] <= 0:
                        self._faults.remove(fault)
                return dict(fault)
        return None

    # calls
    def record(self, call: dict[str, Any]) -> None:
        with self._lock:
            self._calls.append(call)

    def calls(self, route: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            snapshot = list(self._calls)
        if not route:
            return snapshot
        return [c for c in snapshot if _call_matches(route, c)]

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()


def _route_matches(pattern: str, target: str, path: str) -> bool:
    if pattern == "*":
        return True
    if " " in pattern:
        method, _, rest = pattern.partition(" ")
        return fnmatch.fnmatchcase(target, f"{method.upper()} {rest.strip()}")
    return fnmatch.fnmatchcase(path, pattern)


def _call_matches(pattern: str, call: dict[str, Any]) -> bool:
    candidates = [call["path"]]
    if call.get("rule"):
        candidates.append(call["rule"])
    return any(_route_matches(pattern, f"{call['method']} {c}", c) for c in candidates)


def _number(spec: dict[str, Any], names: tuple[str, ...], default: float) -> float:
    for name in names:
        if name in spec and spec[name] is not None:
            try:
                return float(spec[name])
            except (TypeError, ValueError) as exc:
                raise ApiFailure(codes.CHECK_PARAMETERS, f"{name} must be a number.", field=name) from exc
    return default


def validate_fault(spec: dict[str, Any]) -> dict[str, Any]:
    route = spec.get("route")
    mode = spec.get("mode")
    if not isinstance(route, str) or not route.strip():
        raise ApiFailure(codes.CHECK_PARAMETERS, "route is required.", field="route")
    if mode not in MODES:
        raise ApiFailure(codes.CHECK_PARAMETERS, f"mode must be one of {sorted(MODES)}.", field="mode")
    times = spec.get("times")
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise ApiFailure(codes.CHECK_PARAMETERS, "times must be a positive integer.", field="times")
    fault = {k: v for k, v in spec.items() if k not in {"route", "mode", "times"}}
    fault.update(route=route.strip(), mode=mode, times=times, remaining=times)
    if mode == "delay":
        fault["ms"] = _number(spec, ("ms", "delay_ms"), 1000)
    if mode == "drip":
        fault["interval"] = _number(spec, ("interval",), 1.0)
    if mode in {"status", "retry_after"}:
        status = int(_number(spec, ("status",), 500 if mode == "status" else 429))
        if not 100 <= status <= 599 or (mode == "retry_after" and status not in {429, 503}):
            raise ApiFailure(codes.CHECK_PARAMETERS, "status out of range.", field="status")
        fault["status"] = status
    if mode == "redirect":
        # A hijacked or misconfigured upstream sending the client elsewhere (docs/faults.md F18): any absolute
        # http(s) URL.
        location = spec.get("location")
        if not isinstance(location, str) or not location.startswith(("http://", "https://")):
            raise ApiFailure(codes.CHECK_PARAMETERS, "location must be an absolute URL.", field="location")
        status = int(_number(spec, ("status",), 302))
        if status not in REDIRECT_STATUSES:
            raise ApiFailure(codes.CHECK_PARAMETERS, "status must be a redirect status.", field="status")
        fault["status"] = status
    return fault


# -- the canned answers -------------------------------------------------------------------------------------


def _envelope(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    resp = jsonify({"success": False, "message": message, "errors": [{"code": code, "message": message}]})
    resp.status_code = status
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def canned_response(fault: dict[str, Any]) -> Response:
    mode = fault["mode"]
    if mode == "status":
        status = int(fault["status"])
        default = _CODE_FOR_STATUS.get(status, codes.CONSULT_WITH_SUPPORT)
        code = str(fault.get("code") or default.code)
        return _envelope(status, code, str(fault.get("message") or default.message))
    if mode == "retry_after":
        status = int(fault["status"])
        value = fault.get("value", fault.get("retry_after", fault.get("seconds", "1")))
        known = codes.RATE_LIMITED if status == 429 else codes.SERVICE_UNAVAILABLE
        return _envelope(status, known.code, known.message, {"Retry-After": str(value)})
    if mode == "token_expired":
        return _envelope(401, codes.TOKEN_EXPIRED.code, codes.TOKEN_EXPIRED.message)
    if mode == "success_false":
        failure = codes.CONSULT_WITH_SUPPORT
        return _envelope(200, failure.code, failure.message)
    if mode == "badjson":
        body = '{"success": true, "message": "ok", "data": {"id": 1, "items": [{'
        return current_app.response_class(
            body, status=int(fault.get("status", 200)), mimetype="application/json"
        )
    if mode == "html":
        return current_app.response_class(
            PROXY_502_PAGE, status=int(fault.get("status", 502)), mimetype="text/html"
        )
    if mode == "empty":
        return current_app.response_class(
            b"", status=int(fault.get("status", 200)), mimetype="application/json"
        )
    if mode == "reset":
        return _reset_connection()
    if mode == "redirect":
        resp = current_app.response_class(b"", status=int(fault["status"]))
        resp.headers["Location"] = str(fault["location"])
        return resp
    raise AssertionError(f"not a canned mode: {mode}")


def _reset_connection() -> Response:
    """Drop the TCP connection with an RST before any answer (werkzeug's server exposes its socket).

    Under a server that does not, answer a body shorter than its Content-Length, which clients also see as a
    broken connection.
    """
    sock = request.environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RDWR)
        return current_app.response_class(b"", status=502)

    def truncated() -> Iterator[bytes]:
        yield b'{"success": true, "da'
        raise ConnectionAbortedError("sandbox reset fault")

    resp = current_app.response_class(truncated(), status=200, mimetype="application/json")
    resp.headers["Content-Length"] = "4096"
    return resp


def _drip(resp: Response, interval: float) -> Response:
    """Headers now, then the real body one byte per `interval` seconds."""
    body = resp.get_data()

    def trickle() -> Iterator[bytes]:
        for index in range(len(body)):
            time.sleep(interval)
            yield body[index : index + 1]

    dripping = current_app.response_class(trickle(), status=resp.status_code, headers=dict(resp.headers))
    dripping.headers["Content-Length"] = str(len(body))
    return dripping


# -- wiring -------------------------------------------------------------------------------------------------


def board() -> FaultBoard:
    return cast(FaultBoard, current_app.extensions[_EXTENSION])


def api_path() -> str | None:
    """The request path below `/cms/rest` (e.g. `/app/partners/1`), or None for other requests."""
    path = request.path
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        return path[len(API_PREFIX) :] or "/"
    return None


def active_sse_fault() -> dict[str, Any] | None:
    """For SSE views: the `sse_stall` / `sse_drop` / `sse_garbage` fault aimed at this request, if any.

    Answers e.g. `{"mode": "sse_drop", "route": ..., "after": 2}` with any extra parameters the test gave.
    """
    path = api_path()
    if path is None:
        return None
    fault = board().take(request.method, path, sse=True)
    if fault is not None:
        g.sandbox_fault_mode = fault["mode"]
    return fault


def _before() -> Response | None:
    path = api_path()
    if path is None:
        return None
    g.sandbox_started = time.monotonic()
    latency = int(current_app.config.get("SANDBOX_LATENCY_MS", 0) or 0)
    if latency > 0:
        time.sleep(latency / 1000)
    fault = board().take(request.method, path, sse=False)
    if fault is None:
        return None
    g.sandbox_fault = fault
    g.sandbox_fault_mode = fault["mode"]
    if fault["mode"] == "delay":
        time.sleep(float(fault["ms"]) / 1000)
        return None
    if fault["mode"] == "drip":
        return None
    return canned_response(fault)


DIGEST_MAX_BYTES = 17 * 1024 * 1024  # a body the routes refuse for size is not worth reading just to hash it


EMPTY_DIGEST = hashlib.sha256(b"").hexdigest()


def _body_digest() -> str | None:
    if (request.content_length or 0) > DIGEST_MAX_BYTES:
        return None
    if not request.content_length and "HTTP_TRANSFER_ENCODING" not in request.environ:
        # No Content-Length and no Transfer-Encoding: in HTTP/1.1 a request without a body, i.e. the
        # GETs that are most calls; reading the empty input through werkzeug cost as much as the route.
        return EMPTY_DIGEST
    digest = hashlib.sha256()
    if request.mimetype == "multipart/form-data":
        for name in sorted(request.form.keys()):
            for value in request.form.getlist(name):
                digest.update(f"{name}={value}\n".encode())
        for name in sorted(request.files.keys()):
            for upload in request.files.getlist(name):
                upload.stream.seek(0)
                digest.update(upload.stream.read())
                upload.stream.seek(0)
    else:
        digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _header_names(environ: dict[str, Any]) -> list[str]:
    """The request's header names in lower case, sorted: what `request.headers` lists (werkzeug's
    EnvironHeaders), read from the environ at once instead of through a title-cased copy of each header."""
    names = {
        key[5:].replace("_", "-").lower()
        for key in environ
        if key.startswith("HTTP_") and key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            names.add(key.replace("_", "-").lower())
    return sorted(names)


def _after(resp: Response) -> Response:
    path = api_path()
    if path is None:
        return resp
    fault = g.get("sandbox_fault")
    if fault is not None and fault["mode"] == "drip":
        resp = _drip(resp, float(fault["interval"]))
    started = g.get("sandbox_started", time.monotonic())
    rule = request.url_rule.rule if request.url_rule is not None else None
    if rule is not None and rule.startswith(API_PREFIX):
        rule = rule[len(API_PREFIX) :]
    try:
        body_sha256 = _body_digest()
    except (OSError, ValueError, HTTPException):
        # A body the route never read (e.g. refused for its token first) is parsed here for the first time:
        # a malformed one, or one over werkzeug's form limits (413 for too many parts), goes unrecorded
        # instead of turning the route's answer into a 500.
        body_sha256 = None
    board().record(
        {
            "method": request.method,
            "path": path,
            "rule": rule,
            "queryKeys": sorted(set(request.args.keys())),
            "headers": _header_names(request.environ),
            "idempotencyKey": request.headers.get("Idempotency-Key"),
            "status": resp.status_code,
            "fault": g.get("sandbox_fault_mode"),
            "bodySha256": body_sha256,
            "at": time.time(),
            "durationMs": round((time.monotonic() - started) * 1000, 1),
        }
    )
    return resp


def install(app: Flask) -> None:
    app.extensions[_EXTENSION] = FaultBoard(int(app.config.get("SANDBOX_CALL_LOG_SIZE", 5000)))
    app.before_request(_before)
    app.after_request(_after)
