"""The probe's plumbing: its options and prompts, one recorded call and its answer, and how an assumption is
judged and noted. The steps (webapp/cms/probe/*_steps.py) build on `ProbeCore`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from webapp.cms.errors import CmsError
from webapp.cms.probe.contract_check import Contract
from webapp.cms.probe.model import CallRecord, Finding, Verdict
from webapp.cms.probe.recording import Exchange, RecordingTransport
from webapp.cms.probe.redact import Redactor
from webapp.cms.probe.shapes import envelope_problems, error_codes, field_types, json_type
from webapp.cms.wire import ApiRequest

if TYPE_CHECKING:
    from webapp.cms.client import CmsClient
from webapp.cms.probe.rows import ROW_TEXT

MADE_UP_ID = 999999999
MADE_UP_BATCH = "bat_PROBE" + "0" * 21
EXPECTED_CLAIMS = ("iss", "aud", "typ", "jti", "exp", "iat", "sub")
MAX_PARTNERS = 10
PAGE = {"page": 1, "limit": 10}
STREAM_READ_TIMEOUT = 10.0


class Prompter(Protocol):
    """Where the operator's credentials come from (prompts or environment); asked only when needed."""

    def email(self) -> str: ...

    def password(self) -> str: ...

    def otp(self) -> str: ...


@dataclass
class ProbeOptions:
    partners: tuple[int, ...] = ()
    configured_partners: tuple[int, ...] = ()
    allow_writes: bool = False
    batch_id: str | None = None


@dataclass
class Answer:
    status: int | None
    body: Any
    error: CmsError | None
    content_type: str = ""

    @property
    def code(self) -> str | None:
        codes = error_codes(self.body)
        return codes[0] if codes else None

    @property
    def data(self) -> Any:
        return self.body.get("data") if isinstance(self.body, Mapping) else None

    @property
    def message(self) -> str:
        if isinstance(self.body, Mapping):
            errors = self.body.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
                text = errors[0].get("message")
                if isinstance(text, str) and text:
                    return text
            if isinstance(self.body.get("message"), str):
                return str(self.body["message"])
        return self.error.message if self.error is not None else ""

    @property
    def label(self) -> str:
        return f"HTTP {self.status}" + (f" {self.code}" if self.code else "")

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def parse_body(content: bytes) -> Any:
    if not content.strip():
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


def field_problems(data: Any, expected: Mapping[str, str], where: str = "data") -> list[str]:
    """Missing fields or wrong JSON types of `data` against `{"name": "integer", ...}`."""
    if data is None:
        return ["the answer has no data"]
    if not isinstance(data, Mapping):
        return [f"{where} is {json_type(data)}, not an object"]
    problems = []
    for name, kind in expected.items():
        if name not in data:
            problems.append(f"missing {where}.{name}")
        elif json_type(data[name]) != kind:
            problems.append(f"{where}.{name} is {json_type(data[name])}, not {kind}")
    return problems


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Header and claims of a JWT, decoded WITHOUT verification: only their names are reported."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        decoded = [json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in parts[:2]]
    except (ValueError, TypeError):
        return None
    header, claims = decoded
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims


def first_id(items: Any, *names: str) -> int | str | None:
    if isinstance(items, list) and items and isinstance(items[0], Mapping):
        for name in names:
            value = items[0].get(name)
            if isinstance(value, int | str) and not isinstance(value, bool) and str(value):
                return value
    return None


