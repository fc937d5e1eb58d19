"""Who may read who-can-do-what on a partner. A permission audit (webapp/audit/views.py) and the activity
trail (webapp/activity/views.py) ask the same pair, held by user administrators and read-only auditors."""

from __future__ import annotations

from webapp.access import Operator

READER_NEEDS = (("users", "list"), ("users", "detail"))


def reader_partners(operator: Operator) -> list[int]:
    """The operator's partners where they hold every permission in READER_NEEDS."""
    return [
        ref.partner_id
        for ref in operator.partners
        if all(operator.can(ref.partner_id, resource, action) for resource, action in READER_NEEDS)
    ]
