"""Modules and permissions, creating a permission (administrators), and the editor for one user and partner.

The editor is preview-then-save: the first submit only shows what would be granted and revoked; saving needs
that same grid, a reason and (when the session is not elevated) a fresh code. The operator's own permissions
and permissions they do not hold are refused here before any upstream call; the upstream refuses them too
(8024, 8023) and those answers get the same clear wording. Creating a permission and saving the editor go
through the one write path (webapp/submit_once.py), which writes their audit events.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from webapp.access import Operator, requires
from webapp.audit.rules import SENSITIVE_CATEGORIES, category_of
from webapp.auth.token_holder import SessionTokenHolder
from webapp.cms import CmsClient, TokenHolder, errors
from webapp.cms.models import Permission, PermissionSpec
from webapp.form_errors import place_cms_errors
from webapp.htmx import FORM_INVALID, redirect_after_post, render, render_private
from webapp.parsing import parse_id
from webapp.permissions.forms import PermissionChangeForm, PermissionCreateForm
from webapp.permissions.plan import Plan, catalog, fingerprint, grid, plan_changes, requested_after
from webapp.step_up import complete_step_up
from webapp.store.audit import record_event
from webapp.submit_once import Created, Refused, Unknown, Write, submit_once
from webapp.textmarks import N_
from webapp.textmarks import gettext as _
from webapp.upstream import cms
from webapp.users.views import user_target

bp = Blueprint("permissions", __name__, url_prefix="/p/<int:partner_id>/permissions")

SAME_AS_CHOICES = 100
REFUSAL_MESSAGES = {
    "8024": N_("You cannot change your own permissions."),
    "8023": N_("You cannot grant or revoke a permission you do not hold on this partner."),
}


@bp.route("/", methods=["GET"])
@requires("users", "detail", alternatives=[("users", "update")])
def index(partner_id: int) -> BaseResponse:
    operator: Operator = current_user
    return render_private(
        "permissions/index.html",
        partner_id=partner_id,
        modules=cms().permissions.modules(SessionTokenHolder()),
        category_of=category_of,
        categories=SENSITIVE_CATEGORIES,
        can_create=operator.is_admin,
    )


# -- create a permission (administrators)


def _render_create(
    partner_id: int, form: PermissionCreateForm, status: int, form_errors: list[str] | None = None
) -> BaseResponse:
    return render(
        "permissions/create.html", partner_id=partner_id, form=form, form_errors=form_errors, status=status
    )


def _create_write(partner_id: int, form: PermissionCreateForm) -> Write[list[Permission]]:
    spec = PermissionSpec(
        resource=str(form.resource.data),
        action=str(form.action.data),
        description=form.description.data or None,
    )
    holder = SessionTokenHolder()
    return Write(
        event="permission_create",
        partner_id=partner_id,
        send=lambda: cms().permissions.create(holder, [spec]),
        success_detail=lambda created: {"permissions": [p.key for p in created]},
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("users", "detail", alternatives=[("users", "update")])
def create(partner_id: int) -> BaseResponse:
    """Administrators only (the upstream's rule for #9); anyone else gets the access-denied page."""
    operator: Operator = current_user
    if not operator.is_admin:
        abort(403)
    form = PermissionCreateForm()
    if request.method == "GET" or not form.validate():
        return _render_create(partner_id, form, FORM_INVALID if request.method == "POST" else 200)
    outcome = submit_once(_create_write(partner_id, form))
    if isinstance(outcome, Refused) and isinstance(outcome.error, errors.ValidationFailed):
        # The CMS names the list it was sent ("permissions"): its complaint is about the resource:action.
        loose = place_cms_errors(form, outcome.error, field_map={"permissions": "resource"})
        return _render_create(partner_id, form, FORM_INVALID, form_errors=loose)
    if isinstance(outcome, Refused | Unknown):
        raise outcome.error
    assert isinstance(outcome, Created)  # a write without a form key is never in flight or already done
    names = ", ".join(p.key for p in outcome.value)
    flash(_("Permission %(name)s created. The platform does not enforce it.", name=names), "warning")
    return redirect_after_post(url_for("permissions.index", partner_id=partner_id))


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
        return render_private(
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


def _record_refusal(user_id: int, partner_id: int, **detail: Any) -> None:
    """A change refused here before anything was sent (the operator's own, or beyond what they hold)."""
    record_event(
        "permissions_change",
        outcome="refused",
        target=user_target(user_id),
        partner_id=partner_id,
        detail=detail,
    )


def _ready_to_save(form: PermissionChangeForm) -> bool:
    """The save step carries a reason and, when the session needs one, a fresh code."""
    if not form.validate() or not form.reason.data:
        if not form.reason.data:
            form.reason.errors = [*form.reason.errors, _("Say why these permissions change.")]
        return False
    return complete_step_up(form, action="permissions_change")


@bp.route("/users/<int:user_id>", methods=["POST"])
@requires("users", "update")
def save(partner_id: int, user_id: int) -> BaseResponse:
    ctx = EditorContext(partner_id, user_id)
    form = PermissionChangeForm()
    if ctx.is_self:
        _record_refusal(user_id, partner_id, reason="self")
        return ctx.render(checked=ctx.current, form=form, refusal=_(REFUSAL_MESSAGES["8024"]), status=403)
    plan = plan_changes(ctx.permissions, ctx.current, _requested_ids(), ctx.holdable)
    checked = requested_after(ctx.current, plan)
    if plan.refused:
        _record_refusal(user_id, partner_id, reason="escalation", permissions=list(plan.refused))
        refusal = _(REFUSAL_MESSAGES["8023"]) + " " + ", ".join(plan.refused)
        return ctx.render(checked=checked, form=form, plan=plan, refusal=refusal, status=403)
    digest = fingerprint(user_id, partner_id, ctx.ids_of(checked))
    if request.form.get("step") != "save" or form.previewed.data != digest or plan.empty:
        form.previewed.data = digest
        return ctx.render(checked=checked, form=form, plan=plan)
    if not _ready_to_save(form):
        return ctx.render(checked=checked, form=form, plan=plan, status=FORM_INVALID)
    return _apply(ctx, form, plan, checked)


class PartialChange(Exception):
    """The revoke went through and the grant was refused: neither done nor refused, so no outcome the write
    path knows (webapp/submit_once.py); `_apply` records it as "partial"."""

    def __init__(self, error: errors.CmsError) -> None:
        super().__init__(error.message)
        self.error = error


def _send_plan(client: CmsClient, holder: TokenHolder, user_id: int, partner_id: int, plan: Plan) -> None:
    """Revoke, then grant (a refused grant after a revoke is a half-done change)."""
    if plan.revoke:
        client.permissions.revoke(holder, user_id, [(p.permission_id, partner_id) for p in plan.revoke])
    if plan.grant:
        try:
            client.permissions.grant(holder, user_id, [(p.permission_id, partner_id) for p in plan.grant])
        except (errors.OtpRequired, errors.Forbidden, errors.ValidationFailed) as exc:
            if plan.revoke:
                raise PartialChange(exc) from exc
            raise


def _apply(
    ctx: EditorContext, form: PermissionChangeForm, plan: Plan, checked: frozenset[str]
) -> BaseResponse:
    """Send the plan; the outcome (a half-done change too) goes to the audit trail with before and after."""
    user_id, partner_id = ctx.user.id, ctx.partner_id
    detail: dict[str, Any] = {
        "before": sorted(ctx.current),
        "after": sorted(checked),
        "granted": [p.key for p in plan.grant],
        "revoked": [p.key for p in plan.revoke],
        "reason": form.reason.data,
    }
    send = partial(_send_plan, cms(), SessionTokenHolder(), user_id, partner_id, plan)
    target = user_target(user_id)
    write = Write(event="permissions_change", partner_id=partner_id, send=send, target=target, detail=detail)
    try:
        outcome = submit_once(write)
    except PartialChange as half:
        record_event(
            write.event,
            outcome="partial",
            target=write.target,
            partner_id=partner_id,
            detail={**detail, "done": ["revoke"], "code": half.error.code},
        )
        flash(_("Only part of the change was saved. Review the grid before trying again."), "error")
        return _refused(ctx, form, plan, checked, half.error)
    if isinstance(outcome, Refused | Unknown):
        return _refused(ctx, form, plan, checked, outcome.error)
    counts = {"granted": len(plan.grant), "revoked": len(plan.revoke)}
    flash(_("Permissions saved: %(granted)s granted, %(revoked)s revoked.", **counts), "success")
    return redirect_after_post(url_for("permissions.editor", partner_id=partner_id, user_id=user_id))


def _refused(
    ctx: EditorContext, form: PermissionChangeForm, plan: Plan, checked: frozenset[str], exc: errors.CmsError
) -> BaseResponse:
    """The editor again for a refusal it can explain (a code needed, 8023, 8024); else the error page."""
    if isinstance(exc, errors.OtpRequired):
        form.otp.errors = [_("This action needs a fresh code: send one and enter it.")]
        return ctx.render(checked=checked, form=form, plan=plan, status=FORM_INVALID)
    message = REFUSAL_MESSAGES.get(exc.code or "")
    if message is None or not isinstance(exc, errors.Forbidden | errors.ValidationFailed):
        raise exc
    return ctx.render(checked=checked, form=form, plan=plan, refusal=_(message), status=403)
