"""The probe's sign-in: the app login, the user login, the emailed code and the tokens' claims."""

from __future__ import annotations

from collections.abc import Mapping

from webapp.cms.errors import CmsError
from webapp.cms.probe.core import EXPECTED_CLAIMS, ProbeCore, field_problems, jwt_parts
from webapp.cms.probe.model import Verdict
from webapp.cms.probe.rows import CLAIMS_TEXT, SIGN_IN_ROWS
from webapp.cms.probe.shapes import json_type


class SignInSteps(ProbeCore):
    def _no_user_token(self) -> None:
        """The user token's claims cannot be listed when the sign-in stopped before it."""
        self._add(
            "jwt-claims-user",
            CLAIMS_TEXT.format(kind="user"),
            "POST /app/users/login",
            Verdict.NOT_CHECKED,
            "no user token",
        )

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
