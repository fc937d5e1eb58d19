"""Translation calls, typed, and marking text for translation where it is defined.

`gettext`, `ngettext` and `pgettext` are Flask-Babel's (the request's locale, webapp/i18n.py), typed for
mypy: flask_babel ships no type information. Tables built at import time (labels, error titles, menu
entries) cannot call gettext: there is no request yet. `N_` marks such a string so the extractor
(babel.cfg) finds it; `translate` looks it up at render time. In templates use the `|translate` filter,
never `_(value)`: Jinja's newstyle gettext marks its result safe, which is right for a literal msgid but
not for a value that may come from the CMS.
"""

from __future__ import annotations

from typing import Any

import flask_babel


def gettext(text: str, **values: Any) -> str:
    """`text` in the request's language; `%(name)s` placeholders filled from `values` when given."""
    return str(flask_babel.gettext(text, **values))


def ngettext(singular: str, plural: str, num: int, **values: Any) -> str:
    """The singular or plural form for `num` (also available as `%(num)s`)."""
    return str(flask_babel.ngettext(singular, plural, num, **values))


def pgettext(context: str, text: str, **values: Any) -> str:
    """`text` as meant in `context` (one English word, two Spanish ones: "Inactive" user / cardholder)."""
    return str(flask_babel.pgettext(context, text, **values))


def N_(text: str) -> str:
    """`text` unchanged; only marks it for extraction."""
    return text


def translate(text: object) -> str:
    """The request's translation of a marked string; anything else (None, a CMS value) as plain text."""
    if text is None:
        return ""
    value = str(text)
    return gettext(value) if value else value