@dataclass
class ProbeCore:
    client: CmsClient
    recorder: RecordingTransport
    contract: Contract
    prompter: Prompter
    options: ProbeOptions
    redact: Redactor
    findings: list[Finding] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None
    app_token: str | None = None
    user_token: str | None = None
    user_id: int | None = None
    email: str = ""
    _paginated: list[tuple[str, Answer]] = field(default_factory=list)

    # -- running --------------------------------------------------------------------------------------------

    def _add(
        self,
        key: str,
        assumption: str,
        operation: str,
        verdict: Verdict,
        detail: str,
        capability: str | None = None,
    ) -> None:
        self.findings.append(Finding(key, assumption, operation, verdict, detail, capability=capability))

    def _record(self, step: str, method: str, route: str, answer: Answer, op_id: str | None) -> None:
        if answer.status is None:
            envelope = "no answer"
        elif answer.body is None:
            envelope = f"not JSON ({answer.content_type or 'no content type'})"
        else:
            problems = envelope_problems(answer.body)
            envelope = "documented" if not problems else "differs: " + "; ".join(problems)
        contract = ""
        if op_id is not None and answer.status is not None:
            problems_or_none = self.contract.check(op_id, answer.status, answer.body)
            if problems_or_none is None:
                contract = f"HTTP {answer.status} not described"
            else:
                contract = "matches" if not problems_or_none else "differs: " + "; ".join(problems_or_none)
        note = answer.error.message if answer.status is None and answer.error is not None else ""
        self.calls.append(
            CallRecord(
                step=step,
                method=method,
                route=route,
                status=answer.status,
                envelope=envelope,
                error_codes=error_codes(answer.body),
                fields=field_types(answer.body),
                contract=contract,
                note=note,
            )
        )

    def _answer_from(self, exchange: Exchange | None, error: CmsError | None) -> Answer:
        if exchange is None:
            return Answer(None, None, error)
        body = parse_body(exchange.body)
        self.redact.learn(body)
        return Answer(exchange.status, body, error, exchange.content_type)

    def _send(
        self,
        step: str,
        op_id: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str | int] | None = None,
        user: bool = True,
        user_header: str | None = None,
    ) -> Answer:
        op = self.contract.op(op_id)
        request = ApiRequest(op.method, path, op.path, params=params, json=json_body)
        headers: dict[str, str] = {}
        if self.app_token:
            headers["Authorization"] = f"Bearer {self.app_token}"
        if user_header is not None:
            headers["x-user-token"] = user_header
        elif user and self.user_token:
            headers["x-user-token"] = f"Bearer {self.user_token}"
        mark = self.recorder.mark()
        error: CmsError | None = None
        try:
            self.client.upstream.send(request, headers)
        except CmsError as exc:
            error = exc
        seen = self.recorder.since(mark)
        answer = self._answer_from(seen[-1] if seen else None, error)
        self._record(step, op.method, op.path, answer, op_id)
        return answer

    def judge(
        self, answer: Answer, op_id: str, *, made_up: bool = False, route_probe: bool = False
    ) -> tuple[Verdict, str]:
        """The verdict on one answer: its shape against the contract, or what its status tells."""
        status = answer.status
        if status is None:
            reason = answer.error.message if answer.error is not None else "no answer"
            return Verdict.NOT_CHECKED, f"no answer: {reason}"
        if 200 <= status < 300:
            if answer.body is None:
                return (
                    Verdict.DIFFERS,
                    f"HTTP {status} without a JSON body ({answer.content_type or 'no type'})",
                )
            problems = self.contract.check(op_id, status, answer.body)
            if problems is None:
                return Verdict.DIFFERS, f"HTTP {status}, a status the contract does not describe here"
            if problems:
                return Verdict.DIFFERS, f"HTTP {status}: " + "; ".join(problems)
            return Verdict.HOLDS, f"HTTP {status}, shape as in the contract"
        code = answer.code
        if (status == 404 and code in {"7010", None}) or status in {405, 501}:
            return Verdict.ABSENT, f"{answer.label}: no such route"
        exists = (status == 404 and made_up) or (route_probe and status in {400, 404, 409, 422})
        if exists:
            problems = self.contract.check(op_id, status, answer.body) or []
            if problems:
                return Verdict.DIFFERS, f"{answer.label} (route exists): " + "; ".join(problems)
            return Verdict.HOLDS, f"route exists: {answer.label} for a made-up id (answer shape not checked)"
        if status in {401, 403}:
            return Verdict.NOT_CHECKED, f"refused: {answer.label} {answer.message}".rstrip()
        if status == 429 or status >= 500:
            return Verdict.NOT_CHECKED, f"upstream trouble: {answer.label} {answer.message}".rstrip()
        return Verdict.DIFFERS, f"{answer.label}, expected a 2xx answer"

    def _judged(
        self,
        key: str,
        assumption: str,
        op_id: str,
        answer: Answer,
        *,
        made_up: bool = False,
        route_probe: bool = False,
        shown_path: str | None = None,
    ) -> tuple[Verdict, str]:
        op = self.contract.op(op_id)
        verdict, detail = self.judge(answer, op_id, made_up=made_up, route_probe=route_probe)
        self._add(key, assumption, shown_path or op.label, verdict, detail, op.capability)
        return verdict, detail

    def _skip(self, key: str, assumption: str, op_id: str, reason: str) -> None:
        op = self.contract.op(op_id)
        self._add(key, assumption, op.label, Verdict.NOT_CHECKED, reason, op.capability)

    def _row(self, key: str, answer: Answer, *, made_up: bool = False) -> None:
        text, op_id = ROW_TEXT[key]
        self._judged(key, text, op_id, answer, made_up=made_up)
