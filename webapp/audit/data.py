"""What one permission audit read from the upstream: partners, users and each user's grants per partner.

Plain data with a JSON form, so a run can be stored as a snapshot and analysed again later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from webapp.cms.models import CmsUser


@dataclass(frozen=True)
class AuditUser:
    id: int
    name: str
    email: str
    status: str
    is_admin: bool
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: CmsUser) -> AuditUser:
        return cls(user.id, user.name, user.email, user.status, user.is_admin, user.last_login_at)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "status": self.status,
            "isAdmin": self.is_admin,
            "lastLoginAt": self.last_login_at.isoformat() if self.last_login_at else None,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> AuditUser:
        last = raw.get("lastLoginAt")
        return cls(
            id=int(raw["id"]),
            name=str(raw.get("name") or ""),
            email=str(raw.get("email") or ""),
            status=str(raw.get("status") or ""),
            is_admin=bool(raw.get("isAdmin", False)),
            last_login_at=datetime.fromisoformat(last) if isinstance(last, str) and last else None,
        )


@dataclass
class AuditData:
    """`grants[partner_id][user_id]` is the set of `resource:action` names that user holds there."""

    partners: dict[int, str] = field(default_factory=dict)
    users: dict[int, AuditUser] = field(default_factory=dict)
    grants: dict[int, dict[int, frozenset[str]]] = field(default_factory=dict)

    @property
    def grant_count(self) -> int:
        return sum(len(perms) for by_user in self.grants.values() for perms in by_user.values())

    def permission_names(self) -> list[str]:
        return sorted({p for by_user in self.grants.values() for perms in by_user.values() for p in perms})

    def to_json(self) -> dict[str, Any]:
        return {
            "partners": [{"id": pid, "name": name} for pid, name in sorted(self.partners.items())],
            "users": [u.to_json() for _, u in sorted(self.users.items())],
            "grants": {
                str(pid): {str(uid): sorted(perms) for uid, perms in sorted(by_user.items())}
                for pid, by_user in sorted(self.grants.items())
            },
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> AuditData:
        return cls(
            partners={int(p["id"]): str(p.get("name") or "") for p in raw.get("partners", [])},
            users={int(u["id"]): AuditUser.from_json(u) for u in raw.get("users", [])},
            grants={
                int(pid): {int(uid): frozenset(str(p) for p in perms) for uid, perms in by_user.items()}
                for pid, by_user in (raw.get("grants") or {}).items()
            },
        )
