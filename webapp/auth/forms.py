"""Sign-in forms. Passwords and codes are never rendered back into a page (PasswordField hides its value)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Regexp
from wtforms.widgets import TextInput

from webapp.parsing import parse_id
from webapp.textmarks import N_
from webapp.textmarks import gettext as _


class TranslatedForm(FlaskForm):  # type: ignore[misc]  # flask_wtf ships no types
    """English labels, help texts and messages are the catalog keys; translate them for this request's
    language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self:
            if field.label is not None and field.label.text:
                field.label.text = _(str(field.label.text))
            if field.description:
                field.description = _(str(field.description))
            if field.render_kw and field.render_kw.get("placeholder"):
                # A copy: render_kw is shared by every instance of the form class.
                field.render_kw = {**field.render_kw, "placeholder": _(str(field.render_kw["placeholder"]))}

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            field.errors = [_(str(message)) for message in field.errors]
        return bool(valid)


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _digits_only(value: str | None) -> str | None:
    """Operators paste codes as '123 456' or '123-456'; the upstream wants six digits."""
    return "".join(ch for ch in value if ch in "0123456789") if isinstance(value, str) else value


class CodeInput(TextInput):  # type: ignore[misc]  # wtforms widgets are untyped
    """A text box that never renders its value: a one-time code is not put back into a page."""

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        kwargs["value"] = ""
        return super().__call__(field, **kwargs)


class LoginForm(TranslatedForm):
    email = EmailField(
        N_("Email"),
        filters=[_strip],
        validators=[
            DataRequired(message=N_("Enter your email address.")),
            Length(max=254),
            Regexp(r"^[^@\s]+@[^@\s]+$", message=N_("Enter a valid email address.")),
        ],
        render_kw={"autocomplete": "username", "autofocus": True, "spellcheck": "false"},
    )
    # No filters: the password goes upstream byte for byte, spaces and all.
    password = PasswordField(
        N_("Password"),
        validators=[DataRequired(message=N_("Enter your password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class OtpForm(TranslatedForm):
    otp = StringField(
        N_("Verification code"),
        widget=CodeInput(),
        filters=[_digits_only],
        validators=[
            DataRequired(message=N_("Enter the 6-digit code.")),
            Regexp(r"^[0-9]{6}$", message=N_("The code has 6 digits.")),
        ],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "autofocus": True,
            "maxlength": 9,
        },
    )


class ResendForm(TranslatedForm):
    """Only the CSRF token: asking for a new code is a state change."""


class SignOutForm(TranslatedForm):
    """Only the CSRF token: sign-out is a POST."""


class IdField(IntegerField):  # type: ignore[misc]  # wtforms fields are untyped
    """IntegerField reads '１' and ids past 2^63 (int() takes both); this one only what the contract does."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist:
            self.data = parse_id(valuelist[0])
            if self.data is None:
                raise ValueError(self.gettext("Not a valid integer value."))


class PartnerSwitchForm(TranslatedForm):
    partner_id = IdField(validators=[DataRequired(), NumberRange(min=1)])
    next = HiddenField()
