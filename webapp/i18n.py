"""English and Spanish through Flask-Babel and gettext catalogs.

English text is the msgid; the Spanish catalog is webapp/translations/es/LC_MESSAGES/messages.po, compiled to
.mo by the install step (Makefile). The language comes from `session["lang"]`, else the browser's
Accept-Language, else English; `POST /lang` switches it (public: the sign-in page has the switch too).
Spanish is served as the `SPANISH_LOCALE` locale (default es_GT): gettext falls back from es_GT to the `es`
catalog, so one catalog serves every Spanish market.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Flask, current_app, g, has_request_context, request, session
from flask.typing import ResponseReturnValue
from flask_babel import Babel
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import BadRequest
from werkzeug.http import parse_accept_header
from werkzeug.wrappers import Response as BaseResponse

from webapp.access import public
from webapp.cardholders.labels import outcome_label
from webapp.htmx import redirect
from webapp.textmarks import gettext, translate
from webapp.textmarks import install as install_catalog

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
TRANSLATIONS_DIR = Path(__file__).parent / "translations"

# Code written before the catalogs moved to gettext imports `_` from here.
_ = gettext

bp = Blueprint("i18n", __name__)


@lru_cache(maxsize=128)
def _browser_language(accept_language: str) -> str:
    """The best of LANGUAGES for an Accept-Language value. Kept per value (bounded): browsers send a handful
    of them, the answer depends on the header alone, and parsing one costs more than a page's other i18n."""
    accepted = parse_accept_header(accept_language, LanguageAccept)
    return accepted.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE


def current_lang() -> str:
    """`en` or `es`: the language the page speaks (the locale adds the market, see `select_locale`)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if "lang" not in g:
        chosen = session.get("lang")
        if chosen not in LANGUAGES:
            chosen = _browser_language(request.headers.get("Accept-Language", ""))
        g.lang = chosen
    lang: str = g.lang
    return lang


def select_locale() -> str:
    """Flask-Babel's locale for the request: English, or the configured Spanish market."""
    if current_lang() == "es":
        spanish: str = current_app.config["SPANISH_LOCALE"]
        return spanish
    return DEFAULT_LANGUAGE


def same_site_path(raw: str | None) -> str:
    """Only a same-site absolute path (no scheme, no `//host`, no backslash tricks)."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw or any(c < " " for c in raw):
        return "/"
    return raw


def remember_choice(
    field: str, allowed: Sequence[str], what: str, *, default: str | None = None
) -> BaseResponse:
    """Keep the posted `field` in the session (`default` clears it) and go back to the page the form was on.

    The language and theme switches both answer this way: a value outside `allowed` is a 400 naming `what`."""
    value = request.form.get(field, "")
    if value not in allowed:
        raise BadRequest(f"Unknown {what}.")
    if value == default:
        session.pop(field, None)
    else:
        session[field] = value
    return redirect(same_site_path(request.form.get("next")))


@bp.route("/lang", methods=["POST"])
@public
def switch_language() -> ResponseReturnValue:
    return remember_choice("lang", LANGUAGES, "language")


def init_app(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LANGUAGE
    # Flask-Babel installs Jinja's i18n extension (newstyle: `_("… %(name)s", name=…)`, values escaped).
    Babel(app, locale_selector=select_locale)
    install_catalog(app)
    # The trail's outcomes read the same in every history box and on the Activity page.
    app.jinja_env.globals.update(current_lang=current_lang, LANGUAGES=LANGUAGES, outcome_label=outcome_label)
    app.jinja_env.filters["translate"] = translate
    app.register_blueprint(bp)
