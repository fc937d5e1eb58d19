"""The audit matrix as rows for CSV and XLSX: one row per (partner, user), one column per permission."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from webapp.audit.data import AuditData
from webapp.audit.rules import RISK_LABELS, MatrixRow
from webapp.files.export import ExportValue
from webapp.textmarks import N_

Translate = Callable[..., str]

# The labels the audit page shows (marked for the catalog; `header` translates them). Permission columns keep
# their `resource:action` names: those are the CMS's own identifiers, the same in every language.
FIXED_COLUMNS = (
    N_("Partner ID"),
    N_("Partner"),
    N_("User ID"),
    N_("Name"),
    N_("Email"),
    N_("Status"),
    N_("Last sign-in (%(zone)s)"),
    N_("Dormant"),
    N_("Sensitive permissions"),
    N_("Risk flags"),
)


def header(permission_names: Sequence[str], translate: Translate, zone_name: str) -> list[str]:
    fixed = [translate(c, zone=zone_name) if "%(zone)s" in c else translate(c) for c in FIXED_COLUMNS]
    return [*fixed, *permission_names]


def rows(
    data: AuditData, matrix: Sequence[MatrixRow], permission_names: Sequence[str], translate: Translate
) -> Iterator[list[ExportValue]]:
    """One row per (partner, user); flags by their readable names, statuses and yes/no in the reader's
    language."""
    yes, no = translate("Yes"), translate("No")
    statuses = {"active": translate("Active"), "inactive": translate("Inactive")}
    for row in matrix:
        yield [
            row.partner_id,
            data.partners.get(row.partner_id, ""),
            row.user.id,
            row.user.name,
            row.user.email,
            statuses.get(row.user.status, row.user.status),
            row.user.last_login_at,
            yes if row.dormant else no,
            len(row.sensitive),
            "; ".join(translate(RISK_LABELS[flag]) if flag in RISK_LABELS else flag for flag in row.flags),
            *["X" if name in row.permissions else "" for name in permission_names],
        ]
