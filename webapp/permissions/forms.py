"""Forms of the permissions section."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from webapp.auth.forms import TranslatedForm
from webapp.step_up import StepUpMixin
from webapp.textmarks import N_


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class PermissionChangeForm(StepUpMixin, TranslatedForm):
    """The editor's save step; the checkboxes themselves are read from the request (`perm`, repeated)."""

    reason = TextAreaField(
        N_("Reason for the change"),
        filters=[_strip],
        validators=[Optional(), Length(max=300, message=N_("At most 300 characters."))],
        render_kw={"rows": 2},
        description=N_("Kept in the audit trail with the before and after."),
    )
    previewed = HiddenField()


_NAME_RULE = Regexp(
    r"^[a-z][a-zA-Z0-9_-]{0,49}$",
    message=N_("Start with a lower-case letter; letters, digits, - and _ only; at most 50."),
)


class PermissionCreateForm(TranslatedForm):
    resource = StringField(
        N_("Resource"),
        filters=[_strip],
        validators=[DataRequired(message=N_("Enter the resource.")), _NAME_RULE],
    )
    action = StringField(
        N_("Action"), filters=[_strip], validators=[DataRequired(message=N_("Enter the action.")), _NAME_RULE]
    )
    description = StringField(N_("Description"), filters=[_strip], validators=[Optional(), Length(max=300)])
    acknowledge = BooleanField(
        N_("I understand that the platform does not enforce a permission it does not know."),
        validators=[DataRequired(message=N_("Confirm that you read the warning."))],
    )
