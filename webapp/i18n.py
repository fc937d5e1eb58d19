"""English and Spanish. English text is the key; Spanish catalogs are plain dicts in webapp/translations/.

Each domain owns `webapp/translations/<domain>.py` exporting `ES`; every module found there is merged at
start-up, so a new domain only adds its own file. The language comes from `session["lang"]`, else the
browser's Accept-Language, else English. `POST /lang` switches it (public: the sign-in page has the switch
too).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import Any

from flask import Blueprint, Flask, current_app, g, has_request_context, request, session
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import BadRequest
from werkzeug.http import parse_accept_header

from webapp import translations
from webapp.access import public
from webapp.htmx import redirect

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "es": "Español"}

bp = Blueprint("i18n", __name__)


def load_catalogs() -> dict[str, dict[str, str]]:
    """Every `ES` dict under webapp/translations, merged (later modules never silently override earlier
    ones)."""
    spanish: dict[str, str] = {}
    for module_info in sorted(pkgutil.iter_modules(translations.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{translations.__name__}.{module_info.name}")
        for key, value in getattr(module, "ES", {}).items():
            spanish.setdefault(key, value)
    return {"en": {}, "es": spanish}


@lru_cache(maxsize=128)
def _browser_language(accept_language: str) -> str:
    """The best of LANGUAGES for an Accept-Language value. Kept per value (bounded): browsers send a handful
    of them, the answer depends on the header alone, and parsing one costs more than a page's other i18n."""
    accepted = parse_accept_header(accept_language, LanguageAccept)
    return accepted.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE


def current_lang() -> str:
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if "lang" not in g:
        chosen = session.get("lang")
        if chosen not in LANGUAGES:
            chosen = _browser_language(request.headers.get("Accept-Language", ""))
        g.lang = chosen
    lang: str = g.lang
    return lang


_NO_CATALOG: dict[str, str] = {}  # English: the text is its own translation


def _catalog() -> dict[str, str]:
    """The request's catalog, found once per request and kept on `g`: a page asks for some fifty strings,
    and working out the language (app, `g`, session) each time cost more than the lookup itself."""
    if not has_request_context():
        return _NO_CATALOG  # outside a request the language is always the default
    catalog: dict[str, str] | None = g.get("i18n_catalog")
    if catalog is None:
        catalogs: dict[str, dict[str, str]] = current_app.extensions.get("i18n", {})
        catalog = g.i18n_catalog = catalogs.get(current_lang(), _NO_CATALOG)
    return catalog


def gettext(text: str, **values: Any) -> str:
    """`text` in the request's language; `{name}` placeholders filled from `values` when given."""
    translated = _catalog().get(text, text)
    return translated.format(**values) if values else translated


_ = gettext


def same_site_path(raw: str | None) -> str:
    """Only a same-site absolute path (no scheme, no `//host`, no backslash tricks)."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw or any(c < " " for c in raw):
        return "/"
    return raw


@bp.route("/lang", methods=["POST"])
@public
def switch_language() -> ResponseReturnValue:
    lang = request.form.get("lang", "")
    if lang not in LANGUAGES:
        raise BadRequest("Unknown language.")
    session["lang"] = lang
    return redirect(same_site_path(request.form.get("next")))


def init_app(app: Flask) -> None:
    app.extensions["i18n"] = load_catalogs()
    app.jinja_env.globals.update(_=gettext, current_lang=current_lang, LANGUAGES=LANGUAGES)
    app.register_blueprint(bp)
