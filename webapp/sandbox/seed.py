"""Deterministic demo data: partners, the permission catalog (docs/cms-api.md §3.9) and a dozen operators.

Cardholders, cards, balances and process requests come from `seed_domain.seed_domain`. Every operator's
password is `DEMO_PASSWORD`.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from flask import current_app

from webapp.sandbox.clock import now, utcnow
from webapp.sandbox.db import session
from webapp.sandbox.models import Assignment, CmsUser, Grant, Module, Partner, Permission, hash_password
from webapp.sandbox.seed_domain import seed_domain

DEMO_PASSWORD = "Sandbox-Demo-2026!"
SEED = 2026

PARTNERS: list[dict[str, Any]] = [
    {
        "partner_id": 1,
        "name": "Banco Quetzal",
        "legal_name": "Banco Quetzal, S.A.",
        "branding": {"primaryColor": "#0B5FFF", "logoText": "BQ"},
        "features": ["cardholders", "cards", "bulk-uploads", "process-requests"],
    },
    {
        "partner_id": 2,
        "name": "Fintech Maya",
        "legal_name": "Fintech Maya, S.A.",
        "branding": {"primaryColor": "#7A3CFF", "logoText": "FM"},
        "features": ["cardholders", "cards", "bulk-uploads", "process-requests"],
    },
    {
        "partner_id": 3,
        "name": "Cooperativa Altiplano",
        "legal_name": "Cooperativa de Ahorro y Crédito Altiplano, R.L.",
        "branding": {"primaryColor": "#0F8A5F", "logoText": "CA"},
        "features": ["cardholders", "cards", "process-requests"],
    },
]

# module key, name, description, resource, {action: permission description}
CATALOG: list[tuple[str, str, str, str, dict[str, str]]] = [
    (
        "cms-users",
        "CMS users",
        "Backoffice operators and their permissions.",
        "users",
        {
            "create": "Create CMS users",
            "update": "Edit CMS users and their permissions",
            "list": "List CMS users",
            "detail": "View a CMS user and their permissions",
            "change_status": "Activate or deactivate CMS users",
        },
    ),
    (
        "cardholders",
        "Cardholders",
        "People holding the partner's cards.",
        "cardholders",
        {
            "create": "Register cardholders",
            "update": "Edit or close cardholders",
            "list": "List and search cardholders",
            "detail": "View a cardholder",
            "otp": "View a cardholder's unmasked personal data after an OTP",
        },
    ),
    (
        "bulk-uploads",
        "Bulk uploads",
        "Excel uploads that create cardholders or issue cards in bulk.",
        "bulk-create",
        {"create": "Upload cardholder and card files"},
    ),
    (
        "cards",
        "Cards",
        "Card administration for the partner's card program.",
        "cards-admin",
        {
            "activate": "Activate cards",
            "block": "Block cards",
            "unblock": "Unblock cards",
            "transfer": "Transfer between cards",
            "addFunds": "Load funds onto cards",
            "withdrawFunds": "Withdraw funds from cards",
            "detail": "View cards",
            "otp": "Card operations confirmed with an OTP",
            "balance-account": "View a card's account balance",
        },
    ),
    (
        "card-movements",
        "Card movements",
        "Card transaction history.",
        "card-movements",
        {"list": "List card movements", "detail": "View a card movement", "revert": "Revert a card movement"},
    ),
    (
        "balance-management",
        "Partner balance",
        "Balance top-up requests (process requests).",
        "balance-management",
        {
            "create": "Request a balance top-up",
            "list": "View the balance and top-up requests",
            "cancel": "Cancel a pending top-up request",
            "otp": "Top-up requests confirmed with an OTP",
        },
    ),
    (
        "approvals",
        "Approvals",
        "The second pair of eyes on top-up requests.",
        "approvals",
        {
            "list": "List requests awaiting approval",
            "detail": "View a request awaiting approval",
            "update": "Approve or reject requests",
        },
    ),
]

READ_ACTIONS = ("list", "detail")


def _all_pairs() -> list[str]:
    return [f"{resource}:{action}" for *_, resource, actions in CATALOG for action in actions]


def _read_only_pairs() -> list[str]:
    return [p for p in _all_pairs() if p.split(":", 1)[1] in READ_ACTIONS]


# email, name, {partner: [pairs]}, extra attributes
OPERATORS: list[tuple[str, str, dict[int, list[str]], dict[str, Any]]] = [
    (
        "ana.operadora@demo.migo",
        "Ana Lucía Morales",
        {
            pid: [
                "cardholders:*",
                "cards-admin:activate",
                "cards-admin:block",
                "cards-admin:unblock",
                "cards-admin:detail",
                "bulk-create:create",
                "balance-management:create",
                "balance-management:list",
            ]
            for pid in (1, 2)
        },
        {},
    ),
    (
        "bruno.aprobador@demo.migo",
        "Bruno Estrada",
        {
            pid: ["approvals:*", "balance-management:list", "cardholders:list", "cardholders:detail"]
            for pid in (1, 2)
        },
        {},
    ),
    ("carla.auditora@demo.migo", "Carla Méndez", {pid: _read_only_pairs() for pid in (1, 2, 3)}, {}),
    ("diego.admin@demo.migo", "Diego Castillo", {pid: _all_pairs() for pid in (1, 2, 3)}, {"is_admin": True}),
    (
        "elena.dormida@demo.migo",
        "Elena Barrios",
        {1: ["users:*", "cards-admin:addFunds", "cards-admin:withdrawFunds"]},
        {"last_login_days": 200},
    ),
    (
        "fernando.bloqueado@demo.migo",
        "Fernando Pérez",
        {1: ["cardholders:list", "cardholders:detail"]},
        {"locked": True},
    ),
    (
        "gabriela.inactiva@demo.migo",
        "Gabriela Rodas",
        {2: ["cardholders:list", "cardholders:detail"]},
        {"status": "inactive"},
    ),
    (
        "hector.tzul@demo.migo",
        "Héctor Tzul",
        {3: ["cardholders:create", "cardholders:list", "cardholders:detail", "bulk-create:create"]},
        {},
    ),
    (
        "isabel.xajil@demo.migo",
        "Isabel Xajil",
        {
            pid: ["cards-admin:activate", "cards-admin:block", "cards-admin:unblock", "cards-admin:detail"]
            for pid in (2, 3)
        },
        {},
    ),
    (
        "jorge.cojti@demo.migo",
        "Jorge Cojtí",
        {3: ["balance-management:*", "cardholders:list"]},
        {},
    ),
    (
        "karla.ajanel@demo.migo",
        "Karla Ajanel",
        {3: ["approvals:*", "balance-management:list"]},
        {},
    ),
    (
        "luis.batz@demo.migo",
        "Luis Batz",
        {1: ["cardholders:list", "cardholders:detail", "cards-admin:detail"]},
        {"otp_elevation": False},
    ),
]


def seed_catalog() -> dict[tuple[str, str], Permission]:
    """Modules and permissions, ids in catalog order."""
    permissions: dict[tuple[str, str], Permission] = {}
    for key, name, description, resource, actions in CATALOG:
        module = Module(key=key, name=name, description=description)
        session.add(module)
        session.flush()
        for action, text in actions.items():
            permission = Permission(resource=resource, action=action, description=text, module_id=module.id)
            session.add(permission)
            permissions[(resource, action)] = permission
    session.flush()
    return permissions


def _expand(pairs: list[str], permissions: dict[tuple[str, str], Permission]) -> list[Permission]:
    found: list[Permission] = []
    for pair in pairs:
        resource, action = pair.split(":", 1)
        matches = [p for (r, a), p in permissions.items() if r == resource and action in ("*", a)]
        found.extend(m for m in matches if m not in found)
    return found


def seed_operators(rng: random.Random, permissions: dict[tuple[str, str], Permission]) -> list[CmsUser]:
    password_hash = hash_password(DEMO_PASSWORD)
    lockout = int(current_app.config["SANDBOX_LOCKOUT_SECONDS"])
    users: list[CmsUser] = []
    for email, name, grants, extra in OPERATORS:
        days = extra.get("last_login_days", rng.randint(0, 20))
        user = CmsUser(
            email=email,
            name=name,
            password_hash=password_hash,
            status=extra.get("status", "active"),
            is_admin=extra.get("is_admin", False),
            otp_elevation=extra.get("otp_elevation", True),
            last_login_at=utcnow() - timedelta(days=days, minutes=rng.randint(0, 600)),
            failed_count=0,
            locked_until=now() + max(lockout, 24 * 3600) if extra.get("locked") else None,
            created_at=utcnow() - timedelta(days=days + rng.randint(30, 400)),
        )
        session.add(user)
        session.flush()
        for partner_id, pairs in grants.items():
            session.add(Assignment(user_id=user.id, partner_id=partner_id))
            for permission in _expand(pairs, permissions):
                session.add(
                    Grant(user_id=user.id, partner_id=partner_id, permission_id=permission.permission_id)
                )
        users.append(user)
    session.flush()
    return users


def seed_demo() -> dict[str, Any]:
    """Fill an empty database (call inside an app context). Answers counts, prints nothing."""
    rng = random.Random(SEED)
    partners = []
    for spec in PARTNERS:
        partner = Partner(
            country="GT",
            currency="GTQ",
            status="active",
            created_at=utcnow() - timedelta(days=rng.randint(400, 900)),
            **spec,
        )
        session.add(partner)
        partners.append(partner)
    session.flush()
    permissions = seed_catalog()
    users = seed_operators(rng, permissions)
    session.commit()
    domain = seed_domain(rng, partners, users)
    session.commit()
    return {
        "partners": len(partners),
        "modules": len(CATALOG),
        "permissions": len(permissions),
        "users": len(users),
        "domain": domain,
    }
