"""What a permission edit will do: the grants and revokes between a user's current set and the requested one.

An operator may only change permissions they hold themselves on that partner (the upstream refuses anything
else with 8023), so a requested change to any other permission is refused here, before anything is sent. The
grid shows those as locked; a locked box that arrives changed anyway was tampered with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from webapp.cms.models import Module, Permission


@dataclass(frozen=True)
class Plan:
    grant: tuple[Permission, ...]
    revoke: tuple[Permission, ...]
    refused: tuple[str, ...]  # permission names the operator may not change

    @property
    def empty(self) -> bool:
        return not self.grant and not self.revoke


def catalog(modules: Iterable[Module]) -> dict[int, Permission]:
    """Every permission of every module, by id."""
    return {p.permission_id: p for module in modules for p in module.permissions}


def plan_changes(
    permissions: Mapping[int, Permission],
    current: frozenset[str],
    requested_ids: Iterable[int],
    holdable: frozenset[str],
) -> Plan:
    """The changes from `current` to the requested ids; ids outside the catalog are ignored."""
    requested = {permissions[pid].key for pid in requested_ids if pid in permissions}
    grant: list[Permission] = []
    revoke: list[Permission] = []
    refused: list[str] = []
    for permission in sorted(permissions.values(), key=lambda p: (p.resource, p.action)):
        key = permission.key
        wanted, has = key in requested, key in current
        if wanted == has:
            continue
        if key not in holdable:
            refused.append(key)
        elif wanted:
            grant.append(permission)
        else:
            revoke.append(permission)
    return Plan(grant=tuple(grant), revoke=tuple(revoke), refused=tuple(refused))


def requested_after(current: frozenset[str], plan: Plan) -> frozenset[str]:
    return (current - {p.key for p in plan.revoke}) | {p.key for p in plan.grant}


def fingerprint(user_id: int, partner_id: int, requested_ids: Iterable[int]) -> str:
    """Ties a save to the preview the operator saw: a grid changed after the preview is previewed again."""
    text = f"{user_id}:{partner_id}:" + ",".join(str(i) for i in sorted(set(requested_ids)))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# The grid's columns: the actions most modules share; the rest of a module's actions go in a last column.
GRID_ACTIONS: tuple[str, ...] = ("list", "detail", "create", "update")


@dataclass(frozen=True)
class GridRow:
    module: Module
    by_action: dict[str, Permission]
    others: tuple[Permission, ...]


def grid(modules: Iterable[Module]) -> list[GridRow]:
    rows: list[GridRow] = []
    for module in modules:
        by_action = {p.action: p for p in module.permissions if p.action in GRID_ACTIONS}
        others = tuple(p for p in module.permissions if p.action not in GRID_ACTIONS)
        rows.append(GridRow(module=module, by_action=by_action, others=others))
    return rows
