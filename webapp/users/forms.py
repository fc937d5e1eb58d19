"""CMS-user forms. The same limits the upstream applies (name ≤ 100, email ≤ 254, password 12–128 with letters
and digits), so most mistakes are caught beside the field before anything is sent."""

from __future__ import annotations

from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from webapp.auth.forms import TranslatedForm
from webapp.step_up import StepUpMixin
from webapp.textmarks import N_


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _lower(value: str | None) -> str | None:
    return value.strip().lower() if isinstance(value, str) else value


_NAME = [DataRequired(message=N_("Enter the name.")), Length(max=100, message=N_("At most 100 characters."))]
_EMAIL = [
    DataRequired(message=N_("Enter the email address.")),
    Length(max=254, message=N_("At most 254 characters.")),
    Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=N_("Enter a valid email address.")),
]


class UserEditForm(TranslatedForm):
    name = StringField(N_("Name"), filters=[_strip], validators=_NAME, render_kw={"autocomplete": "off"})
    email = EmailField(
        N_("Email"),
        filters=[_lower],
        validators=_EMAIL,
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class UserCreateForm(StepUpMixin, UserEditForm):
    # No filters: the password goes upstream exactly as typed.
    password = PasswordField(
        N_("Initial password"),
        validators=[
            DataRequired(message=N_("Enter an initial password.")),
            Length(min=12, max=128, message=N_("Between 12 and 128 characters.")),
            Regexp(r"^(?=.*[A-Za-z])(?=.*\d)", message=N_("Use letters and digits.")),
        ],
        render_kw={"autocomplete": "new-password"},
        description=N_("12 to 128 characters, letters and digits. Share it with the person privately."),
    )
    submission_key = HiddenField()


class StatusForm(StepUpMixin, TranslatedForm):
    status = HiddenField(validators=[DataRequired(), Regexp(r"^(active|inactive)$")])
