"""Forms of the bulk-upload pages. Labels and messages are English catalog keys, translated per request."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice

from webapp.auth.forms import TranslatedForm
from webapp.step_up import StepUpMixin
from webapp.textmarks import N_

VALID_ONLY, ALL_OR_NOTHING = "valid_only", "all_or_nothing"
KIND_CHOICES = [
    SelectChoice("users", N_("New cardholders (one row per person, with their card)")),
    SelectChoice("cards", N_("New cards for existing cardholders (documentType, documentNumber, cardId)")),
]
POLICY_CHOICES = [
    SelectChoice(VALID_ONLY, N_("Send only the valid rows; the others stay out")),
    SelectChoice(ALL_OR_NOTHING, N_("Send nothing until every row is valid")),
]


class UploadForm(TranslatedForm):
    kind = RadioField(N_("What the file holds"), choices=KIND_CHOICES, default="users")
    file = FileField(
        N_("File"),
        render_kw={
            "accept": ".csv,.xlsx,.xls,text/csv,application/vnd.ms-excel,"
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "data-max-bytes": str(16 * 1024 * 1024),
        },
    )
    sheet = SelectField(N_("Sheet"), choices=[], validate_choice=False)
    staged_ref = HiddenField()


class MappingForm(TranslatedForm):
    """Only the anti-forgery token: the column choices are read from the request, one select per field."""


class SubmitForm(TranslatedForm, StepUpMixin):
    policy = RadioField(N_("Rows with problems"), choices=POLICY_CHOICES, default=VALID_ONLY)
    submission_key = HiddenField()
