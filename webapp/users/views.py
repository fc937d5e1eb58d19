"""CMS users of one partner. Each route carries the upstream permission it needs; the upstream checks again.

Search text is posted, never put in the URL (it is often an email address); status, sort and page stay in the
query string so a filtered list can be linked.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from flask import abort, flash, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from webapp import htmx
from webapp.access import Operator, requires
from webapp.auth.drafts import pop_draft
from webapp.auth.token_holder import SessionTokenHolder
from webapp.cms import errors
from webapp.cms.models import CmsUser, Permission
from webapp.history import history_lines, masked_fields
from webapp.parsing import parse_id, parse_page
from webapp.step_up import complete_step_up
from webapp.store import submissions
from webapp.store.audit import recent_events, record_event
from webapp.textmarks import gettext as _
from webapp.upstream import cms
from webapp.users import bp
from webapp.users.forms import StatusForm, UserCreateForm, UserEditForm

PAGE_SIZE = 25
SORTS = ("name", "email", "status", "lastLoginAt", "createdAt")
STATUSES = ("active", "inactive")
PERMISSION_WORKERS = 4


def user_target(user_id: int) -> str:
    """How a CMS user is named in the audit trail."""
    return f"cms_user:{user_id}"


def _operator_id() -> int:
    operator: Operator = current_user  # the access gate guarantees it
    return operator.id


def _apply_upstream_errors(form: Any, exc: errors.CmsError) -> bool:
    """Put the upstream's field errors beside the fields; True when at least one landed."""
    placed = False
    for name, message in exc.field_errors().items():
        field = getattr(form, name, None)
        if field is not None and name != "csrf_token":
            field.errors = [*field.errors, message]
            placed = True
    return placed


