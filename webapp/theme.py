"""Light, dark, or as the system says: the operator's theme, kept in the server-side session like the
language. The stylesheet (static/css/console.css) holds both palettes; this only says which one to force.
"""

from __future__ import annotations

from flask import Blueprint, Flask, session
from flask.typing import ResponseReturnValue

from webapp.access import public
from webapp.i18n import remember_choice
from webapp.textmarks import N_

THEMES = ("system", "light", "dark")
THEME_LABELS = {"system": N_("System theme"), "light": N_("Light theme"), "dark": N_("Dark theme")}

bp = Blueprint("theme", __name__)


def current_theme() -> str:
    """The theme chosen in this session; `system` (follow `prefers-color-scheme`) when none was."""
    chosen = session.get("theme")
    return chosen if chosen in THEMES else "system"


@bp.route("/theme", methods=["POST"])
@public
def switch_theme() -> ResponseReturnValue:
    return remember_choice("theme", THEMES, "theme", default="system")


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(current_theme=current_theme, THEMES=THEMES, THEME_LABELS=THEME_LABELS)
    app.register_blueprint(bp)
