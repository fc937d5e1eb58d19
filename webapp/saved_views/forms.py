"""The "Save this view" form: a name, whether to share it, and the list (with its query) it belongs to."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, Length

from webapp.auth.forms import TranslatedForm
from webapp.store.saved_views import NAME_MAX


def _l(text: str) -> str:
    """Marks a label or message for translation; TranslatedForm translates it per request."""
    return text


def _collapse(value: str | None) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) else value


class SaveViewForm(TranslatedForm):
    name = StringField(
        _l("View name"),
        filters=[_collapse],
        validators=[
            DataRequired(message=_l("View name: enter a name for this view.")),
            Length(max=NAME_MAX, message=_l("View name: at most 60 characters.")),
        ],
        render_kw={"autocomplete": "off", "maxlength": NAME_MAX},
    )
    shared = BooleanField(_l("Share with colleagues on this partner"))
    list_key = HiddenField()
    query = HiddenField()
