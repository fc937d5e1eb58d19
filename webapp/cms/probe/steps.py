"""The probe, in probe order: sign in, read, and judge each assumption against what came back.

It speaks through the console's own CmsClient (same settings, same app login, same transport rules) but
judges the raw answers the recording transport kept, so a refusal by the client is itself a finding and
the probe can still go on. It reads only; writes go out only with `allow_writes`, and then only to made-up
ids, so nothing is created or changed.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from webapp.cms.errors import CmsError
from webapp.cms.probe.contract_check import Contract
from webapp.cms.probe.model import CallRecord, Finding, ProbeResult, Verdict
from webapp.cms.probe.recording import Exchange, RecordingTransport
from webapp.cms.probe.redact import Redactor
from webapp.cms.probe.shapes import (
    code_in_range,
    envelope_problems,
    error_codes,
    field_types,
    json_type,
    raw_error_codes,
)
from webapp.cms.wire import ApiRequest

if TYPE_CHECKING:
    from webapp.cms.client import CmsClient

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


def _parse(content: bytes) -> Any:
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


def _first_id(items: Any, *names: str) -> int | str | None:
    if isinstance(items, list) and items and isinstance(items[0], Mapping):
        for name in names:
            value = items[0].get(name)
            if isinstance(value, int | str) and not isinstance(value, bool) and str(value):
                return value
    return None


@dataclass
class Probe:
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
    def run(self) -> ProbeResult:
        self.meta.update(
            {
                "baseUrl": self.client.upstream.base_url,
                "contractVersion": self.contract.version,
                "startedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "appLogin": "unknown",
                "allowWrites": self.options.allow_writes,
            }
        )
        signed_in = self._sign_in()
        self._reads(signed_in)
        self._writes(signed_in)
        self._probes_of_errors()
        self._envelope_and_codes()
        return ProbeResult(self.findings, self.calls, self.meta, self.problem)

    # -- recording ------------------------------------------------------------------------------------------
    def _add(
        self,
        key: str,
        assumption: str,
        operation: str,
        verdict: Verdict,
        detail: str,
        capability: str | None = None,
    ) -> None:
        self.findings.append(Finding(key, assumption, operation, verdict, detail, capability))

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
        body = _parse(exchange.body)
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

    # -- judging --------------------------------------------------------------------------------------------
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

    def _no_user_token(self) -> None:
        """The user token's claims cannot be listed when the sign-in stopped before it."""
        self._add(
            "jwt-claims-user",
            CLAIMS_TEXT.format(kind="user"),
            "POST /app/users/login",
            Verdict.NOT_CHECKED,
            "no user token",
        )

    # -- 1. sign-in -----------------------------------------------------------------------------------------
    def _sign_in(self) -> bool:
        if not self._app_login():
            for key, text, op_id in SIGN_IN_ROWS[2:]:
                self._skip(key, text, op_id, "no app token")
            self._no_user_token()
            return False
        return self._user_login()

    def _app_login(self) -> bool:
        mark = self.recorder.mark()
        error: CmsError | None = None
        try:
            self.app_token = self.client.app_tokens.current()
        except CmsError as exc:
            error = exc
        logins = [e for e in self.recorder.since(mark) if e.path.endswith("/app/auth/login")]
        exchange = logins[-1] if logins else None
        if exchange is not None:
            self.meta["appLogin"] = "signed" if "signature" in exchange.request_fields else "plain"
        answer = self._answer_from(exchange, error)
        self._record("app login", "POST", "/app/auth/login", answer, "appLogin")
        op = "POST /app/auth/login"
        key, text, _ = SIGN_IN_ROWS[0]
        data = answer.data
        if answer.status is None:
            reason = error.message if error is not None else "no answer"
            self.problem = f"The CMS was not reached for the app login: {reason}"
            self._add(key, text, op, Verdict.NOT_CHECKED, f"no answer: {reason}")
            self._add(SIGN_IN_ROWS[1][0], SIGN_IN_ROWS[1][1], op, Verdict.NOT_CHECKED, "no answer")
            self._add(
                "jwt-claims-app", CLAIMS_TEXT.format(kind="app"), op, Verdict.NOT_CHECKED, "no app token"
            )
            return False
        core = field_problems(data, {"accessToken": "string", "refreshToken": "string"}) if answer.ok else []
        if not answer.ok or core:
            detail = f"{answer.label} {answer.message}".strip() if not answer.ok else "; ".join(core)
            self.problem = (
                f"The app login ({self.meta['appLogin']}) did not give a token: {detail}. "
                "Check CMS_MERCHANT, CMS_APP_LOGIN and (for signed) the merchant key."
            )
            self._add(key, text, op, Verdict.DIFFERS, detail)
            self._add(SIGN_IN_ROWS[1][0], SIGN_IN_ROWS[1][1], op, Verdict.NOT_CHECKED, "no token answer")
            self._add(
                "jwt-claims-app", CLAIMS_TEXT.format(kind="app"), op, Verdict.NOT_CHECKED, "no app token"
            )
            return False
        assert isinstance(data, Mapping)
        if error is not None:
            # The CMS answered with tokens, but the client would not take them (e.g. claim checks).
            self.app_token = str(data["accessToken"])
            self.problem = (
                f"The client refused the app token: {error.message}. "
                "The probe went on with the token as received."
            )
            self._add(
                key, text, op, Verdict.DIFFERS, f"{answer.label}; the client refused it: {error.message}"
            )
        else:
            self._add(key, text, op, Verdict.HOLDS, f"{answer.label}, {self.meta['appLogin']} login")
        self.redact.add(data.get("accessToken"), data.get("refreshToken"))
        expiry = field_problems(data, {"expirationToken": "integer", "expirationRefreshToken": "integer"})
        self._add(
            SIGN_IN_ROWS[1][0],
            SIGN_IN_ROWS[1][1],
            op,
            Verdict.DIFFERS if expiry else Verdict.HOLDS,
            "; ".join(expiry) or "both present, integers",
        )
        self._claims("jwt-claims-app", "app", op, self.app_token)
        return True

    def _user_login(self) -> bool:
        rows = {key: (text, op_id) for key, text, op_id in SIGN_IN_ROWS}
        self.email = self.prompter.email().strip()
        password = self.prompter.password()
        self.redact.add(self.email, password)
        if not self.email or not password:
            self.problem = (
                "No operator credentials were given (CMS_PROBE_EMAIL / CMS_PROBE_PASSWORD or the prompts)."
            )
            for key in ("user-login", "user-login-otp", "otp-request", "otp-verify"):
                self._skip(key, rows[key][0], rows[key][1], "no credentials")
            self._no_user_token()
            return False
        answer = self._send(
            "user login",
            "userLogin",
            "/app/users/login",
            json_body={"email": self.email, "password": password},
            user=False,
        )
        data = answer.data
        if isinstance(data, Mapping):
            self.redact.add(data.get("accessToken"), data.get("refreshToken"), data.get("name"))
        _, detail = self._judged("user-login", rows["user-login"][0], "userLogin", answer)
        token = data.get("accessToken") if isinstance(data, Mapping) else None
        if not answer.ok or not isinstance(token, str) or not token:
            self.problem = f"The operator login did not give a user token: {detail}"
            for key in ("user-login-otp", "otp-request", "otp-verify"):
                self._skip(key, rows[key][0], rows[key][1], "no operator session")
            self._no_user_token()
            return False
        assert isinstance(data, Mapping)
        self.user_token = token
        user_id = data.get("id")
        self.user_id = user_id if isinstance(user_id, int) and not isinstance(user_id, bool) else None
        flag = data.get("otpRequired")
        self._add(
            "user-login-otp",
            rows["user-login-otp"][0],
            "POST /app/users/login",
            Verdict.HOLDS if isinstance(flag, bool) else Verdict.DIFFERS,
            f"otpRequired is {json_type(flag)}" if "otpRequired" in data else "missing data.otpRequired",
        )
        self._otp(rows)
        self._claims("jwt-claims-user", "user", "POST /app/users/login", self.user_token)
        return True

    def _otp(self, rows: Mapping[str, tuple[str, str]]) -> None:
        asked = self._send(
            "OTP request",
            "requestOtp",
            "/app/users/auth/otp",
            json_body={"email": self.email, "purpose": "login"},
        )
        op = "POST /app/users/auth/otp"
        if asked.ok:
            problems = field_problems(asked.data, {"expiresIn": "integer"})
            self._add(
                "otp-request",
                rows["otp-request"][0],
                op,
                Verdict.DIFFERS if problems else Verdict.HOLDS,
                f"{asked.label}: " + ("; ".join(problems) or "expiresIn present, integer"),
            )
        else:
            verdict, detail = self.judge(asked, "requestOtp")
            self._add("otp-request", rows["otp-request"][0], op, verdict, detail)
            self._skip("otp-verify", rows["otp-verify"][0], "verifyOtp", "no code was sent")
            return
        code = self.prompter.otp().strip()
        self.redact.add(code)
        if not code:
            self._skip("otp-verify", rows["otp-verify"][0], "verifyOtp", "no code was entered")
            return
        verified = self._send(
            "OTP verify",
            "verifyOtp",
            "/app/users/auth/otp",
            json_body={"email": self.email, "otp": code, "purpose": "login"},
        )
        data = verified.data
        if isinstance(data, Mapping):
            self.redact.add(data.get("accessToken"), data.get("refreshToken"))
        op = "PUT /app/users/auth/otp"
        if verified.ok:
            problems = field_problems(
                data, {"accessToken": "string", "refreshToken": "string", "elevatedUntil": "integer"}
            )
            token = data.get("accessToken") if isinstance(data, Mapping) else None
            if isinstance(token, str) and token:
                self.user_token = token
                kept = ""
            else:
                kept = "; no tokens in the answer, the probe keeps the login tokens"
            self._add(
                "otp-verify",
                rows["otp-verify"][0],
                op,
                Verdict.DIFFERS if problems else Verdict.HOLDS,
                f"{verified.label}: " + ("; ".join(problems) or "a new token pair") + kept,
            )
        else:
            verdict, detail = self.judge(verified, "verifyOtp")
            self._add(
                "otp-verify",
                rows["otp-verify"][0],
                op,
                verdict,
                detail + "; the probe keeps the login tokens",
            )

    def _claims(self, key: str, kind: str, op: str, token: str | None) -> None:
        text = CLAIMS_TEXT.format(kind=kind)
        if not token:
            self._add(key, text, op, Verdict.NOT_CHECKED, f"no {kind} token")
            return
        parts = jwt_parts(token)
        if parts is None:
            self._add(key, text, op, Verdict.DIFFERS, f"the {kind} token is not a JWT")
            return
        header, claims = parts
        missing = [c for c in EXPECTED_CLAIMS if c not in claims]
        extra = sorted(set(claims) - set(EXPECTED_CLAIMS))
        alg = header.get("alg")
        found = f"alg {alg}; claims " + ", ".join(c for c in EXPECTED_CLAIMS if c in claims)
        if extra:
            found += "; also " + ", ".join(extra)
        if missing:
            self._add(key, text, op, Verdict.DIFFERS, f"missing {', '.join(missing)}; {found}")
        else:
            self._add(key, text, op, Verdict.HOLDS, found)

    # -- 2. reads -------------------------------------------------------------------------------------------
    def _reads(self, signed_in: bool) -> None:
        if not signed_in:
            for key, text, op_id in READ_ROWS:
                self._skip(key, text, op_id, "not signed in")
            self._add("pagination", PAGINATION_TEXT, "paginated lists", Verdict.NOT_CHECKED, "not signed in")
            return
        me = self._send("current operator", "getCurrentOperator", "/app/users/me")
        self._row("current-operator", me)
        listed = self._send("partners", "listPartners", "/app/partners")
        self._row("partners-list", listed)
        partners = self._partners(me, listed)
        modules = self._send("modules", "listModules", "/app/modules")
        self._row("modules", modules)
        self._permissions(partners)
        if not partners:
            why = "no partner known: pass --partner ID or set CMS_PARTNERS"
            for key, text, op_id in READ_ROWS[4:]:
                self._skip(key, text, op_id, why)
            self._pagination()
            return
        pid = partners[0]
        self.meta["partnerRead"] = pid
        self._row("partner-detail", self._send("partner detail", "getPartner", f"/app/partners/{pid}"))
        self._row("balance", self._send("balance", "getBalance", f"/app/partners/{pid}/balance"))
        cardholders = self._send(
            "cardholders",
            "listCardholders",
            f"/app/partners/{pid}/cardholders",
            params={**PAGE, "sortBy": "createdAt", "sortOrder": "desc"},
        )
        self._paginated.append(("#11 cardholders", cardholders))
        self._row("cardholders", cardholders)
        requests = self._send(
            "process requests", "listProcessRequests", f"/app/partners/{pid}/process-requests", params=PAGE
        )
        self._paginated.append(("#18 process requests", requests))
        self._row("process-requests", requests)
        self._row(
            "process-request-list",
            self._send(
                "process requests (all)", "listAllProcessRequests", f"/app/partners/{pid}/process-request"
            ),
        )
        users = self._send("CMS users", "listCmsUsers", f"/app/partners/{pid}/users", params=PAGE)
        self._paginated.append(("CMS users", users))
        self._row("cms-users", users)
        items = cardholders.data.get("items") if isinstance(cardholders.data, Mapping) else None
        holder_id = _first_id(items, "cardholderId", "id")
        cards = self._send(
            "cardholder cards",
            "listCardholderCards",
            f"/app/partners/{pid}/cardholders/{holder_id or MADE_UP_ID}/cards",
        )
        self._row("cardholder-cards", cards, made_up=holder_id is None)
        partner_cards = self._send(
            "partner cards", "listPartnerCards", f"/app/partners/{pid}/cards", params=PAGE
        )
        self._paginated.append(("partner cards", partner_cards))
        self._row("partner-cards", partner_cards)
        batch = self.options.batch_id
        self._row(
            "batch-status",
            self._send("batch status", "getBatch", f"/app/partners/{pid}/batches/{batch or MADE_UP_BATCH}"),
            made_up=batch is None,
        )
        request_items = requests.data.get("items") if isinstance(requests.data, Mapping) else None
        request_id = _first_id(request_items, "id")
        self._row(
            "process-request-detail",
            self._send(
                "process request",
                "getProcessRequest",
                f"/app/partners/{pid}/process-requests/{request_id or MADE_UP_ID}",
            ),
            made_up=request_id is None,
        )
        text, op_id = ROW_TEXT["cardholder-detail"]
        if holder_id is None:
            self._skip("cardholder-detail", text, op_id, "no cardholder on the first page")
        else:
            detail = self._send(
                "cardholder detail", "getCardholder", f"/app/partners/{pid}/cardholders/{holder_id}"
            )
            self._row("cardholder-detail", detail)
        self._progress(pid)
        self._pagination()

    def _row(self, key: str, answer: Answer, *, made_up: bool = False) -> None:
        text, op_id = ROW_TEXT[key]
        self._judged(key, text, op_id, answer, made_up=made_up)

    def _partners(self, me: Answer, listed: Answer) -> list[int]:
        found: list[int] = []
        sources = []
        me_partners = me.data.get("partners") if me.ok and isinstance(me.data, Mapping) else None
        for source, items in (
            ("GET /app/users/me", me_partners),
            ("GET /app/partners", listed.data if listed.ok else None),
        ):
            if isinstance(items, list):
                ids = [i.get("partnerId") for i in items if isinstance(i, Mapping)]
                new = [i for i in ids if isinstance(i, int) and not isinstance(i, bool) and i not in found]
                if new:
                    sources.append(source)
                    found += new
        if not found and self.options.partners:
            found, sources = list(self.options.partners), ["--partner"]
        if not found and self.options.configured_partners:
            found, sources = list(self.options.configured_partners), ["CMS_PARTNERS"]
        self.meta["partnersFrom"] = " + ".join(sources) or "none"
        self.meta["partnerCount"] = len(found)
        return found[:MAX_PARTNERS]

    def _permissions(self, partners: list[int]) -> None:
        text, op_id = ROW_TEXT["permissions"]
        if self.user_id is None:
            self._skip("permissions", text, op_id, "the login answer gave no numeric operator id")
            return
        if not partners:
            self._skip("permissions", text, op_id, "no partner known: pass --partner ID or set CMS_PARTNERS")
            return
        verdicts: list[tuple[int, Verdict, str]] = []
        for pid in partners:
            answer = self._send(
                f"permissions (partner {pid})", op_id, f"/app/users/{self.user_id}/partners/{pid}/permissions"
            )
            verdict, detail = self.judge(answer, op_id)
            verdicts.append((pid, verdict, detail))
        worst = next((v for v in (Verdict.DIFFERS, Verdict.ABSENT) if any(x[1] is v for x in verdicts)), None)
        op = self.contract.op(op_id)
        if worst is not None:
            detail = "; ".join(f"partner {pid}: {d}" for pid, v, d in verdicts if v is worst)
            self._add("permissions", text, op.label, worst, detail)
        elif all(v is Verdict.HOLDS for _, v, _ in verdicts):
            self._add(
                "permissions",
                text,
                op.label,
                Verdict.HOLDS,
                f"{len(verdicts)} partner(s), shape as in the contract",
            )
        else:
            checked = [(pid, d) for pid, v, d in verdicts if v is Verdict.HOLDS]
            if checked:
                self._add(
                    "permissions",
                    text,
                    op.label,
                    Verdict.HOLDS,
                    f"{len(checked)} partner(s) as in the contract; others: "
                    + "; ".join(f"partner {pid}: {d}" for pid, v, d in verdicts if v is not Verdict.HOLDS),
                )
            else:
                self._add(
                    "permissions",
                    text,
                    op.label,
                    Verdict.NOT_CHECKED,
                    "; ".join(f"partner {pid}: {d}" for pid, _, d in verdicts),
                )

    def _progress(self, pid: int) -> None:
        text, op_id = ROW_TEXT["progress"]
        batch = self.options.batch_id
        if not batch:
            self._skip("progress", text, op_id, "no batch id (the probe uploads nothing; pass --batch ID)")
            return
        op = self.contract.op(op_id)
        request = ApiRequest(
            "GET",
            f"/app/partners/{pid}/cardholders/batch/{batch}/progress",
            op.path,
            headers={"Accept": "text/event-stream"},
        )
        headers = {"Authorization": f"Bearer {self.app_token}", "x-user-token": f"Bearer {self.user_token}"}
        frame: Any = None
        status: int | None = None
        try:
            with self.client.upstream.stream(request, headers, STREAM_READ_TIMEOUT) as response:
                status = response.status_code
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        frame = _parse(line[5:].encode())
                        break
        except CmsError as exc:
            self._add(
                "progress",
                text,
                op.label,
                Verdict.NOT_CHECKED,
                f"the stream failed: {exc.message}",
                op.capability,
            )
            return
        self.calls.append(
            CallRecord("progress", "GET", op.path, status, "event stream", [], field_types(frame))
        )
        if not isinstance(frame, Mapping):
            self._add(
                "progress", text, op.label, Verdict.DIFFERS, "no JSON data: frame before the stream ended"
            )
            return
        problems = self.contract.problems(self.contract.schema_of("ProgressFrame"), frame)
        self._add(
            "progress",
            text,
            op.label,
            Verdict.DIFFERS if problems else Verdict.HOLDS,
            "; ".join(problems) or "first frame as in the contract",
        )

    def _pagination(self) -> None:
        looked: list[str] = []
        problems: list[str] = []
        for name, answer in self._paginated:
            if not answer.ok:
                continue
            looked.append(name)
            data = answer.data
            if isinstance(data, list):
                problems.append(f"{name}: data is a plain array")
                continue
            found = field_problems(
                data,
                {
                    "items": "array",
                    "page": "integer",
                    "limit": "integer",
                    "total": "integer",
                    "totalPages": "integer",
                },
            )
            problems += [f"{name}: {p}" for p in found]
        if not looked:
            self._add(
                "pagination",
                PAGINATION_TEXT,
                "paginated lists",
                Verdict.NOT_CHECKED,
                "no paginated list answered",
            )
        elif problems:
            self._add("pagination", PAGINATION_TEXT, "paginated lists", Verdict.DIFFERS, "; ".join(problems))
        else:
            self._add(
                "pagination", PAGINATION_TEXT, "paginated lists", Verdict.HOLDS, "in " + ", ".join(looked)
            )

    # -- writes (made-up ids only) --------------------------------------------------------------------------
    def _writes(self, signed_in: bool) -> None:
        pid = self.meta.get("partnerRead")
        if not self.options.allow_writes:
            self.meta["writes"] = (
                "No write was sent. With --allow-writes the probe sends one write per write capability, "
                "each to a made-up id, so nothing is created or changed."
            )
            for key, text, op_id, _, _ in WRITE_ROWS:
                self._skip(key, text, op_id, "a write: not sent without --allow-writes")
            return
        self.meta["writes"] = (
            "Writes only to made-up ids: nothing is created or changed; "
            "no create, upload, top-up or decision on a real record is sent."
        )
        for key, text, op_id, path, body in WRITE_ROWS:
            if not signed_in or pid is None:
                self._skip(key, text, op_id, "not signed in" if not signed_in else "no partner known")
                continue
            answer = self._send(
                f"write probe {key}", op_id, path.format(pid=pid, id=MADE_UP_ID), json_body=body
            )
            self._judged(key, text, op_id, answer, made_up=True, route_probe=True)

    # -- error answers --------------------------------------------------------------------------------------
    def _probes_of_errors(self) -> None:
        if not self.app_token:
            self._skip("bad-user-token", BAD_TOKEN_TEXT, "listModules", "no app token")
            self._skip("unknown-route", UNKNOWN_ROUTE_TEXT, "listModules", "no app token")
            return
        bad = self._send(
            "bad x-user-token", "listModules", "/app/modules", user_header="Bearer not-a-valid-token"
        )
        if bad.status == 401 and bad.code and not envelope_problems(bad.body):
            self._add("bad-user-token", BAD_TOKEN_TEXT, "GET /app/modules", Verdict.HOLDS, bad.label)
        elif bad.status is None:
            self._add("bad-user-token", BAD_TOKEN_TEXT, "GET /app/modules", Verdict.NOT_CHECKED, "no answer")
        else:
            how = [] if bad.status == 401 else [f"{bad.label} instead of 401"]
            if not bad.code:
                how.append("no error code")
            how += envelope_problems(bad.body) if bad.body is not None else ["no JSON body"]
            self._add("bad-user-token", BAD_TOKEN_TEXT, "GET /app/modules", Verdict.DIFFERS, "; ".join(how))
        path = "/app/probe-unknown-route"
        mark = self.recorder.mark()
        error: CmsError | None = None
        try:
            self.client.upstream.send(
                ApiRequest("GET", path, path), {"Authorization": f"Bearer {self.app_token}"}
            )
        except CmsError as exc:
            error = exc
        seen = self.recorder.since(mark)
        answer = self._answer_from(seen[-1] if seen else None, error)
        self._record("unknown route", "GET", path, answer, None)
        if answer.status == 404 and answer.code == "7010":
            self._add("unknown-route", UNKNOWN_ROUTE_TEXT, f"GET {path}", Verdict.HOLDS, answer.label)
        elif answer.status is None:
            self._add("unknown-route", UNKNOWN_ROUTE_TEXT, f"GET {path}", Verdict.NOT_CHECKED, "no answer")
        else:
            self._add(
                "unknown-route",
                UNKNOWN_ROUTE_TEXT,
                f"GET {path}",
                Verdict.DIFFERS,
                f"{answer.label}: 'absent' verdicts above rest on 404 without a code, 405 or 501",
            )

    def _envelope_and_codes(self) -> None:
        answered = [c for c in self.calls if c.status is not None and c.envelope != "event stream"]
        odd = [
            f"{c.method} {c.route} ({c.status}: {c.envelope})" for c in answered if c.envelope != "documented"
        ]
        if not answered:
            self._add("envelope", ENVELOPE_TEXT, "every answer", Verdict.NOT_CHECKED, "no answer")
        elif odd:
            self._add("envelope", ENVELOPE_TEXT, "every answer", Verdict.DIFFERS, "; ".join(odd))
        else:
            self._add("envelope", ENVELOPE_TEXT, "every answer", Verdict.HOLDS, f"{len(answered)} answers")
        codes = [code for e in self.recorder.exchanges for code in raw_error_codes(_parse(e.body))]
        outside = sorted({repr(c) if not isinstance(c, str) else c for c in codes if not code_in_range(c)})
        if not codes:
            self._add(
                "error-codes", CODES_TEXT, "every error answer", Verdict.NOT_CHECKED, "no error code seen"
            )
        elif outside:
            self._add(
                "error-codes",
                CODES_TEXT,
                "every error answer",
                Verdict.DIFFERS,
                "outside: " + ", ".join(outside),
            )
        else:
            self._add(
                "error-codes",
                CODES_TEXT,
                "every error answer",
                Verdict.HOLDS,
                "seen: " + ", ".join(sorted(set(map(str, codes)))),
            )


