"""Modules and permissions, creating a permission (administrators), and the editor for one user and partner.

The editor is preview-then-save: the first submit only shows what would be granted and revoked; saving needs
that same grid, a reason and (when the session is not elevated) a fresh code. The operator's own permissions
and permissions they do not hold are refused here before any upstream call; the upstream refuses them too
(8024, 8023) and those answers get the same clear wording.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from webapp import htmx
from webapp.access import Operator, requires
from webapp.audit.rules import SENSITIVE_CATEGORIES, category_of
from webapp.auth.token_holder import SessionTokenHolder
from webapp.cms import errors
from webapp.cms.models import PermissionSpec
from webapp.parsing import parse_id
from webapp.permissions import bp
from webapp.permissions.forms import PermissionChangeForm, PermissionCreateForm
from webapp.permissions.plan import Plan, catalog, fingerprint, grid, plan_changes, requested_after
from webapp.step_up import complete_step_up
from webapp.store.audit import record_event
from webapp.textmarks import N_
from webapp.textmarks import gettext as _
from webapp.upstream import cms
from webapp.users.views import user_target

SAME_AS_CHOICES = 100
REFUSAL_MESSAGES = {
    "8024": N_("You cannot change your own permissions."),
    "8023": N_("You cannot grant or revoke a permission you do not hold on this partner."),
}


@bp.route("/", methods=["GET"])
@requires("users", "detail", alternatives=[("users", "update")])
def index(partner_id: int) -> BaseResponse:
    operator: Operator = current_user
    modules = cms().permissions.modules(SessionTokenHolder())
    response = htmx.render(
        "permissions/index.html",
        partner_id=partner_id,
        modules=modules,
        category_of=category_of,
        categories=SENSITIVE_CATEGORIES,
        can_create=operator.is_admin,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# -- create a permission (administrators)


@bp.route("/new", methods=["GET", "POST"])
@requires("users", "detail", alternatives=[("users", "update")])
def create(partner_id: int) -> BaseResponse:
    """Administrators only (the upstream's rule for #9); anyone else gets the access-denied page."""
    operator: Operator = current_user
    if not operator.is_admin:
        abort(403)
    form = PermissionCreateForm()
    if request.method == "GET" or not form.validate():
        status = 422 if request.method == "POST" else 200
        return htmx.render("permissions/create.html", partner_id=partner_id, form=form, status=status)
    spec = PermissionSpec(
        resource=str(form.resource.data),
        action=str(form.action.data),
        description=form.description.data or None,
    )
    try:
        created = cms().permissions.create(SessionTokenHolder(), [spec])
    except errors.ValidationFailed as exc:
        message = exc.errors[0].message if exc.errors else exc.message
        form.resource.errors = [*form.resource.errors, message]
        return htmx.render("permissions/create.html", partner_id=partner_id, form=form, status=422)
    names = [p.key for p in created]
    record_event("permission_create", outcome="success", partner_id=partner_id, detail={"permissions": names})
    flash(
        _("Permission %(name)s created. The platform does not enforce it.", name=", ".join(names)), "warning"
    )
    return htmx.redirect(url_for("permissions.index", partner_id=partner_id))


# -- the editor


def _requested_ids() -> list[int]:
    return [pid for pid in map(parse_id, request.form.getlist("perm")) if pid is not None]


class EditorContext:
    """Everything the editor page shows, read once per request."""

    def __init__(self, partner_id: int, user_id: int) -> None:
        operator: Operator = current_user
        holder = SessionTokenHolder()
        client = cms()
        self.partner_id = partner_id
        self.operator = operator
        self.user = client.users.get(holder, partner_id, user_id)
        self.modules = client.permissions.modules(holder)
        self.permissions = catalog(self.modules)
        self.current = client.permissions.of_user(holder, user_id, partner_id).permission_keys()
        self.holdable = operator.permissions.get(partner_id, frozenset())
        self.is_self = user_id == operator.id
        self.candidates = [
            u
            for u in client.users.list(holder, partner_id, page=1, limit=SAME_AS_CHOICES).items
            if u.id != user_id
        ]

    def ids_of(self, names: frozenset[str]) -> list[int]:
        return [p.permission_id for p in self.permissions.values() if p.key in names]

    def render(
        self,
        *,
        checked: frozenset[str],
        form: PermissionChangeForm,
        plan: Plan | None = None,
        same_as: Any = None,
        refusal: str | None = None,
        status: int = 200,
    ) -> BaseResponse:
        response = htmx.render(
            "permissions/editor.html",
            partner_id=self.partner_id,
            user=self.user,
            rows=grid(self.modules),
            current=self.current,
            checked=checked,
            holdable=self.holdable,
            is_self=self.is_self,
            candidates=self.candidates,
            plan=plan,
            form=form,
            same_as=same_as,
            refusal=refusal,
            category_of=category_of,
            categories=SENSITIVE_CATEGORIES,
            status=status,
        )
        response.headers["Cache-Control"] = "no-store"
        return response


@bp.route("/users/<int:user_id>", methods=["GET"])
@requires("users", "update")
def editor(partner_id: int, user_id: int) -> BaseResponse:
    """The grid with the user's current permissions, or another user's ("same as") to start from."""
    ctx = EditorContext(partner_id, user_id)
    form = PermissionChangeForm()
    same_as_id = parse_id(request.args.get("same_as"))
    if same_as_id is not None and not ctx.is_self:
        source = next((u for u in ctx.candidates if u.id == same_as_id), None)
        if source is not None:
            copied = cms().permissions.of_user(SessionTokenHolder(), source.id, partner_id).permission_keys()
            plan = plan_changes(ctx.permissions, ctx.current, ctx.ids_of(copied), ctx.holdable)
            checked = requested_after(ctx.current, plan)
            form.previewed.data = fingerprint(user_id, partner_id, ctx.ids_of(checked))
            return ctx.render(checked=checked, form=form, plan=plan, same_as=source)
    return ctx.render(checked=ctx.current, form=form)


@bp.route("/users/<int:user_id>", methods=["POST"])
@requires("users", "update")
def save(partner_id: int, user_id: int) -> BaseResponse:
    ctx = EditorContext(partner_id, user_id)
    form = PermissionChangeForm()
    requested = _requested_ids()
    if ctx.is_self:
        record_event(
            "permissions_change",
            outcome="refused",
            target=user_target(user_id),
            partner_id=partner_id,
            detail={"reason": "self"},
        )
        return ctx.render(checked=ctx.current, form=form, refusal=_(REFUSAL_MESSAGES["8024"]), status=403)
    plan = plan_changes(ctx.permissions, ctx.current, requested, ctx.holdable)
    checked = requested_after(ctx.current, plan)
    if plan.refused:
        record_event(
            "permissions_change",
            outcome="refused",
            target=user_target(user_id),
            partner_id=partner_id,
            detail={"reason": "escalation", "permissions": list(plan.refused)},
        )
        refusal = _(REFUSAL_MESSAGES["8023"]) + " " + ", ".join(plan.refused)
        return ctx.render(checked=checked, form=form, plan=plan, refusal=refusal, status=403)
    digest = fingerprint(user_id, partner_id, ctx.ids_of(checked))
    wants_save = request.form.get("step") == "save"
    if not wants_save or form.previewed.data != digest or plan.empty:
        form.previewed.data = digest
        return ctx.render(checked=checked, form=form, plan=plan)
    if not form.validate() or not form.reason.data:
        if not form.reason.data:
            form.reason.errors = [*form.reason.errors, _("Say why these permissions change.")]
        return ctx.render(checked=checked, form=form, plan=plan, status=422)
    if not complete_step_up(form, action="permissions_change"):
        return ctx.render(checked=checked, form=form, plan=plan, status=422)
    return _apply(ctx, form, plan, checked)


def _apply(
    ctx: EditorContext, form: PermissionChangeForm, plan: Plan, checked: frozenset[str]
) -> BaseResponse:
    """Revoke, then grant; both outcomes (and a half-done change) go to the audit trail."""
    holder, client = SessionTokenHolder(), cms()
    user_id, partner_id = ctx.user.id, ctx.partner_id
    done: list[str] = []
    detail: dict[str, Any] = {
        "before": sorted(ctx.current),
        "after": sorted(checked),
        "granted": [p.key for p in plan.grant],
        "revoked": [p.key for p in plan.revoke],
        "reason": form.reason.data,
    }
    try:
        if plan.revoke:
            client.permissions.revoke(holder, user_id, [(p.permission_id, partner_id) for p in plan.revoke])
            done.append("revoke")
        if plan.grant:
            client.permissions.grant(holder, user_id, [(p.permission_id, partner_id) for p in plan.grant])
            done.append("grant")
    except (errors.OtpRequired, errors.Forbidden, errors.ValidationFailed) as exc:
        outcome = "partial" if done else "refused"
        record_event(
            "permissions_change",
            outcome=outcome,
            target=user_target(user_id),
            partner_id=partner_id,
            detail={**detail, "done": done, "code": exc.code},
        )
        if done:
            flash(_("Only part of the change was saved. Review the grid before trying again."), "error")
        if isinstance(exc, errors.OtpRequired):
            form.otp.errors = [_("This action needs a fresh code: send one and enter it.")]
            return ctx.render(checked=checked, form=form, plan=plan, status=422)
        message = REFUSAL_MESSAGES.get(exc.code or "")
        if message is None:
            raise
        return ctx.render(checked=checked, form=form, plan=plan, refusal=_(message), status=403)
    record_event(
        "permissions_change",
        outcome="success",
        target=user_target(user_id),
        partner_id=partner_id,
        detail=detail,
    )
    flash(
        _(
            "Permissions saved: %(granted)s granted, %(revoked)s revoked.",
            granted=len(plan.grant),
            revoked=len(plan.revoke),
        ),
        "success",
    )
    return htmx.redirect(url_for("permissions.editor", partner_id=partner_id, user_id=user_id))
