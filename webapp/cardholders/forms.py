"""Cardholder forms. Every field rule is `webapp.cardholders.rules` (the validators the bulk upload runs),
so a value the form accepts is a value the file accepts. Field names are the API's, so an upstream error's
`field` lands on the input it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from flask import current_app
from wtforms import Field, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from webapp.auth.forms import TranslatedForm
from webapp.cardholders import phones, rules, vocabulary
from webapp.cardholders.labels import DOCUMENT_LABELS, GENDER_LABELS, MARITAL_LABELS
from webapp.step_up import StepUpMixin
from webapp.textmarks import N_
from webapp.textmarks import gettext as _

REASON_MAX = 200


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class Rule:
    """A WTForms validator that runs one `rules.clean_*` function; its message is the translation key."""

    def __init__(self, clean: Callable[[str], object]) -> None:
        self.clean = clean

    def __call__(self, form: Any, field: Field) -> None:
        try:
            self.clean(field.data or "")
        except rules.FieldInvalid as problem:
            raise ValidationError(problem.message) from None


def phone_region() -> str:
    """The region a phone typed without "+" belongs to: the PHONE_REGION setting."""
    region: str = current_app.config.get("PHONE_REGION") or phones.DEFAULT_REGION
    return region


class PhoneRule:
    """The phone's rule, read in the configured region. Its message is already in the reader's language: the
    region one carries a value (TranslatedForm's second look-up leaves translated text as it is)."""

    def __call__(self, form: Any, field: Field) -> None:
        try:
            rules.clean_phone_number(field.data or "", phone_region())
        except rules.FieldInvalid as problem:
            raise ValidationError(rules.message_text(problem.message, _)) from None


def clean_phone(raw: str) -> str:
    return rules.clean_phone_number(raw, phone_region())


PHONE_HELP = N_("A number from %(region)s, or + and the country code for another country.")


class DocumentNumberRule:
    """The document number's shape depends on the document type chosen beside it."""

    def __call__(self, form: Any, field: Field) -> None:
        try:
            kind: str | None = rules.clean_document_type(form.documentType.data or "")
        except rules.FieldInvalid:
            kind = None
        try:
            rules.clean_document_number(field.data or "", kind)
        except rules.FieldInvalid as problem:
            raise ValidationError(problem.message) from None


def _choices(values: tuple[str, ...], labels: Mapping[str, str] | None = None) -> list[SelectChoice]:
    return [SelectChoice("", N_("Choose…"))] + [SelectChoice(v, (labels or {}).get(v, v)) for v in values]


def _text(label: str, clean: Callable[[str], object], *, required: bool = True, **kw: Any) -> StringField:
    presence = DataRequired(message=rules.REQUIRED) if required else Optional()
    return StringField(label, filters=[_strip], validators=[presence, Rule(clean)], **kw)


def _select(label: str, values: tuple[str, ...], clean: Callable[[str], object], **kw: Any) -> SelectField:
    labels = kw.pop("labels", None)
    required = kw.pop("required", True)
    presence = DataRequired(message=rules.REQUIRED) if required else Optional()
    return SelectField(
        label,
        choices=_choices(values, labels),
        validate_choice=False,
        validators=[presence, Rule(clean)],
        **kw,
    )


class CardholderForm(TranslatedForm):
    """TranslatedForm that also translates the option labels of its selects and the help texts, the phone's
    naming the configured region."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self:
            if isinstance(field, SelectField):
                field.choices = [SelectChoice(c.value, _(c.label)) for c in field.choices or []]
            if field.description:
                field.description = _(str(field.description))
        phone = getattr(self, "phoneNumber", None)
        if phone is not None:
            region_help = _(PHONE_HELP, region=phone_region())
            phone.description = f"{phone.description} {region_help}" if phone.description else region_help


class CardholderFieldsMixin:
    """The nine fields a cardholder can have changed later (the PATCH set)."""

    name = _text(N_("Name"), rules.clean_name, render_kw={"autocomplete": "off", "maxlength": 100})
    lastName = _text(
        N_("Last name"), rules.clean_last_name, render_kw={"autocomplete": "off", "maxlength": 100}
    )
    address = _text(N_("Address"), rules.clean_address, render_kw={"autocomplete": "off", "maxlength": 200})
    countryOfBirth = _text(
        N_("Country of birth"),
        rules.clean_country,
        description=N_("Two-letter ISO code, e.g. GT."),
        render_kw={"maxlength": 2, "autocapitalize": "characters", "size": 4},
    )
    dateOfBirth = _text(
        N_("Date of birth"),
        rules.clean_date_of_birth,
        description=N_("YYYY-MM-DD"),
        render_kw={"placeholder": N_("YYYY-MM-DD"), "inputmode": "numeric", "maxlength": 10},
    )
    maritalStatus = _select(
        N_("Marital status"), vocabulary.MARITAL_STATUSES, rules.clean_marital_status, labels=MARITAL_LABELS
    )
    gender = _select(N_("Gender"), vocabulary.GENDERS, rules.clean_gender, labels=GENDER_LABELS)
    phoneNumber = StringField(
        N_("Phone number"),
        filters=[_strip],
        validators=[DataRequired(message=rules.REQUIRED), PhoneRule()],
        render_kw={"inputmode": "tel", "autocomplete": "off", "maxlength": 24},
    )
    email = _text(N_("Email"), rules.clean_email, render_kw={"autocomplete": "off", "maxlength": 254})


class CreateCardholderForm(CardholderFieldsMixin, CardholderForm):
    """All twelve documented fields, all required, plus the exactly-once key."""

    documentType = _select(
        N_("Document type"), vocabulary.DOCUMENT_TYPES, rules.clean_document_type, labels=DOCUMENT_LABELS
    )
    documentNumber = StringField(
        N_("Document number"),
        filters=[_strip],
        validators=[DataRequired(message=rules.REQUIRED), DocumentNumberRule()],
        description=N_("DPI: 13 digits. NIT: 2 to 12 digits, optionally ending in K."),
        render_kw={"autocomplete": "off", "maxlength": 24},
    )
    cardId = _text(
        N_("Card"),
        rules.clean_card_id,
        description=N_("The id of a free card of this partner."),
        render_kw={"inputmode": "numeric", "maxlength": 16, "list": "free-cards"},
    )
    idempotency_key = HiddenField()

    def payload(self) -> dict[str, str | int]:
        """The create body, normalised by the shared rules (call after `validate()` succeeded)."""
        record, problems = rules.validate_cardholder(
            {name: str(self[name].data or "") for name in vocabulary.FIELDS}, region=phone_region()
        )
        if record is None:  # cannot happen after validate(); refuse rather than send something unchecked
            raise ValueError(f"invalid fields: {sorted(problems)}")
        return record.as_payload()


class EditCardholderForm(CardholderForm):
    """Edit: every field optional; only what the operator changed is sent."""

    name = _text(N_("Name"), rules.clean_name, required=False, render_kw={"maxlength": 100})
    lastName = _text(N_("Last name"), rules.clean_last_name, required=False, render_kw={"maxlength": 100})
    address = _text(N_("Address"), rules.clean_address, required=False, render_kw={"maxlength": 200})
    countryOfBirth = _text(
        N_("Country of birth"), rules.clean_country, required=False, render_kw={"maxlength": 2, "size": 4}
    )
    dateOfBirth = _text(
        N_("Date of birth"),
        rules.clean_date_of_birth,
        required=False,
        render_kw={"placeholder": N_("YYYY-MM-DD"), "maxlength": 10},
    )
    maritalStatus = _select(
        N_("Marital status"),
        vocabulary.MARITAL_STATUSES,
        rules.clean_marital_status,
        labels=MARITAL_LABELS,
        required=False,
    )
    gender = _select(
        N_("Gender"), vocabulary.GENDERS, rules.clean_gender, labels=GENDER_LABELS, required=False
    )
    phoneNumber = StringField(
        N_("New phone number"),
        filters=[_strip],
        validators=[Optional(), PhoneRule()],
        description=N_("Leave empty to keep the current one."),
        render_kw={"inputmode": "tel", "autocomplete": "off", "maxlength": 24},
    )
    email = _text(
        N_("New email"),
        rules.clean_email,
        required=False,
        description=N_("Leave empty to keep the current one."),
        render_kw={"autocomplete": "off", "maxlength": 254},
    )

    CLEANERS: ClassVar[dict[str, Callable[[str], object]]] = {
        "name": rules.clean_name,
        "lastName": rules.clean_last_name,
        "address": rules.clean_address,
        "countryOfBirth": rules.clean_country,
        "dateOfBirth": rules.clean_date_of_birth,
        "maritalStatus": rules.clean_marital_status,
        "gender": rules.clean_gender,
        "phoneNumber": clean_phone,
        "email": rules.clean_email,
    }

    def changes(self, current: Mapping[str, str]) -> dict[str, object]:
        """The normalised values that differ from `current` (empty inputs mean "keep")."""
        out: dict[str, object] = {}
        for name, clean in self.CLEANERS.items():
            raw = self[name].data
            if not raw:
                continue
            value = clean(str(raw))
            if str(value) != current.get(name, ""):
                out[name] = value
        return out


class RevealForm(StepUpMixin, TranslatedForm):
    """Reveal the cardholder's personal data: only the step-up code (when needed) and the CSRF token."""


def _reason(label: str, *, required: bool) -> TextAreaField:
    presence = DataRequired(message=N_("Give a reason.")) if required else Optional()
    return TextAreaField(
        label,
        filters=[_strip],
        validators=[presence, Length(max=REASON_MAX, message=N_("Use at most 200 characters."))],
        render_kw={"rows": 3, "maxlength": REASON_MAX},
    )


class CloseCardholderForm(StepUpMixin, TranslatedForm):
    reason = _reason(N_("Reason for closing"), required=True)


class BlockCardForm(TranslatedForm):
    reason = _reason(N_("Reason for blocking"), required=True)


class ConfirmCardForm(TranslatedForm):
    """Activate and unblock: a confirmation only."""
