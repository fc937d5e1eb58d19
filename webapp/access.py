"""Who may open what: the signed-in operator, the three access markers, and the deny-by-default gate.

The signed-in operator is Flask-Login's `current_user` (its loader: webapp/auth/session_lifecycle.py). Every
view carries an `_access` marker (`@public`, `@signed_in` or `@requires`); the gate refuses any endpoint
without one, so a forgotten decorator is a 404, not an open door. Partner scope comes from the URL
(`/p/<int:partner_id>/...`) and is checked against the operator's assigned partners before the view can call
upstream. Permissions come from upstream at sign-in; the nav only mirrors them, this gate enforces them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from flask import Flask, abort, g, has_request_context, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from webapp.extensions import login_manager
from webapp.logging_setup import security_event
from webapp.store.audit import record_event
from webapp.upstream import offers

F = TypeVar("F", bound=Callable[..., Any])
AccessKind = Literal["public", "signed_in", "requires"]
PUBLIC_ENDPOINTS = frozenset({"static"})


@dataclass(frozen=True)
class PartnerRef:
    partner_id: int
    name: str


@dataclass(frozen=True)
class Operator:
    id: int
    email: str
    name: str
    is_admin: bool
    otp_elevation: bool
    partners: tuple[PartnerRef, ...]
    permissions: Mapping[int, frozenset[str]] = field(default_factory=dict)

    def can(self, partner_id: int, resource: str, action: str) -> bool:
        return f"{resource}:{action}" in self.permissions.get(partner_id, frozenset())

    def can_any(self, partner_id: int, pairs: Iterable[tuple[str, str]]) -> bool:
        return any(self.can(partner_id, resource, action) for resource, action in pairs)

    # Flask-Login's user protocol: an Operator is always signed in (the anonymous visitor is Flask-Login's).
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    def partner(self, pid: int) -> PartnerRef | None:
        return next((p for p in self.partners if p.partner_id == pid), None)

    def to_dict(self) -> dict[str, Any]:
        """Session-safe form: JSON/msgpack types only, partner ids as string keys."""
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "is_admin": self.is_admin,
            "otp_elevation": self.otp_elevation,
            "partners": [{"partner_id": p.partner_id, "name": p.name} for p in self.partners],
            "permissions": {str(pid): sorted(perms) for pid, perms in self.permissions.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Operator:
        return cls(
            id=int(data["id"]),
            email=str(data["email"]),
            name=str(data["name"]),
            is_admin=bool(data.get("is_admin", False)),
            otp_elevation=bool(data.get("otp_elevation", True)),
            partners=tuple(
                PartnerRef(partner_id=int(p["partner_id"]), name=str(p["name"]))
                for p in data.get("partners", [])
            ),
            permissions={
                int(pid): frozenset(str(p) for p in perms)
                for pid, perms in data.get("permissions", {}).items()
            },
        )


# -- markers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    kind: AccessKind
    permissions: tuple[tuple[str, str], ...] = ()  # any one of these (resource, action) pairs suffices


def _mark(view: F, access: Access) -> F:
    # Behind the gate, Flask-Login's `login_required` still refuses an anonymous caller wherever it runs.
    marked: F = view if access.kind == "public" else login_required(view)
    marked._access = access  # type: ignore[attr-defined]
    return marked


def public(view: F) -> F:
    """Reachable without signing in (sign-in pages, health, language switch)."""
    return _mark(view, Access("public"))


def signed_in(view: F) -> F:
    """Any signed-in operator (partner scope is still checked when the URL names a partner)."""
    return _mark(view, Access("signed_in"))


def requires(resource: str, action: str, *, alternatives: Iterable[tuple[str, str]] = ()) -> Callable[[F], F]:
    """Signed in and holding `resource:action` (or one of `alternatives`) on the URL's partner."""
    pairs = ((resource, action), *tuple(alternatives))

    def decorate(view: F) -> F:
        return _mark(view, Access("requires", pairs))

    return decorate


def access_of(view: Callable[..., Any] | None) -> Access | None:
    return getattr(view, "_access", None)


# -- the gate -------------------------------------------------------------------------------------


def _denied(reason: str, status: int, **fields: Any) -> None:
    security_event("authz_denied", reason=reason, path=request.path, method=request.method, **fields)
    record_event(
        "authz_denied", outcome="denied", partner_id=fields.get("partner_id"), detail={"reason": reason}
    )
    abort(status)


