"""The Operator model and the navigation built from permissions."""

from __future__ import annotations

from flask import Blueprint, Flask

from webapp.access import (
    NAV,
    Access,
    Operator,
    PartnerRef,
    access_of,
    navigation,
    public,
    requires,
    signed_in,
)

OPERATOR = Operator(
    id=7,
    email="ana@demo.migo",
    name="Ana",
    is_admin=False,
    otp_elevation=True,
    partners=(PartnerRef(1, "Banco Quetzal"), PartnerRef(2, "Fintech Maya")),
    permissions={1: frozenset({"cardholders:list", "approvals:list"}), 2: frozenset({"users:detail"})},
)


def test_operator_survives_the_session_round_trip() -> None:
    assert Operator.from_dict(OPERATOR.to_dict()) == OPERATOR
    assert OPERATOR.can(1, "cardholders", "list")
    assert not OPERATOR.can(2, "cardholders", "list")
    assert not OPERATOR.can(3, "cardholders", "list")
    assert OPERATOR.partner(2) == PartnerRef(2, "Fintech Maya")
    assert OPERATOR.partner(3) is None


def _app_with_every_section() -> Flask:
    app = Flask(__name__)
    for entry in NAV:
        blueprint_name, view_name = entry.endpoint.split(".")
        bp = Blueprint(blueprint_name, __name__)
        bp.add_url_rule(f"/p/<int:partner_id>/{blueprint_name}", view_name, lambda partner_id: "")
        app.register_blueprint(bp)
    return app


def test_navigation_lists_only_what_the_operator_may_open() -> None:
    app = _app_with_every_section()
    with app.test_request_context("/p/1/cardholders"):
        labels = [link.label for link in navigation(app, OPERATOR, 1)]
        assert labels == ["Dashboard", "Partner", "Cardholders", "Top-up requests", "My jobs"]
        labels = [link.label for link in navigation(app, OPERATOR, 2)]
        assert labels == ["Dashboard", "Partner", "Permissions", "My jobs"]
        assert navigation(app, None, 1) == []
        assert navigation(app, OPERATOR, None) == []
        active = [link.label for link in navigation(app, OPERATOR, 1) if link.active]
        assert active == ["Cardholders"]


def test_sections_not_built_yet_are_skipped() -> None:
    app = Flask(__name__)
    with app.test_request_context("/"):
        assert navigation(app, OPERATOR, 1) == []


def test_signed_in_and_requires_refuse_an_anonymous_caller_even_without_the_gate(bare_app: Flask) -> None:
    """The markers wrap the view in Flask-Login's `login_required`: called directly, it still sends an
    anonymous caller to sign in instead of running."""
    views = [signed_in(lambda: "ran"), requires("cardholders", "list")(lambda: "ran")]
    for view in views:
        with bare_app.test_request_context("/p/1/cardholders/?q=ana"):
            refused = view()
        assert refused.status_code == 302
        assert refused.location.startswith("/auth/login?next=")
    assert access_of(views[0]) == Access("signed_in")
    assert public(lambda: "ran")() == "ran"