# -- list and detail -----------------------------------------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
@requires("users", "list")
def index(partner_id: int) -> BaseResponse:
    source = request.form if request.method == "POST" else request.args
    search = (request.form.get("q") or "").strip()[:100] if request.method == "POST" else ""
    status = source.get("status", "")
    status = status if status in STATUSES else ""
    sort = source.get("sort", "name")
    sort = sort if sort in SORTS else "name"
    order = "desc" if source.get("order") == "desc" else "asc"
    page_number = parse_page(source.get("page"))
    page = cms().users.list(
        SessionTokenHolder(),
        partner_id,
        page=page_number,
        limit=PAGE_SIZE,
        search=search or None,
        status=status or None,
        sort_by=sort,
        sort_order=order,
    )
    response = htmx.render(
        "users/index.html",
        partner_id=partner_id,
        page=page,
        search=search,
        status_filter=status,
        sort=sort,
        order=order,
        sorts=SORTS,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


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
    out: dict[int, list[Permission] | None] = {}
    with ThreadPoolExecutor(max_workers=min(PERMISSION_WORKERS, len(readable))) as pool:
        futures = {
            pid: pool.submit(partial(client.permissions.of_user, holder, user.id, pid)) for pid in readable
        }
        for pid, future in futures.items():
            try:
                out[pid] = sorted(future.result().permissions, key=lambda p: (p.resource, p.action))
            except errors.SessionEnded:
                raise
            except (errors.Forbidden, errors.NotFound):
                out[pid] = None
    return out


@bp.route("/<int:user_id>", methods=["GET"])
@requires("users", "detail")
def detail(partner_id: int, user_id: int) -> BaseResponse:
    user = cms().users.get(SessionTokenHolder(), partner_id, user_id)
    response = htmx.render(
        "users/detail.html",
        partner_id=partner_id,
        user=user,
        permissions=_permissions_by_partner(user, partner_id),
        events=history_lines(recent_events(target=user_target(user_id), limit=20)),
        is_self=user.id == _operator_id(),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# -- create --------------------------------------------------------------------------------------------


def _render_create(partner_id: int, form: UserCreateForm, status: int = 200) -> BaseResponse:
    return htmx.render("users/create.html", partner_id=partner_id, form=form, status=status)


def _earlier_outcome(partner_id: int, form: UserCreateForm, earlier: submissions.Submission) -> BaseResponse:
    """A second submit of the same form: never create twice, show what the first one did."""
    created_id = parse_id(earlier.result_ref) if earlier.status == submissions.SUCCEEDED else None
    if created_id is not None:
        flash(_("This user was already created."), "info")
        return htmx.redirect(url_for("users.detail", partner_id=partner_id, user_id=created_id))
    if earlier.status == "foreign":
        form.submission_key.data = submissions.new_key()
    form.email.errors = [*form.email.errors, _("This form was already sent. Check the list before retrying.")]
    return _render_create(partner_id, form, status=409)


@bp.route("/new", methods=["GET", "POST"])
@requires("users", "create")
def create(partner_id: int) -> BaseResponse:
    if request.method == "GET":
        form = UserCreateForm(data=pop_draft() or None)
        form.submission_key.data = submissions.new_key()
        return _render_create(partner_id, form)
    form = UserCreateForm()
    if not submissions.is_valid_key(form.submission_key.data):
        form.submission_key.data = submissions.new_key()
    if not form.validate():
        return _render_create(partner_id, form, status=422)
    if not complete_step_up(
        form, action="cms_user_create", submission=(str(form.submission_key.data), "cms_user_create")
    ):
        return _render_create(partner_id, form, status=422)
    key = str(form.submission_key.data)
    earlier = submissions.claim(key, kind="cms_user_create", actor_id=_operator_id(), partner_id=partner_id)
    if earlier is not None:
        return _earlier_outcome(partner_id, form, earlier)
    try:
        user = cms().users.create(
            SessionTokenHolder(),
            partner_id,
            email=str(form.email.data),
            name=str(form.name.data),
            password=str(form.password.data),
            idempotency_key=key,
        )
    except errors.OtpRequired:
        submissions.release(key)
        form.otp.errors = [_("This action needs a fresh code: send one and enter it.")]
        return _render_create(partner_id, form, status=422)
    except (errors.ValidationFailed, errors.Conflict) as exc:
        submissions.release(key)
        if exc.code == "8025":
            form.email.errors = [_("A CMS user with this email already exists.")]
        elif not _apply_upstream_errors(form, exc):
            raise
        record_event("cms_user_create", outcome="refused", partner_id=partner_id, detail={"code": exc.code})
        return _render_create(partner_id, form, status=422)
    except errors.UpstreamTimeout:
        submissions.unknown(key)
        record_event("cms_user_create", outcome="unknown", partner_id=partner_id)
        flash(_("The CMS did not answer in time: check the user list before sending again."), "warning")
        return _render_create(partner_id, form, status=504)
    except errors.CmsError:
        submissions.release(key)
        raise
    submissions.succeeded(key, str(user.id))
    record_event(
        "cms_user_create",
        outcome="success",
        target=user_target(user.id),
        partner_id=partner_id,
        detail={"status": user.status},
    )
    flash(_("User %(name)s created. They have no permissions yet.", name=user.name), "success")
    return htmx.redirect(url_for("users.detail", partner_id=partner_id, user_id=user.id))


# -- edit --------------------------------------------------------------------------------------------


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@requires("users", "update")
def edit(partner_id: int, user_id: int) -> BaseResponse:
    holder = SessionTokenHolder()
    user = cms().users.get(holder, partner_id, user_id)
    if request.method == "GET":
        draft = pop_draft()
        form = (
            UserEditForm(data=draft) if draft else UserEditForm(data={"name": user.name, "email": user.email})
        )
        return htmx.render("users/edit.html", partner_id=partner_id, user=user, form=form)
    form = UserEditForm()
    if not form.validate():
        return htmx.render("users/edit.html", partner_id=partner_id, user=user, form=form, status=422)
    changes = {
        name: value
        for name, value in (("name", form.name.data), ("email", form.email.data))
        if value != getattr(user, name)
    }
    if not changes:
        flash(_("Nothing changed."), "info")
        return htmx.redirect(url_for("users.detail", partner_id=partner_id, user_id=user_id))
    try:
        cms().users.update(holder, partner_id, user_id, **changes)
    except (errors.ValidationFailed, errors.Conflict) as exc:
        if exc.code == "8025":
            form.email.errors = [_("A CMS user with this email already exists.")]
        elif not _apply_upstream_errors(form, exc):
            raise
        return htmx.render("users/edit.html", partner_id=partner_id, user=user, form=form, status=422)
    record_event(
        "cms_user_update",
        outcome="success",
        target=user_target(user_id),
        partner_id=partner_id,
        detail={
            "changed": sorted(changes),
            # Masked before they reach the store (webapp/history.py): the trail keeps no whole e-mail or name.
            "before": masked_fields({name: getattr(user, name) for name in changes}),
            "after": masked_fields(changes),
        },
    )
    flash(_("Changes saved."), "success")
    return htmx.redirect(url_for("users.detail", partner_id=partner_id, user_id=user_id))


# -- status --------------------------------------------------------------------------------------------


@bp.route("/<int:user_id>/status", methods=["GET", "POST"])
@requires("users", "change_status")
def change_status(partner_id: int, user_id: int) -> BaseResponse:
    holder = SessionTokenHolder()
    user = cms().users.get(holder, partner_id, user_id)
    if user.id == _operator_id():
        abort(403)  # the upstream refuses too (8024); nobody switches themselves off or on
    target = "inactive" if user.status == "active" else "active"
    form = StatusForm(data={"status": target}) if request.method == "GET" else StatusForm()

    def page(status: int = 200) -> BaseResponse:
        form.status.data = target
        return htmx.render(
            "users/status.html", partner_id=partner_id, user=user, form=form, target=target, status=status
        )

    if request.method == "GET":
        return page()
    if not form.validate() or form.status.data != target:
        return page(422)
    if not complete_step_up(form, action="cms_user_status"):
        return page(422)
    try:
        cms().users.set_status(holder, partner_id, user_id, target)
    except errors.OtpRequired:
        form.otp.errors = [_("This action needs a fresh code: send one and enter it.")]
        return page(422)
    record_event(
        "cms_user_status",
        outcome="success",
        target=user_target(user_id),
        partner_id=partner_id,
        detail={"before": user.status, "after": target},
    )
    flash(_("User activated.") if target == "active" else _("User deactivated."), "success")
    return htmx.redirect(url_for("users.detail", partner_id=partner_id, user_id=user_id))
