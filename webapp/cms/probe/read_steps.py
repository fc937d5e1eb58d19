"""The probe's reads: every documented list and detail, pagination and upload progress."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webapp.cms.errors import CmsError
from webapp.cms.probe.core import (
    MADE_UP_BATCH,
    MADE_UP_ID,
    MAX_PARTNERS,
    PAGE,
    STREAM_READ_TIMEOUT,
    Answer,
    ProbeCore,
    field_problems,
    first_id,
    parse_body,
)
from webapp.cms.probe.model import CallRecord, Verdict
from webapp.cms.probe.rows import PAGINATION_TEXT, READ_ROWS, ROW_TEXT
from webapp.cms.probe.shapes import field_types
from webapp.cms.wire import ApiRequest


class ReadSteps(ProbeCore):
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
        holder_id = first_id(items, "cardholderId", "id")
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
        request_id = first_id(request_items, "id")
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
                        frame = parse_body(line[5:].encode())
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
