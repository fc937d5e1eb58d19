"""CMS-user forms. The same limits the upstream applies (name ≤ 100, email ≤ 254, password 12–128 with letters
and digits), so most mistakes are caught beside the field before anything is sent."""

from __future__ import annotations

from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from webapp.auth.forms import TranslatedForm
from webapp.step_up import StepUpMixin


def _l(text: str) -> str:
    """Marks a label or message for translation; TranslatedForm translates it per request."""
    return text


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _lower(value: str | None) -> str | None:
    return value.strip().lower() if isinstance(value, str) else value


_NAME = [DataRequired(message=_l("Enter the name.")), Length(max=100, message=_l("At most 100 characters."))]
_EMAIL = [
    DataRequired(message=_l("Enter the email address.")),
    Length(max=254, message=_l("At most 254 characters.")),
    Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter a valid email address.")),
]


class UserEditForm(TranslatedForm):
    name = StringField(_l("Name"), filters=[_strip], validators=_NAME, render_kw={"autocomplete": "off"})
    email = EmailField(
        _l("Email"),
        filters=[_lower],
        validators=_EMAIL,
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class UserCreateForm(StepUpMixin, UserEditForm):
    # No filters: the password goes upstream exactly as typed.
    password = PasswordField(
        _l("Initial password"),
        validators=[
            DataRequired(message=_l("Enter an initial password.")),
            Length(min=12, max=128, message=_l("Between 12 and 128 characters.")),
            Regexp(r"^(?=.*[A-Za-z])(?=.*\d)", message=_l("Use letters and digits.")),
        ],
        render_kw={"autocomplete": "new-password"},
        description=_l("12 to 128 characters, letters and digits. Share it with the person privately."),
    )
    submission_key = HiddenField()


class StatusForm(StepUpMixin, TranslatedForm):
    status = HiddenField(validators=[DataRequired(), Regexp(r"^(active|inactive)$")])
