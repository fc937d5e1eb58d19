"""Translation calls, typed, and marking text for translation where it is defined.

`gettext`, `ngettext` and `pgettext` are Flask-Babel's (the request's locale, webapp/i18n.py), typed for
mypy: flask_babel ships no type information. Tables built at import time (labels, error titles, menu
entries) cannot call gettext: there is no request yet. `N_` marks such a string so the extractor
(babel.cfg) finds it; `translate` looks it up at render time (`NP_` marks a string with its context, for
`pgettext`). In templates use the `|translate` filter,
never `_(value)`: Jinja's newstyle gettext marks its result safe, which is right for a literal msgid but
not for a value that may come from the CMS.
"""

from __future__ import annotations

from typing import Any

import flask_babel
from babel import support
from flask import Flask, has_app_context, has_request_context, request

from webapp.translatable import N_ as N_  # marked strings are defined where Flask is not
from webapp.translatable import NP_ as NP_


def catalog() -> Any:
    """The request's translations, found once per request and kept on the request object.

    Flask-Babel looks up the locale and its catalog on every call, and a list page asks for a hundred texts:
    that lookup was most of the page's translation cost (bench/bench_cardholders.py). The request, not `g`,
    holds it: an app context can outlive several requests in tests, each in its own language.
    """
    if has_request_context():
        current = request._get_current_object()  # type: ignore[attr-defined]
        found = getattr(current, "_babel_catalog", None)
        if found is None:
            found = flask_babel.get_translations()
            current._babel_catalog = found
        return found
    if has_app_context():
        return flask_babel.get_translations()
    return support.NullTranslations()


def gettext(text: str, **values: Any) -> str:
    """`text` in the request's language; `%(name)s` placeholders filled from `values` when given."""
    found = str(catalog().ugettext(text))
    return found % values if values else found


def ngettext(singular: str, plural: str, num: int, **values: Any) -> str:
    """The singular or plural form for `num` (also available as `%(num)s`)."""
    values.setdefault("num", num)
    return str(catalog().ungettext(singular, plural, num)) % values


def pgettext(context: str, text: str, **values: Any) -> str:
    """`text` as meant in `context` (one English word, two Spanish ones: "Inactive" user / cardholder)."""
    found = str(catalog().upgettext(context, text))
    return found % values if values else found


def install(app: Flask) -> None:
    """Templates' `_`, `ngettext` and `pgettext` read the same per-request catalog (Jinja's newstyle wrappers
    still fill and escape the values)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        gettext=lambda text: catalog().ugettext(text),
        ngettext=lambda singular, plural, num: catalog().ungettext(singular, plural, num),
        newstyle=True,
        pgettext=lambda context, text: catalog().upgettext(context, text),
        npgettext=lambda context, singular, plural, num: catalog().unpgettext(context, singular, plural, num),
    )


def translate(text: object) -> str:
    """The request's translation of a marked string; anything else (None, a CMS value) as plain text."""
    if text is None:
        return ""
    value = str(text)
    return gettext(value) if value else value
