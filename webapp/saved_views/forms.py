"""The "Save this view" form: a name, whether to share it, and the list (with its query) it belongs to."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, Length

from webapp.auth.forms import TranslatedForm
from webapp.store.saved_views import NAME_MAX
from webapp.textmarks import N_


def _collapse(value: str | None) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) else value


class SaveViewForm(TranslatedForm):
    name = StringField(
        N_("View name"),
        filters=[_collapse],
        validators=[
            DataRequired(message=N_("View name: enter a name for this view.")),
            Length(max=NAME_MAX, message=N_("View name: at most 60 characters.")),
        ],
        render_kw={"autocomplete": "off", "maxlength": NAME_MAX},
    )
    shared = BooleanField(N_("Share with colleagues on this partner"))
    list_key = HiddenField()
    query = HiddenField()
