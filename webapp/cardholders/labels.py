"""What the operator reads for the CMS's raw values (statuses, marital status, gender, document type).

The CMS's values (`soltero`, `LEGAL_ID`, `inactive`) are keys, not text: every page shows them through these
tables, in English and Spanish. Statuses go through `pgettext` because one English word means different
things ("Active" is "Activo" for a cardholder and "Activa" for a card; an "Inactive" user is deactivated,
see templates/users/). Unknown values are shown as they came.
"""

from __future__ import annotations

from webapp.textmarks import N_, gettext, pgettext

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


def _from(table: dict[str, str], value: str | None) -> str:
    if not value:
        return ""
    text = table.get(value)
    return gettext(text) if text else value


def marital_label(value: str | None) -> str:
    return _from(MARITAL_LABELS, value)


def gender_label(value: str | None) -> str:
    return _from(GENDER_LABELS, value)


def document_label(value: str | None) -> str:
    return _from(DOCUMENT_LABELS, value)


def cardholder_status_label(status: str | None) -> str:
    labels = {
        "active": pgettext("cardholder status", "Active"),
        "inactive": pgettext("cardholder status", "Inactive"),
        "closed": pgettext("cardholder status", "Closed"),
    }
    return labels.get(status or "", status or "")


def card_status_label(status: str | None) -> str:
    labels = {
        "active": pgettext("card status", "Active"),
        "inactive": pgettext("card status", "Not activated"),
        "blocked": pgettext("card status", "Blocked"),
        "cancelled": pgettext("card status", "Cancelled"),
    }
    return labels.get(status or "", status or "")


def outcome_label(outcome: str | None) -> str:
    """The audit trail's outcome of an action, as the history tables show it."""
    labels = {
        "success": pgettext("outcome", "Done"),
        "refused": pgettext("outcome", "Refused"),
        "denied": pgettext("outcome", "Denied"),
        "failure": pgettext("outcome", "Failed"),
        "unknown": pgettext("outcome", "Outcome unknown"),
        "locked": pgettext("outcome", "Locked out"),
        "rate_limited": pgettext("outcome", "Too many attempts"),
        "inactive": pgettext("outcome", "Account inactive"),
        "ended": pgettext("outcome", "Ended"),
        "partial": pgettext("outcome", "Partly done"),
    }
    return labels.get(outcome or "", outcome or "")


LABEL_HELPERS = {
    "marital_label": marital_label,
    "gender_label": gender_label,
    "document_label": document_label,
    "cardholder_status_label": cardholder_status_label,
    "card_status_label": card_status_label,
    "outcome_label": outcome_label,
}
