"""The audit matrix as rows for CSV and XLSX: one row per (partner, user), one column per permission."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from webapp.audit.data import AuditData
from webapp.audit.rules import MatrixRow
from webapp.files.export import ExportValue

FIXED_COLUMNS = (
    "partner_id",
    "partner",
    "user_id",
    "name",
    "email",
    "status",
    "last_sign_in",
    "dormant",
    "sensitive_permissions",
    "risk_flags",
)


def header(permission_names: Sequence[str]) -> list[str]:
    return [*FIXED_COLUMNS, *permission_names]


def rows(
    data: AuditData, matrix: Sequence[MatrixRow], permission_names: Sequence[str]
) -> Iterator[list[ExportValue]]:
    for row in matrix:
        yield [
            row.partner_id,
            data.partners.get(row.partner_id, ""),
            row.user.id,
            row.user.name,
            row.user.email,
            row.user.status,
            row.user.last_login_at,
            "yes" if row.dormant else "no",
            len(row.sensitive),
            " ".join(row.flags),
            *["X" if name in row.permissions else "" for name in permission_names],
        ]
