"""The probe's writes (to made-up ids only), its error answers, the envelope and the codes."""

from __future__ import annotations

from webapp.cms.errors import CmsError
from webapp.cms.probe.core import MADE_UP_ID, ProbeCore, parse_body
from webapp.cms.probe.model import Verdict
from webapp.cms.probe.rows import BAD_TOKEN_TEXT, CODES_TEXT, ENVELOPE_TEXT, UNKNOWN_ROUTE_TEXT, WRITE_ROWS
from webapp.cms.probe.shapes import code_in_range, envelope_problems, raw_error_codes
from webapp.cms.wire import ApiRequest


class WriteSteps(ProbeCore):
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
        codes = [code for e in self.recorder.exchanges for code in raw_error_codes(parse_body(e.body))]
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
