"""Names for the CMS's partner feature slugs (`bulk-uploads`), shown instead of the slugs themselves."""

from __future__ import annotations

from webapp.textmarks import N_, translate

FEATURE_LABELS = {
    "cardholders": N_("Cardholders"),
    "cards": N_("Cards"),
    "bulk-uploads": N_("Bulk uploads"),
    "process-requests": N_("Top-up requests"),
}


def feature_label(slug: str) -> str:
    """The feature's name in the request's language; a slug the console does not know, as it came."""
    known = FEATURE_LABELS.get(slug)
    return translate(known) if known else slug
