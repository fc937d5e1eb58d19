"""Sandbox profiles: `full` (every operation of the contract, today's answers) and `documented`.

`documented` imitates only what the public CMS documents, as pessimistically as the documents allow, so that
the console can be shown to work on documented operations alone ("documented first"):

* only operations marked `x-source: documented` in the contract are served; every other `/cms/rest` route
  answers exactly what an unknown route answers (404 `7010`). The `/_sandbox` controls stay: they are the dev
  tool, not the API;
* token answers carry only their documented keys (`DOCUMENTED_DATA`), the OTP request answers no data, and
  progress frames carry no `status` or `type`;
* the user token from `POST /app/users/login` is usable at once (no login OTP stage: the documents do not
  mention one), and a verified OTP answers no new tokens: the sandbox remembers the elevation for that user
  (`SANDBOX_ELEVATION_TTL` seconds) and the guard treats the user's existing token as elevated.

Which operation a route serves is read from the contract (`webapp.cms.contract.load_contract()`), matching
each Flask rule and method with the document's path and method, so no second list of operations is kept here.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import NotFound

from webapp.sandbox import faults
from webapp.sandbox.clock import now
from webapp.sandbox.config import PROFILES

API_PREFIX = "/cms/rest"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
_EXTENSION = "sandbox_documented_profile"

DOCUMENTED_DATA: dict[str, tuple[str, ...] | None] = {
    "appLogin": ("accessToken", "refreshToken"),
    "appRefresh": ("accessToken", "refreshToken"),
    "userLogin": ("id", "accessToken", "refreshToken", "email", "name"),
    "userRefresh": ("accessToken", "refreshToken"),
    "requestOtp": None,
    "verifyOtp": None,
}
"""operationId → the only `data` keys a successful answer keeps (None: no `data` at all)."""

PROGRESS_OPERATION = "streamBatchProgress"
PROGRESS_UNDOCUMENTED = ("status", "type")
"""Progress frames keep `batchId` and the counters; a status and a batch type are not documented."""


@dataclass
class DocumentedProfile:
    """What the `documented` profile needs at request time, built once when the app starts."""

    operations: dict[tuple[str, str], str]
    """(Flask rule, METHOD) → operationId of the documented operations the sandbox routes."""
    elevations: dict[int, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def shape(path: str) -> str:
    """`/app/partners/{clientId}/balance` and `/app/partners/<int:partner_id>/balance` both become
    `/app/partners/{}/balance`."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def documented_operations(contract: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(METHOD, path shape) → operationId of every `x-source: documented` operation of the contract."""
    found: dict[tuple[str, str], str] = {}
    for path, item in (contract.get("paths") or {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if isinstance(operation, dict) and operation.get("x-source") == "documented":
                found[(method.upper(), shape(path))] = str(operation["operationId"])
    return found


def routed_operations(app: Flask, contract: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(Flask rule, METHOD) → operationId for the API routes that serve a documented operation."""
    documented = documented_operations(contract)
    routed: dict[tuple[str, str], str] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/"):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation = documented.get((method, shape(rule.rule[len(API_PREFIX) :])))
            if operation is not None:
                routed[(rule.rule, method)] = operation
    missing = sorted(set(documented.values()) - set(routed.values()))
    if missing:
        raise RuntimeError(f"documented operations the sandbox does not route: {', '.join(missing)}")
    return routed


def install(app: Flask) -> None:
    """Check `SANDBOX_PROFILE`; for `documented`, hook the request cycle (after the routes are registered)."""
    name = app.config.get("SANDBOX_PROFILE") or "full"
    if name not in PROFILES:
        raise ValueError(f"SANDBOX_PROFILE must be one of {', '.join(PROFILES)}, not {name!r}")
    if name != "documented":
        return
    # Imported here: the `full` profile needs neither the YAML document nor the client package around it.
    from webapp.cms.contract import load_contract

    app.extensions[_EXTENSION] = DocumentedProfile(operations=routed_operations(app, load_contract()))
    app.before_request(_refuse_undocumented)
    app.after_request(_trim_answer)


def _profile() -> DocumentedProfile | None:
    found = current_app.extensions.get(_EXTENSION)
    return found if isinstance(found, DocumentedProfile) else None


def documented() -> bool:
    """True when the running sandbox serves the `documented` profile."""
    return _profile() is not None


def login_stage() -> str:
    """The stage of the user token `POST /app/users/login` answers: `otp` (a login OTP follows) in `full`,
    `full` in `documented`, where the documents name no sign-in OTP."""
    return "full" if documented() else "otp"


# -- server-side elevation ----------------------------------------------------------------------------------


def elevate(user_id: int) -> None:
    """Remember that the user verified an OTP: their tokens count as elevated for `SANDBOX_ELEVATION_TTL`."""
    profile = _profile()
    if profile is None:
        return
    until = now() + int(current_app.config["SANDBOX_ELEVATION_TTL"])
    with profile.lock:
        profile.elevations[user_id] = until


def elevated_server_side(user_id: int) -> bool:
    """True while an OTP the user verified in the `documented` profile still elevates them."""
    profile = _profile()
    if profile is None:
        return False
    with profile.lock:
        return profile.elevations.get(user_id, 0.0) > now()


# -- request hooks ------------------------------------------------------------------------------------------


def _operation(profile: DocumentedProfile) -> str | None:
    rule = request.url_rule
    if rule is None:
        return None
    method = "GET" if request.method == "HEAD" else request.method
    return profile.operations.get((rule.rule, method))


def _refuse_undocumented() -> None:
    """An API route that serves no documented operation answers as if it did not exist."""
    profile = _profile()
    rule = request.url_rule
    if profile is None or rule is None or not rule.rule.startswith(API_PREFIX + "/"):
        return
    if request.method == "OPTIONS":
        if any((rule.rule, method) in profile.operations for method in rule.methods or ()):
            return
        raise NotFound()
    if _operation(profile) is None:
        raise NotFound()


def _trim_answer(resp: Response) -> Response:
    profile = _profile()
    if profile is None or g.get("sandbox_fault_mode") in faults.CANNED_MODES:
        return resp
    operation = _operation(profile)
    if operation == PROGRESS_OPERATION and resp.status_code == 200 and resp.is_streamed:
        resp.response = trim_frames(cast("Iterable[bytes]", resp.response))  # the view yields bytes
    elif operation in DOCUMENTED_DATA and 200 <= resp.status_code < 300 and not resp.is_streamed:
        body = resp.get_json(silent=True)
        if isinstance(body, dict) and body.get("success") is True:
            trimmed = trim_body(body, DOCUMENTED_DATA[operation])
            resp.set_data(current_app.json.dumps(trimmed, separators=(",", ":")) + "\n")  # as `jsonify` does
    return resp


def trim_body(body: dict[str, Any], keys: tuple[str, ...] | None) -> dict[str, Any]:
    """The envelope with `data` cut to `keys` (in that order), or without `data` when `keys` is None."""
    trimmed = {name: value for name, value in body.items() if name != "data"}
    data = body.get("data")
    if keys is not None and isinstance(data, dict):
        trimmed["data"] = {key: data[key] for key in keys if key in data}
    return trimmed


def trim_frame(chunk: bytes) -> bytes:
    """One `data: <json>` SSE frame without its undocumented keys; anything else (a broken frame a fault
    injects, a comment) passes unchanged."""
    if not (chunk.startswith(b"data: ") and chunk.endswith(b"\n\n")):
        return chunk
    try:
        frame = json.loads(chunk[len(b"data: ") : -2])
    except ValueError:
        return chunk
    if not isinstance(frame, dict):
        return chunk
    kept = {key: value for key, value in frame.items() if key not in PROGRESS_UNDOCUMENTED}
    return f"data: {json.dumps(kept, ensure_ascii=False)}\n\n".encode()


def trim_frames(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The progress stream frame by frame (the view yields one whole frame per chunk); closing this stream
    closes the view's, so its end-of-stream handling still runs."""
    try:
        for chunk in chunks:
            yield trim_frame(chunk)
    finally:
        close = getattr(chunks, "close", None)
        if callable(close):
            close()
