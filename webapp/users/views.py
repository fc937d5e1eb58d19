"""CMS users of one partner. Each route carries the upstream permission it needs; the upstream checks again.

Search text is posted, never put in the URL (it is often an email address); status, sort and page stay in the
query string so a filtered list can be linked. Every change goes through the one write path
(webapp/submit_once.py), which also writes its audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from webapp import fanout
from webapp.access import Operator, requires
from webapp.auth.drafts import pop_draft
from webapp.auth.token_holder import SessionTokenHolder
from webapp.cms import CmsClient, TokenHolder, errors
from webapp.cms.models import CmsUser, Permission
from webapp.form_errors import place_cms_errors
from webapp.history import history_lines, masked_fields
from webapp.htmx import FORM_INVALID, redirect_after_post, render, render_private
from webapp.parsing import parse_id, parse_page
from webapp.step_up import complete_step_up
from webapp.store import submissions
from webapp.store.audit import recent_events
from webapp.submit_once import (
    AlreadyDone,
    Created,
    InFlight,
    Outcome,
    Refused,
    Unknown,
    Write,
    fresh_key,
    submit_once,
)
from webapp.textmarks import gettext as _
from webapp.upstream import cms
from webapp.users.forms import StatusForm, UserCreateForm, UserEditForm

bp = Blueprint("users", __name__, url_prefix="/p/<int:partner_id>/users")

PAGE_SIZE = 25
SORTS = ("name", "email", "status", "lastLoginAt", "createdAt")
STATUSES = ("active", "inactive")
PERMISSION_WORKERS = 4
CREATE = "cms_user_create"
EMAIL_TAKEN = "8025"


def user_target(user_id: int) -> str:
    """How a CMS user is named in the audit trail (and in the create form's submission record)."""
    return f"cms_user:{user_id}"


def _operator_id() -> int:
    operator: Operator = current_user  # the access gate guarantees it
    return operator.id


def _detail_url(partner_id: int, user_id: int) -> str:
    return url_for("users.detail", partner_id=partner_id, user_id=user_id)


def _refusal_errors(form: Any, exc: errors.CmsError) -> list[str] | None:
    """A CMS refusal shown on the form: the banner's messages (the rest sit beside their fields); None when
    it is no form error (the error page says what happened)."""
    if isinstance(exc, errors.OtpRequired) and "otp" in form._fields:
        form.otp.errors = [_("This action needs a fresh code: send one and enter it.")]
        return []
    if not isinstance(exc, errors.ValidationFailed | errors.Conflict):
        return None
    if exc.code == EMAIL_TAKEN:
        form.email.errors = [_("A CMS user with this email already exists.")]
        return []
    return place_cms_errors(form, exc)


# -- list and detail -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListQuery:
    search: str
    status: str
    sort: str
    order: str
    page: int

    def cms_filters(self) -> dict[str, Any]:
        """The list call's arguments (an empty filter is no filter)."""
        return {
            "page": self.page,
            "search": self.search or None,
            "status": self.status or None,
            "sort_by": self.sort,
            "sort_order": self.order,
        }


def _list_query() -> ListQuery:
    """The list's filters: a search is only ever posted, the rest may come from the query string."""
    source = request.form if request.method == "POST" else request.args
    status, sort = source.get("status", ""), source.get("sort", "name")
    return ListQuery(
        search=(request.form.get("q") or "").strip()[:100] if request.method == "POST" else "",
        status=status if status in STATUSES else "",
        sort=sort if sort in SORTS else "name",
        order="desc" if source.get("order") == "desc" else "asc",
        page=parse_page(source.get("page")),
    )


@bp.route("/", methods=["GET", "POST"])
@requires("users", "list")
def index(partner_id: int) -> BaseResponse:
    query = _list_query()
    page = cms().users.list(SessionTokenHolder(), partner_id, limit=PAGE_SIZE, **query.cms_filters())
    return render_private(
        "users/index.html",
        partner_id=partner_id,
        page=page,
        search=query.search,
        status_filter=query.status,
        sort=query.sort,
        order=query.order,
        sorts=SORTS,
    )


def _permissions_or_none(
    client: CmsClient, holder: TokenHolder, user_id: int, partner_id: int
) -> list[Permission] | None:
    """The user's permissions on one partner, sorted; None when the CMS will not say (not readable there)."""
    try:
        found = client.permissions.of_user(holder, user_id, partner_id)
    except errors.SessionEnded:
        raise
    except (errors.Forbidden, errors.NotFound):
        return None
    return sorted(found.permissions, key=lambda p: (p.resource, p.action))


def _permissions_by_partner(user: CmsUser, partner_id: int) -> dict[int, list[Permission] | None]:
    """The user's permissions on each shared partner the operator may read users of (None: not readable)."""
    operator: Operator = current_user
    readable = [
        ref.partner_id
        for ref in user.partners
        if operator.partner(ref.partner_id) is not None and operator.can(ref.partner_id, "users", "detail")
    ]
    if partner_id not in readable:
        readable.insert(0, partner_id)
    client, holder = cms(), SessionTokenHolder()
    jobs = {pid: partial(_permissions_or_none, client, holder, user.id, pid) for pid in readable}
    return fanout.gather(jobs, per_call=PERMISSION_WORKERS)


@bp.route("/<int:user_id>", methods=["GET"])
@requires("users", "detail")
def detail(partner_id: int, user_id: int) -> BaseResponse:
    user = cms().users.get(SessionTokenHolder(), partner_id, user_id)
    return render_private(
        "users/detail.html",
        partner_id=partner_id,
        user=user,
        permissions=_permissions_by_partner(user, partner_id),
        events=history_lines(recent_events(target=user_target(user_id), limit=20)),
        is_self=user.id == _operator_id(),
    )


# -- create --------------------------------------------------------------------------------------------


def _render_create(
    partner_id: int, form: UserCreateForm, status: int = 200, form_errors: list[str] | None = None
) -> BaseResponse:
    return render(
        "users/create.html", partner_id=partner_id, form=form, form_errors=form_errors, status=status
    )


def _create_write(partner_id: int, form: UserCreateForm, key: str) -> Write[CmsUser]:
    holder = SessionTokenHolder()
    email, name, password = str(form.email.data), str(form.name.data), str(form.password.data)
    return Write(
        event=CREATE,
        partner_id=partner_id,
        send=lambda: cms().users.create(
            holder, partner_id, email=email, name=name, password=password, idempotency_key=key
        ),
        ref=lambda user: user_target(user.id),
        success_detail=lambda user: {"status": user.status},
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("users", "create")
def create(partner_id: int) -> BaseResponse:
    if request.method == "GET":
        form = UserCreateForm(data=pop_draft() or None)
        form.submission_key.data = submissions.new_key()
        return _render_create(partner_id, form)
    form = UserCreateForm()
    key = form.submission_key.data = fresh_key(form.submission_key.data)
    if not form.validate() or not complete_step_up(form, action=CREATE, submission=(key, CREATE)):
        return _render_create(partner_id, form, status=FORM_INVALID)
    return _created(partner_id, form, submit_once(_create_write(partner_id, form, key), key))


def _created(partner_id: int, form: UserCreateForm, outcome: Outcome[CmsUser]) -> BaseResponse:
    """The create form's answer for each outcome of the write."""
    match outcome:
        case Created(value=user):
            flash(_("User %(name)s created. They have no permissions yet.", name=user.name), "success")
            return redirect_after_post(_detail_url(partner_id, user.id))
        case AlreadyDone(ref=ref) if (created_id := parse_id(ref.rpartition(":")[2])) is not None:
            flash(_("This user was already created."), "info")
            return redirect_after_post(_detail_url(partner_id, created_id))
        case Unknown():
            flash(_("The CMS did not answer in time: check the user list before sending again."), "warning")
            return _render_create(partner_id, form, status=504)
        case Refused(error=exc):
            form_errors = _refusal_errors(form, exc)
            if form_errors is None:
                raise exc
            return _render_create(partner_id, form, status=FORM_INVALID, form_errors=form_errors)
    if isinstance(outcome, InFlight) and outcome.foreign:
        form.submission_key.data = submissions.new_key()
    form.email.errors = [*form.email.errors, _("This form was already sent. Check the list before retrying.")]
    return _render_create(partner_id, form, status=409)


# -- edit --------------------------------------------------------------------------------------------


def _render_edit(
    partner_id: int,
    user: CmsUser,
    form: UserEditForm,
    status: int = 200,
    form_errors: list[str] | None = None,
) -> BaseResponse:
    return render(
        "users/edit.html", partner_id=partner_id, user=user, form=form, form_errors=form_errors, status=status
    )


def _update_write(partner_id: int, user: CmsUser, changes: dict[str, Any]) -> Write[Any]:
    holder = SessionTokenHolder()
    return Write(
        event="cms_user_update",
        partner_id=partner_id,
        send=lambda: cms().users.update(holder, partner_id, user.id, **changes),
        target=user_target(user.id),
        detail={
            "changed": sorted(changes),
            # Masked before they reach the store (webapp/history.py): the trail keeps no whole e-mail or name.
            "before": masked_fields({name: getattr(user, name) for name in changes}),
            "after": masked_fields(changes),
        },
    )


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@requires("users", "update")
def edit(partner_id: int, user_id: int) -> BaseResponse:
    user = cms().users.get(SessionTokenHolder(), partner_id, user_id)
    if request.method == "GET":
        form = UserEditForm(data=pop_draft() or {"name": user.name, "email": user.email})
        return _render_edit(partner_id, user, form)
    form = UserEditForm()
    if not form.validate():
        return _render_edit(partner_id, user, form, status=FORM_INVALID)
    changes = {
        name: value
        for name, value in (("name", form.name.data), ("email", form.email.data))
        if value != getattr(user, name)
    }
    if not changes:
        flash(_("Nothing changed."), "info")
        return redirect_after_post(_detail_url(partner_id, user_id))
    outcome = submit_once(_update_write(partner_id, user, changes))
    if isinstance(outcome, Refused | Unknown):
        form_errors = _refusal_errors(form, outcome.error) if isinstance(outcome, Refused) else None
        if form_errors is None:
            raise outcome.error
        return _render_edit(partner_id, user, form, status=FORM_INVALID, form_errors=form_errors)
    flash(_("Changes saved."), "success")
    return redirect_after_post(_detail_url(partner_id, user_id))


# -- status --------------------------------------------------------------------------------------------


def _render_status(
    partner_id: int, user: CmsUser, form: StatusForm, target: str, status: int = 200
) -> BaseResponse:
    form.status.data = target
    return render(
        "users/status.html", partner_id=partner_id, user=user, form=form, target=target, status=status
    )


def _status_write(partner_id: int, user: CmsUser, target: str) -> Write[Any]:
    holder = SessionTokenHolder()
    return Write(
        event="cms_user_status",
        partner_id=partner_id,
        send=lambda: cms().users.set_status(holder, partner_id, user.id, target),
        target=user_target(user.id),
        detail={"before": user.status, "after": target},
    )


@bp.route("/<int:user_id>/status", methods=["GET", "POST"])
@requires("users", "change_status")
def change_status(partner_id: int, user_id: int) -> BaseResponse:
    user = cms().users.get(SessionTokenHolder(), partner_id, user_id)
    if user.id == _operator_id():
        abort(403)  # the upstream refuses too (8024); nobody switches themselves off or on
    target = "inactive" if user.status == "active" else "active"
    if request.method == "GET":
        return _render_status(partner_id, user, StatusForm(data={"status": target}), target)
    form = StatusForm()
    if (
        not form.validate()
        or form.status.data != target
        or not complete_step_up(form, action="cms_user_status")
    ):
        return _render_status(partner_id, user, form, target, FORM_INVALID)
    outcome = submit_once(_status_write(partner_id, user, target))
    if isinstance(outcome, Refused) and isinstance(outcome.error, errors.OtpRequired):
        form.otp.errors = [_("This action needs a fresh code: send one and enter it.")]
        return _render_status(partner_id, user, form, target, FORM_INVALID)
    if isinstance(outcome, Refused | Unknown):
        raise outcome.error
    flash(_("User activated.") if target == "active" else _("User deactivated."), "success")
    return redirect_after_post(_detail_url(partner_id, user_id))