CLAIMS_TEXT = "{kind} token is a JWT with iss, aud, typ, jti, exp, iat, sub"
PAGINATION_TEXT = "pagination wrapper {items, page, limit, total, totalPages}"
BAD_TOKEN_TEXT = "a bad x-user-token answers 401 with an error code"  # noqa: S105 - a label
UNKNOWN_ROUTE_TEXT = "an unknown route answers 404 7010"
ENVELOPE_TEXT = "answers use the envelope {success, message?, data?, errors?}"
CODES_TEXT = 'error codes are strings "7000"-"8099"'

SIGN_IN_ROWS: list[tuple[str, str, str]] = [
    ("app-login", "#1 app login answers a token pair", "appLogin"),
    ("app-token-expiry", "app token answer carries expirationToken, expirationRefreshToken", "appLogin"),
    ("user-login", "#3 user login answers {id, accessToken, refreshToken, email, name}", "userLogin"),
    ("user-login-otp", "user login answer carries otpRequired", "userLogin"),
    ("otp-request", "#5 OTP request (purpose login) answers expiresIn", "requestOtp"),
    ("otp-verify", "#6 OTP verify {email, otp, purpose} answers a token pair", "verifyOtp"),
]

ROW_TEXT: dict[str, tuple[str, str]] = {
    "current-operator": ("current operator exists, shape as in the contract", "getCurrentOperator"),
    "partners-list": ("partners list exists, shape as in the contract", "listPartners"),
    "modules": ("#8 modules: shape as in the contract", "listModules"),
    "permissions": ("#7 own permissions on each partner: shape as in the contract", "getUserPermissions"),
    "partner-detail": ("partner detail exists, shape as in the contract", "getPartner"),
    "balance": ("#10 balance: shape as in the contract", "getBalance"),
    "cardholders": ("#11 cardholders first page: shape as in the contract", "listCardholders"),
    "process-requests": ("#18 process requests first page: shape as in the contract", "listProcessRequests"),
    "process-request-list": (
        "#19 process requests (all): shape as in the contract",
        "listAllProcessRequests",
    ),
    "cms-users": ("CMS users list exists, shape as in the contract", "listCmsUsers"),
    "cardholder-cards": ("a cardholder's cards exist as a route", "listCardholderCards"),
    "partner-cards": ("partner cards exist, shape as in the contract", "listPartnerCards"),
    "batch-status": ("batch status exists as a route", "getBatch"),
    "process-request-detail": ("process-request detail exists as a route", "getProcessRequest"),
    "cardholder-detail": ("#13 cardholder detail without OTP: shape as in the contract", "getCardholder"),
    "progress": ("#16 progress frames: shape as in the contract", "streamBatchProgress"),
}
READ_ROWS: list[tuple[str, str, str]] = [(k, t, o) for k, (t, o) in ROW_TEXT.items()]
# key order in READ_ROWS: the first four need no partner, the rest do (see _reads).
assert [k for k, _, _ in READ_ROWS[:4]] == ["current-operator", "partners-list", "modules", "permissions"]

WRITE_ROWS: list[tuple[str, str, str, str, Any]] = [
    (
        "cms-user-changes",
        "CMS-user changes exist as a route",
        "updateCmsUser",
        "/app/partners/{pid}/users/{id}",
        {},
    ),
    (
        "permission-grants",
        "permission grants exist as a route",
        "grantPermissions",
        "/app/users/{id}/permissions",
        {"permissions": []},
    ),
    (
        "cardholder-changes",
        "cardholder changes exist as a route",
        "updateCardholder",
        "/app/partners/{pid}/cardholders/{id}",
        {},
    ),
    (
        "card-actions",
        "card actions exist as a route",
        "unblockCard",
        "/app/partners/{pid}/cards/{id}/unblock",
        None,
    ),
    (
        "process-request-decisions",
        "process-request decisions exist as a route",
        "cancelProcessRequest",
        "/app/partners/{pid}/process-requests/{id}/cancel",
        {},
    ),
]
