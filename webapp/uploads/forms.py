"""Forms of the bulk-upload pages. Labels and messages are English catalog keys, translated per request."""

from __future__ import annotations

from collections.abc import Sequence

from flask import request
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice

from webapp.auth.forms import TranslatedForm
from webapp.files.headers import header_key
from webapp.parsing import parse_int
from webapp.step_up import StepUpMixin
from webapp.textmarks import gettext as _
from webapp.translatable import N_

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
    """The anti-forgery token, and one select per field (`col_<field>`, a column's index in the header row)
    that the template writes by hand, since the fields depend on the kind of upload."""

    def read(
        self, header: Sequence[str], fields: Sequence[str]
    ) -> tuple[dict[str, str], dict[str, str] | None, dict[str, str]]:
        """The choices as posted, the mapping {header text → field} when the whole form is valid (else None),
        and the errors per field."""
        valid = self.validate()
        chosen = {name: request.form.get(f"col_{name}", "") for name in fields}
        mapping, errors = mapping_from(chosen, header, fields)
        return chosen, mapping if valid and not errors else None, errors


def default_columns(header: Sequence[str], fields: Sequence[str]) -> dict[str, str]:
    """The column whose header names each field, first one first ("" when none does)."""
    by_key = {header_key(text): str(index) for index, text in reversed(list(enumerate(header)))}
    return {name: by_key.get(header_key(name), "") for name in fields}


def mapping_from(
    chosen: dict[str, str], header: Sequence[str], fields: Sequence[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """{header text → field} from the operator's choices, or the errors per field."""
    errors: dict[str, str] = {}
    mapping: dict[str, str] = {}
    used: dict[int, str] = {}
    for name in fields:
        column = parse_int(chosen.get(name), minimum=0, maximum=len(header) - 1)
        if column is None or not header[column].strip():
            errors[name] = _("Choose the column that holds this field.")
            continue
        if column in used:  # by number, so "01" and "1" are the same column
            errors[name] = _("This column is already used for %(field)s.", field=used[column])
            continue
        used[column] = name
        mapping[header[column]] = name
    return mapping, errors


class SubmitForm(TranslatedForm, StepUpMixin):
    policy = RadioField(N_("Rows with problems"), choices=POLICY_CHOICES, default=VALID_ONLY)
    submission_key = HiddenField()
