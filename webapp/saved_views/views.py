"""Save, list and delete saved views; the sidebar's "Saved views" entries.

Deny by default: a view is only ever read or deleted through the partner in the URL (already checked by the
access gate), a delete touches only the operator's own view (anything else is the same 404), and a view is
saved for, and shown for, only a list the sidebar would let this operator open (webapp/access.py navigation).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from webapp.access import NavLink, Operator, navigation, signed_in
from webapp.htmx import FORM_INVALID, redirect_after_post, render, render_private
from webapp.saved_views import menu_cache
from webapp.saved_views.forms import SaveViewForm
from webapp.saved_views.lists import LISTS, SavedList, clean_query
from webapp.store import saved_views as store
from webapp.store.audit import record_event
from webapp.textmarks import gettext as _

bp = Blueprint("saved_views", __name__, url_prefix="/p/<int:partner_id>/views")
bp.record_once(lambda state: menu_cache.install(state.app))
log = logging.getLogger(__name__)


def _operator() -> Operator:
    operator: Operator = current_user  # the access gate guarantees it
    return operator


def _list_url(saved: SavedList, partner_id: int) -> str:
    return url_for(saved.endpoint, partner_id=partner_id)


def _openable(partner_id: int, nav_links: list[NavLink] | None = None) -> dict[str, SavedList]:
    """The saveable lists whose sidebar entry this operator sees on this partner."""
    links = nav_links if nav_links is not None else navigation(current_app, _operator(), partner_id)
    endpoints = {link.endpoint for link in links}
    return {key: saved for key, saved in LISTS.items() if saved.endpoint in endpoints}


def _href(view: store.SavedView, saved: SavedList) -> str:
    # Cleaned again on the way out: a stored query never carries more than the list accepts today.
    query = clean_query(saved, view.query)
    base = _list_url(saved, view.partner_id)
    return f"{base}?{query}" if query else base


def _record(action: str, view: store.SavedView) -> None:
    """The audit event of a change to the console's own store of saved views (no CMS call)."""
    record_event(
        action,
        outcome="success",
        partner_id=view.partner_id,
        target=f"saved_view:{view.id}",
        detail={"list": view.list_key, "shared": view.shared},
    )


def _entries(
    partner_id: int, openable: dict[str, SavedList], views: Sequence[store.SavedView]
) -> list[dict[str, Any]]:
    me = _operator().id
    here = request.full_path.rstrip("?")
    return [
        {
            "id": view.id,
            "name": view.name,
            "list": _(openable[view.list_key].label),
            "url": (url := _href(view, openable[view.list_key])),
            "active": url == here,
            "own": view.owner_id == me,
            "shared": view.shared,
            "owner_email": view.owner_email,
        }
        for view in views
        if view.list_key in openable
    ]


@bp.app_template_global()
def saved_views_menu(nav_links: list[NavLink]) -> list[dict[str, Any]]:
    """The sidebar's saved views for the partner in the URL; none outside a partner."""
    from flask import g

    partner_id: int | None = g.get("partner_id")
    if partner_id is None or not nav_links or not current_user.is_authenticated:
        return []
    me = _operator().id
    try:
        views = menu_cache.menu_cache().views(
            partner_id, me, menu_cache.session_revision(), lambda: store.visible(partner_id, me)
        )
    except SQLAlchemyError:
        # The sidebar is on every page: a store that cannot answer costs the saved views, not the page.
        log.exception("saved_views_unavailable", extra={"event": "saved_views_unavailable"})
        return []
    return _entries(partner_id, _openable(partner_id, nav_links), views)


@bp.get("/")
@signed_in
def index(partner_id: int) -> ResponseReturnValue:
    views = store.visible(partner_id, _operator().id)  # the manage page reads the store itself, never late
    return render_private(
        "saved_views/index.html",
        partner_id=partner_id,
        views=_entries(partner_id, _openable(partner_id), views),
    )


def _stored(partner_id: int, saved: SavedList, form: SaveViewForm) -> store.SavedView | None:
    """The view saved from a valid form; None (the error beside the name) when the name is already taken."""
    operator = _operator()
    try:
        return store.save(
            partner_id=partner_id,
            owner_id=operator.id,
            owner_email=operator.email,
            name=form.name.data,
            list_key=saved.key,
            query=form.query.data,
            shared=bool(form.shared.data),
        )
    except store.DuplicateName:
        form.name.errors.append(
            _("View name: you already have a view called “%(name)s” on this list.", name=form.name.data)
        )
        return None


@bp.post("/")
@signed_in
def save(partner_id: int) -> ResponseReturnValue:
    form = SaveViewForm()
    saved = LISTS.get(form.list_key.data or "")
    if saved is None or saved.key not in _openable(partner_id):
        abort(404)
    form.query.data = clean_query(saved, form.query.data or "")
    view = _stored(partner_id, saved, form) if form.validate() else None
    if view is not None:
        menu_cache.changed(partner_id)
        _record("saved_view_create", view)
        flash(_("View “%(name)s” saved.", name=view.name), "success")
        return redirect_after_post(_href(view, saved))
    return render(
        "saved_views/save.html",
        status=FORM_INVALID,
        partner_id=partner_id,
        form=form,
        list_label=_(saved.label),
        back_url=_list_url(saved, partner_id) + (f"?{form.query.data}" if form.query.data else ""),
    )


@bp.post("/<int:view_id>/delete")
@signed_in
def delete(partner_id: int, view_id: int) -> ResponseReturnValue:
    view = store.delete_own(partner_id, _operator().id, view_id)
    if view is None:
        abort(404)
    menu_cache.changed(partner_id)
    _record("saved_view_delete", view)
    flash(_("View “%(name)s” deleted.", name=view.name), "success")
    return redirect_after_post(url_for(".index", partner_id=partner_id))
