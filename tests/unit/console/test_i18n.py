"""The request's language and locale (webapp/i18n.py) and how translated text meets autoescaping."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, render_template_string
from flask_babel import get_locale

from webapp import create_app
from webapp.cardholders.labels import (
    card_status_label,
    cardholder_status_label,
    document_label,
    gender_label,
    marital_label,
    outcome_label,
)
from webapp.textmarks import gettext, ngettext, pgettext, translate

SPANISH = {"Accept-Language": "es-GT,es;q=0.9,en;q=0.5"}


def test_spanish_is_the_configured_market_and_english_the_default(bare_app: Flask) -> None:
    with bare_app.test_request_context("/", headers=SPANISH):
        assert str(get_locale()) == "es_GT"
        assert gettext("Cards") == "Tarjetas"
    with bare_app.test_request_context("/", headers={"Accept-Language": "de-DE"}):
        assert str(get_locale()) == "en"
        assert gettext("Cards") == "Cards"


def test_another_spanish_market_reads_the_same_catalog(tmp_path: Path) -> None:
    app = create_app(
        {"TESTING": True, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "s" * 40, "SPANISH_LOCALE": "es_MX"}
    )
    with app.test_request_context("/", headers=SPANISH):
        assert str(get_locale()) == "es_MX"
        assert gettext("Cards") == "Tarjetas"


def test_the_chosen_language_beats_the_browsers(bare_app: Flask) -> None:
    client = bare_app.test_client()
    with client.session_transaction() as session:
        session["lang"] = "en"
    page = client.get("/auth/login", headers=SPANISH)
    assert '<html lang="en">' in page.get_data(as_text=True)


def test_plurals_and_contexts(bare_app: Flask) -> None:
    with bare_app.test_request_context("/", headers=SPANISH):
        assert ngettext("%(count)s cardholder", "%(count)s cardholders", 1, count="1") == "1 tarjetahabiente"
        assert ngettext("%(count)s cardholder", "%(count)s cardholders", 3, count="3") == "3 tarjetahabientes"
        # A deactivated user and a cardholder without activity are not the same "Inactive".
        assert pgettext("user status", "Inactive") == "Desactivado"
        assert pgettext("cardholder status", "Inactive") == "Inactivo"
        assert gettext("Dormant") != gettext("Inactive")


def test_translated_values_and_placeholders_are_escaped(
    bare_app: Flask,
) -> None:
    with bare_app.test_request_context("/", headers=SPANISH):
        assert translate(None) == ""
        assert render_template_string("{{ v|translate }}", v="<b>CMS</b>") == "&lt;b&gt;CMS&lt;/b&gt;"
        shown = render_template_string('{{ _("Close %(name)s?", name=n) }}', n="<i>Ana</i>")
        assert "&lt;i&gt;Ana&lt;/i&gt;" in shown
        assert "<i>" not in shown


def test_raw_values_read_in_the_operators_language(bare_app: Flask) -> None:
    with bare_app.test_request_context("/", headers=SPANISH):
        # One English word, read in its own context: a card is "Activa", a cardholder "Activo".
        assert card_status_label("active") == "Activa"
        assert cardholder_status_label("active") == "Activo"
        assert outcome_label("partial") == "Hecho en parte"
        assert marital_label("viudo") == "Viudo/a"
        assert document_label("DPI") == "DPI"
        # A value the tables do not know is shown as it came; no value is no text.
        assert card_status_label("frozen") == "frozen"
        assert outcome_label(None) == ""
        assert gender_label("") == ""
