"""Forms of the top-up section. Labels and messages are English catalog keys (TranslatedForm translates them).

The amount is checked by `amounts.parse_amount` in the operator's language, so the figure the operator
typed is read exactly once, the same way, and kept as typed when the form comes back with an error.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_wtf.file import FileField
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from webapp.auth.forms import TranslatedForm
from webapp.formatting import locale_name
from webapp.process_requests.amounts import AmountError, parse_amount
from webapp.step_up import StepUpMixin
from webapp.textmarks import N_
from webapp.textmarks import gettext as _

OBSERVATIONS_LIMIT = 500  # the upstream's limit
REASON_LIMIT = 200  # the upstream's limit for decision reasons


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class TopUpForm(TranslatedForm, StepUpMixin):
    amount = StringField(
        N_("Amount"),
        filters=[_strip],
        validators=[DataRequired(message=N_("Enter the amount."))],
        render_kw={"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"},
    )
    observations = TextAreaField(
        N_("Observations"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=OBSERVATIONS_LIMIT, message=N_("Use at most 500 characters.")),
        ],
        render_kw={"rows": 3, "maxlength": OBSERVATIONS_LIMIT},
    )
    evidence = FileField(
        N_("Evidence file"),
        render_kw={"accept": "application/pdf,image/png,image/jpeg,image/webp", "data-max-bytes": "10485760"},
    )
    evidence_ref = HiddenField()
    submission_key = HiddenField()

    def __init__(self, *args: Any, currency: str | None = "GTQ", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.parsed_amount: Decimal | None = None

    def validate_amount(self, field: StringField) -> None:
        try:
            self.parsed_amount = parse_amount(field.data, locale_name(), self.currency)
        except AmountError as exc:
            raise ValidationError(_(exc.message, **exc.values)) from None


class _DecisionBase(TranslatedForm):
    """What every decision form holds: an optional reason and one submission key."""

    reason = TextAreaField(
        N_("Reason"),
        filters=[_strip],
        validators=[Length(max=REASON_LIMIT, message=N_("Use at most 200 characters."))],
        render_kw={"rows": 3, "maxlength": REASON_LIMIT},
    )
    submission_key = HiddenField()


class DecisionForm(_DecisionBase, StepUpMixin):
    """Approve or reject: a reason (required to reject), the fresh code when needed, one submission key."""

    def __init__(self, *args: Any, reason_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reason_required = reason_required
        if reason_required:
            self.reason.flags.required = True

    def validate_reason(self, field: TextAreaField) -> None:
        if self.reason_required and not field.data:
            raise ValidationError(N_("Say why the request is rejected."))


class CancelForm(_DecisionBase):
    """Cancel: the requester withdraws the request; no code is asked for."""