def _scope_unrouted() -> None:
    """A mistyped address inside one of the operator's partners (`/p/<id>/...`) still belongs to that partner:
    its 404 page keeps the partner and the section nav, so the operator is not thrown out of where they were.
    Nothing is set for a partner the operator is not assigned (its 404 shows no name)."""
    if not request.path.startswith("/p/"):
        return
    head = request.path.removeprefix("/p/").partition("/")[0]
    operator = current_user
    if not operator.is_authenticated or not head.isascii() or not head.isdigit() or len(head) > 12:
        return
    partner = operator.partner(int(head))
    if partner is not None:
        g.partner_id = partner.partner_id
        g.partner = partner


def gate() -> ResponseReturnValue | None:
    """before_request: deny by default, then sign-in, partner scope and permission, in that order."""
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: let routing raise its own 404/405
        _scope_unrouted()
        return None
    if endpoint in PUBLIC_ENDPOINTS or endpoint.endswith(".static"):
        return None
    from flask import current_app

    access = access_of(current_app.view_functions.get(endpoint))
    if access is None:
        security_event("authz_denied", reason="unmarked_endpoint", endpoint=endpoint, path=request.path)
        abort(404)
    if access.kind == "public":
        return None
    if not current_user.is_authenticated:
        # Flask-Login's unauthorized handler (webapp/auth/session_lifecycle.py) sends them to sign in.
        response: ResponseReturnValue = login_manager.unauthorized()
        return response
    operator: Operator = current_user
    g.actor_id = operator.id
    partner_id = (request.view_args or {}).get("partner_id")
    if partner_id is not None:
        partner = operator.partner(int(partner_id))
        if partner is None:
            _denied("partner_not_assigned", 403, partner_id=int(partner_id))
        g.partner_id = int(partner_id)
        g.partner = partner
    if access.kind == "requires" and (
        partner_id is None or not operator.can_any(int(partner_id), access.permissions)
    ):
        wanted = " or ".join(f"{r}:{a}" for r, a in access.permissions)
        _denied("permission_missing", 403, partner_id=partner_id, permission=wanted)
    return None


def init_app(app: Flask) -> None:
    app.before_request(gate)
    app.context_processor(frame_context)
    app.jinja_env.globals["optional_url"] = optional_url


# -- navigation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NavEntry:
    label: str  # English; translated in the template
    endpoint: str
    permissions: tuple[tuple[str, str], ...]  # any one shows the entry; empty = any signed-in operator
    # The assumed CMS operation the section is built on (webapp/cms/capabilities.py), if any.
    capability: str | None = None


NAV: tuple[NavEntry, ...] = (
    NavEntry("Dashboard", "dashboard.partner_dashboard", ()),
    NavEntry("Partner", "partners.detail", (), "partners"),
    NavEntry("Cardholders", "cardholders.index", (("cardholders", "list"),)),
    NavEntry("Bulk uploads", "uploads.index", (("bulk-create", "create"),)),
    NavEntry(
        "Top-up requests", "process_requests.index", (("balance-management", "list"), ("approvals", "list"))
    ),
    NavEntry("Users", "users.index", (("users", "list"),), "cms-users"),
    NavEntry("Permissions", "permissions.index", (("users", "detail"), ("users", "update")), "cms-users"),
    NavEntry("Audit", "audit.index", (("users", "list"),), "cms-users"),
    NavEntry("Activity", "activity.index", (("users", "list"),)),
    NavEntry("My jobs", "jobs.index", ()),
)


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    active: bool
    endpoint: str


def navigation(app: Flask, operator: Operator | None, partner_id: int | None) -> list[NavLink]:
    """The sections this operator may open on this partner; endpoints not built yet, and sections built on
    an operation the CMS is known to lack, are skipped."""
    if operator is None or partner_id is None:
        return []
    links: list[NavLink] = []
    current_blueprint = request.blueprint if has_request_context() else None
    for entry in NAV:
        if entry.endpoint not in app.view_functions:
            continue
        if entry.permissions and not operator.can_any(partner_id, entry.permissions):
            continue
        if entry.capability is not None and not offers(entry.capability):
            continue
        try:
            url = url_for(entry.endpoint, partner_id=partner_id)
        except BuildError:
            continue
        links.append(
            NavLink(entry.label, url, entry.endpoint.split(".")[0] == current_blueprint, entry.endpoint)
        )
    return links


def optional_url(endpoint: str, **values: Any) -> str | None:
    """A URL for an endpoint another part provides, or None while that part is not installed."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def frame_context() -> dict[str, Any]:
    """What base.html needs besides `current_user`: where the operator is and what they may open."""
    from flask import current_app

    operator: Operator | None = current_user if current_user.is_authenticated else None
    partner_id: int | None = g.get("partner_id")
    return {
        "current_partner": g.get("partner"),
        "nav_links": navigation(current_app, operator, partner_id),
        "console_env": str(current_app.config.get("CONSOLE_ENV", "sandbox")),
    }
