"""The audit's judgement: which permissions are sensitive, which combinations are risky, who is dormant, and
what changed between two runs. Pure functions over `AuditData`, so every rule is tested without the upstream.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from webapp.audit.data import AuditData, AuditUser
from webapp.textmarks import N_

# category → how to recognise it. English labels are catalog keys (translated in templates).
SENSITIVE_CATEGORIES: dict[str, str] = {
    "money": N_("Money movement"),
    "balance": N_("Partner balance"),
    "pii": N_("Personal data"),
    "user_admin": N_("User administration"),
}
_MONEY = frozenset({"cards-admin:addFunds", "cards-admin:withdrawFunds", "cards-admin:transfer"})
_PII = frozenset({"cardholders:otp", "cardholders:detail"})
# Administration that changes who can do what (reading the user list is not administration).
_USER_CHANGES = frozenset({"users:create", "users:update", "users:change_status"})


def category_of(permission: str) -> str | None:
    """The sensitive category of a `resource:action` name, or None for an ordinary permission."""
    resource = permission.partition(":")[0]
    if permission in _MONEY:
        return "money"
    if resource == "balance-management":
        return "balance"
    if permission in _PII:
        return "pii"
    if resource == "users":
        return "user_admin"
    return None


def sensitive(perms: Iterable[str]) -> list[str]:
    return sorted(p for p in perms if category_of(p) is not None)


@dataclass(frozen=True)
class RiskRule:
    id: str
    label: str  # English catalog key
    explanation: str


RISK_RULES: tuple[RiskRule, ...] = (
    RiskRule(
        "maker_checker",
        N_("Requests and approves top-ups"),
        N_(
            "Can create process requests (balance-management:create) and approve them (approvals:update) "
            "on the same partner: one person could move money without a second pair of eyes."
        ),
    ),
    RiskRule(
        "admin_and_money",
        N_("User administration and money movement"),
        N_(
            "Can change users or their permissions and also move money on cards on the same partner: they "
            "could grant themselves through a colleague's account what a second person should hold."
        ),
    ),
)
RISK_LABELS = {rule.id: rule.label for rule in RISK_RULES}


def risk_flags(perms: frozenset[str]) -> list[str]:
    """Rule ids that this set of permissions (one user on one partner) triggers."""
    flags: list[str] = []
    if "balance-management:create" in perms and "approvals:update" in perms:
        flags.append("maker_checker")
    if perms & _USER_CHANGES and perms & _MONEY:
        flags.append("admin_and_money")
    return flags


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; every timestamp here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_dormant(user: AuditUser, as_of: datetime, days: int) -> bool:
    """No sign-in for `days` days, or never signed in at all."""
    if user.last_login_at is None:
        return True
    return _aware(as_of) - _aware(user.last_login_at) >= timedelta(days=days)


@dataclass(frozen=True)
class MatrixRow:
    partner_id: int
    user: AuditUser
    permissions: frozenset[str]
    sensitive: tuple[str, ...]
    flags: tuple[str, ...]
    dormant: bool

    @property
    def dormant_with_sensitive(self) -> bool:
        return self.dormant and bool(self.sensitive)


def matrix(data: AuditData, as_of: datetime, dormant_days: int) -> list[MatrixRow]:
    """One row per (partner, user), partners in id order and users by name."""
    rows: list[MatrixRow] = []
    for pid in sorted(data.grants):
        by_user = data.grants[pid]
        for uid in sorted(
            by_user, key=lambda u: (data.users[u].name.lower(), u) if u in data.users else ("", u)
        ):
            user = data.users.get(uid)
            if user is None:
                continue
            perms = by_user[uid]
            rows.append(
                MatrixRow(
                    partner_id=pid,
                    user=user,
                    permissions=perms,
                    sensitive=tuple(sensitive(perms)),
                    flags=tuple(risk_flags(perms)),
                    dormant=is_dormant(user, as_of, dormant_days),
                )
            )
    return rows


@dataclass(frozen=True)
class Holder:
    partner_id: int
    user: AuditUser
    dormant: bool


def holders_by_permission(rows: Iterable[MatrixRow]) -> dict[str, list[Holder]]:
    """Who holds each sensitive permission, permission names in order."""
    found: dict[str, list[Holder]] = {}
    for row in rows:
        for perm in row.sensitive:
            found.setdefault(perm, []).append(Holder(row.partner_id, row.user, row.dormant))
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class Change:
    partner_id: int
    user_id: int
    user_name: str
    gained: tuple[str, ...]
    lost: tuple[str, ...]


def changes(before: AuditData, after: AuditData) -> list[Change]:
    """Who gained and who lost what, per partner, between two runs over the same partners."""
    out: list[Change] = []
    for pid in sorted(set(before.grants) | set(after.grants)):
        old, new = before.grants.get(pid, {}), after.grants.get(pid, {})
        for uid in sorted(set(old) | set(new)):
            was, now = old.get(uid, frozenset()), new.get(uid, frozenset())
            if was == now:
                continue
            user = after.users.get(uid) or before.users.get(uid)
            out.append(
                Change(
                    partner_id=pid,
                    user_id=uid,
                    user_name=user.name if user else f"#{uid}",
                    gained=tuple(sorted(now - was)),
                    lost=tuple(sorted(was - now)),
                )
            )
    return out
