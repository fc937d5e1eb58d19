"""Forms of the permissions section."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from webapp.auth.forms import TranslatedForm
from webapp.step_up import StepUpMixin


def _l(text: str) -> str:
    return text


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class PermissionChangeForm(StepUpMixin, TranslatedForm):
    """The editor's save step; the checkboxes themselves are read from the request (`perm`, repeated)."""

    reason = TextAreaField(
        _l("Reason for the change"),
        filters=[_strip],
        validators=[Optional(), Length(max=300, message=_l("At most 300 characters."))],
        render_kw={"rows": 2},
        description=_l("Kept in the audit trail with the before and after."),
    )
    previewed = HiddenField()


_NAME_RULE = Regexp(
    r"^[a-z][a-zA-Z0-9_-]{0,49}$",
    message=_l("Start with a lower-case letter; letters, digits, - and _ only; at most 50."),
)


class PermissionCreateForm(TranslatedForm):
    resource = StringField(
        _l("Resource"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Enter the resource.")), _NAME_RULE],
    )
    action = StringField(
        _l("Action"), filters=[_strip], validators=[DataRequired(message=_l("Enter the action.")), _NAME_RULE]
    )
    description = StringField(_l("Description"), filters=[_strip], validators=[Optional(), Length(max=300)])
    acknowledge = BooleanField(
        _l("I understand that the platform does not enforce a permission it does not know."),
        validators=[DataRequired(message=_l("Confirm that you read the warning."))],
    )
