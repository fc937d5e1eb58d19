"""Asking for a top-up: the form with its evidence file, the one write (webapp/submit_once.py), and what each
outcome shows.

The evidence is staged on the console as soon as it is chosen, so a form that comes back with an error keeps
the file; it is forgotten once the request exists, or when the CMS refused the file itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app, flash, session, url_for
from flask.typing import ResponseReturnValue

from webapp.access import Operator
from webapp.auth.drafts import pop_draft
from webapp.cms import errors as cms_errors
from webapp.cms.models import Balance, ProcessRequest
from webapp.form_errors import place_cms_errors
from webapp.formatting import locale_name, money
from webapp.htmx import FORM_INVALID, redirect_after_post
from webapp.parsing import parse_id
from webapp.process_requests.amounts import example
from webapp.process_requests.evidence import (
    MAX_EVIDENCE_BYTES,
    STAGING_DIR_NAME,
    EvidenceRejected,
    EvidenceStaging,
    StagedEvidence,
    read_capped,
)
from webapp.process_requests.forms import TopUpForm
from webapp.process_requests.page_parts import FormPage, holder, partner_balance, target, upstream_problem
from webapp.step_up import complete_step_up
from webapp.store import submissions
from webapp.submit_once import AlreadyDone, Created, InFlight, Outcome, Refused, Unknown, Write, fresh_key
from webapp.textmarks import N_
from webapp.textmarks import gettext as _
from webapp.upstream import cms

EVENT = "process_request_created"
KIND = "process_request"  # the submission kind step-up binds to (webapp/step_up.py)
# CMS field names → form field names, for errors shown beside a field.
FIELD_MAP = {"requestedAmount": "amount"}
DEFAULT_CURRENCY = "GTQ"


def staging() -> EvidenceStaging:
    return EvidenceStaging(Path(current_app.instance_path) / STAGING_DIR_NAME)


def _session_slot(partner_id: int) -> str:
    return f"topup_evidence:{partner_id}"


def _currency(balance: Balance | None) -> str:
    return balance.currency if balance is not None else DEFAULT_CURRENCY


@dataclass
class TopUpPage(FormPage):
    """One attempt at the form: what the page shows again, whatever became of the attempt."""

    form: TopUpForm
    partner_id: int
    balance: Balance | None
    staged: StagedEvidence | None
    template = "process_requests/new.html"

    def context(self) -> dict[str, Any]:
        return {
            "balance": self.balance,
            "staged": self.staged,
            "currency": _currency(self.balance),
            "amount_example": example(locale_name()),
            "max_mb": MAX_EVIDENCE_BYTES // (1024 * 1024),
        }

    def ready(self) -> bool:
        """The form is valid, the evidence is staged and the step-up code (when needed) was accepted; else
        the errors are on the form."""
        file_errors = list(self.form.evidence.errors)
        valid = self.form.validate()
        self.form.evidence.errors = file_errors
        self.form.evidence_ref.data = self.staged.ref if self.staged else ""
        if self.staged is None and not file_errors:
            self.form.evidence.errors = [_("Choose the evidence file: PDF, JPEG, PNG or WEBP, up to 10 MB.")]
        if not valid or self.staged is None:
            return False
        return complete_step_up(self.form, action="process_request_create", submission=(self.key, KIND))

    def write(self) -> Write[ProcessRequest]:
        staged, amount = self.staged, self.form.parsed_amount
        # ready() staged the file and parsed the amount
        assert staged is not None
        assert amount is not None

        def send() -> ProcessRequest:
            return cms().process_requests.create(
                holder(),
                self.partner_id,
                amount,
                self.form.observations.data or None,
                staged.file_name,
                staged.read(),
                staged.content_type,
                idempotency_key=self.key,
            )

        return Write(
            event=EVENT,
            kind=KIND,
            partner_id=self.partner_id,
            send=send,
            ref=lambda created: target(created.id),
            success_detail=lambda created: {
                "amount": format(created.requested_amount, "f"),
                "currency": created.currency,
                "evidenceType": staged.content_type,
                "evidenceSize": staged.size,
            },
        )

    def answer(self, outcome: Outcome[ProcessRequest]) -> ResponseReturnValue:
        match outcome:
            case Created(value=created):
                self._forget_evidence()
                flash(
                    _(
                        "Top-up request #%(id)s for %(amount)s sent. Another operator must approve it.",
                        id=created.id,
                        amount=money(created.requested_amount, created.currency),
                    ),
                    "success",
                )
                return self._to_detail(created.id)
            case AlreadyDone(ref=ref) if (sent_id := _sent_id(ref)) is not None:
                # The same form sent again (double click, reload, back button): never a second request.
                self._forget_evidence()
                flash(_("This request was already sent; here it is."), "info")
                return self._to_detail(sent_id)
            case AlreadyDone() | InFlight():
                return self.being_sent(
                    N_("This request is already being sent. Check the list before sending it again."),
                    new_key=isinstance(outcome, InFlight) and outcome.foreign,
                )
            case Unknown(error=exc):
                return self.outcome_unknown(exc)
            case Refused(error=exc):
                return self._refused(exc)

    def _refused(self, exc: cms_errors.CmsError) -> ResponseReturnValue:
        """Nothing was created: the form and the file are kept for a corrected attempt with the same key."""
        if isinstance(exc, cms_errors.OtpRequired):
            self.form.otp.errors = [_("This action needs a fresh code: send one and enter it.")]
            return self.render(status=403)
        if isinstance(exc, cms_errors.ValidationFailed | cms_errors.Conflict | cms_errors.PayloadTooLarge):
            loose = place_cms_errors(self.form, exc, field_map=FIELD_MAP)
            if self.form.evidence.errors:  # the CMS refused the file itself: it must be chosen again
                self._forget_evidence()
                self.form.evidence_ref.data = ""
                self.staged = None
            return self.render(status=FORM_INVALID, loose_errors=loose)
        problem = upstream_problem(exc)
        return self.render(status=problem["status"], problem=problem)

    def _forget_evidence(self) -> None:
        if self.staged is not None:
            staging().discard(self.staged.ref)
        session.pop(_session_slot(self.partner_id), None)

    def _to_detail(self, request_id: int) -> ResponseReturnValue:
        return redirect_after_post(url_for(".detail", partner_id=self.partner_id, request_id=request_id))


def _sent_id(ref: str) -> int | None:
    """The request a succeeded key points at: "process_request:<id>" (keys of older releases hold the id)."""
    return parse_id(ref.rpartition(":")[2])


def blank_page(who: Operator, partner_id: int) -> TopUpPage:
    """The form to fill in: a draft kept across a sign-in, and the file staged by an earlier attempt."""
    balance = partner_balance(who, partner_id)
    form = TopUpForm(data=pop_draft(), currency=_currency(balance))
    form.submission_key.data = fresh_key(form.submission_key.data)
    staged = staging().load(
        form.evidence_ref.data or session.get(_session_slot(partner_id)),
        operator_id=who.id,
        partner_id=partner_id,
    )
    form.evidence_ref.data = staged.ref if staged else ""
    return TopUpPage(form, partner_id, balance, staged)


def posted_page(who: Operator, partner_id: int) -> TopUpPage:
    """The posted form, with its evidence: a newly chosen file or the one kept from an earlier attempt."""
    balance = partner_balance(who, partner_id)
    form = TopUpForm(currency=_currency(balance))
    form.submission_key.data = fresh_key(form.submission_key.data)
    return TopUpPage(form, partner_id, balance, _adopt_upload(form, who, partner_id))


def too_large_page(partner_id: int) -> TopUpPage:
    """A body over the cap was refused before anything was read: an empty form saying so."""
    form = TopUpForm(formdata=None)
    form.submission_key.data = submissions.new_key()
    form.evidence.errors = [_("The file is larger than 10 MB.")]
    return TopUpPage(form, partner_id, None, None)


def _adopt_upload(form: TopUpForm, who: Operator, partner_id: int) -> StagedEvidence | None:
    """A newly chosen file is staged at once, replacing any earlier one; else the file kept from an earlier
    attempt. A refused new file leaves its error on the field."""
    store = staging()
    slot = _session_slot(partner_id)
    earlier = store.load(
        form.evidence_ref.data or session.get(slot), operator_id=who.id, partner_id=partner_id
    )
    upload = form.evidence.data
    if upload is None or not getattr(upload, "filename", ""):
        return earlier
    if earlier is not None:
        store.discard(earlier.ref)
    session.pop(slot, None)
    try:
        staged = store.stage(
            read_capped(upload.stream), upload.filename, operator_id=who.id, partner_id=partner_id
        )
    except EvidenceRejected as exc:
        form.evidence.errors = [_(exc.message)]
        return None
    session[slot] = staged.ref
    return staged
