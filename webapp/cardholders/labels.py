"""What the operator reads for the CMS's raw values (statuses, marital status, gender, document type).

The CMS's values (`soltero`, `LEGAL_ID`, `inactive`) are keys, not text: every page shows them through these
tables, in English and Spanish. Statuses go through `pgettext` because one English word means different
things ("Active" is "Activo" for a cardholder and "Activa" for a card; an "Inactive" user is deactivated,
see templates/users/). Unknown values are shown as they came.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from webapp.textmarks import N_, NP_, gettext, pgettext

# Marked here, translated at render time (`translate` / the `|translate` filter, or the form's own pass).
MARITAL_LABELS = {
    "soltero": N_("Single"),
    "casado": N_("Married"),
    "viudo": N_("Widowed"),
    "divorciado": N_("Divorced"),
    "separado": N_("Separated"),
}
GENDER_LABELS = {"F": N_("Female"), "M": N_("Male"), "OTHER": N_("Other gender")}
DOCUMENT_LABELS = {
    "DPI": "DPI",  # Guatemala's identity document and tax number: the codes everyone there uses
    "NIT": "NIT",
    "PASSPORT": N_("Passport"),
    "LEGAL_ID": N_("Legal entity ID"),
    "PERSONAL_ID": N_("Personal ID"),
    "RESIDENCE_ID": N_("Residence permit"),
}
# Statuses and outcomes: one English word may need two Spanish ones, so each carries its context.
CARDHOLDER_STATUS_LABELS = {
    "active": NP_("cardholder status", "Active"),
    "inactive": NP_("cardholder status", "Inactive"),
    "closed": NP_("cardholder status", "Closed"),
}
CARD_STATUS_LABELS = {
    "active": NP_("card status", "Active"),
    "inactive": NP_("card status", "Not activated"),
    "blocked": NP_("card status", "Blocked"),
    "cancelled": NP_("card status", "Cancelled"),
}
OUTCOME_LABELS = {
    "success": NP_("outcome", "Done"),
    "refused": NP_("outcome", "Refused"),
    "denied": NP_("outcome", "Denied"),
    "failure": NP_("outcome", "Failed"),
    "unknown": NP_("outcome", "Outcome unknown"),
    "locked": NP_("outcome", "Locked out"),
    "rate_limited": NP_("outcome", "Too many attempts"),
    "inactive": NP_("outcome", "Account inactive"),
    "ended": NP_("outcome", "Ended"),
    "partial": NP_("outcome", "Partly done"),
}


def _label(table: Mapping[str, str | tuple[str, str]], value: str | None) -> str:
    """`value` as the operator reads it: its text in `table`, translated (in its context when it has one);
    an unknown value as it came."""
    if not value:
        return ""
    marked = table.get(value)
    if not marked:
        return value
    return gettext(marked) if isinstance(marked, str) else pgettext(*marked)


# Each raw value's label: one lookup, in its own table (outcomes: the audit trail's, shown by the history).
marital_label = partial(_label, MARITAL_LABELS)
gender_label = partial(_label, GENDER_LABELS)
document_label = partial(_label, DOCUMENT_LABELS)
cardholder_status_label = partial(_label, CARDHOLDER_STATUS_LABELS)
card_status_label = partial(_label, CARD_STATUS_LABELS)
outcome_label = partial(_label, OUTCOME_LABELS)


LABEL_HELPERS = {
    "marital_label": marital_label,
    "gender_label": gender_label,
    "document_label": document_label,
    "cardholder_status_label": cardholder_status_label,
    "card_status_label": card_status_label,
    "outcome_label": outcome_label,
}
