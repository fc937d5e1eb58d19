"""`CMS_PARTNERS`: the partners to offer when the CMS cannot list an operator's partners itself.

No documented operation lists them (docs/cms-api.md §3.4), so a deployment names its partners in
configuration, `1:Banco Uno,2:Fintech Dos`. Each is still checked upstream at sign-in: a partner the CMS
refuses the operator's own permissions read for (403) is not offered.
"""

from __future__ import annotations

from collections.abc import Iterable

from webapp.cms.models import PartnerRef
from webapp.parsing import parse_id


def parse_partners(raw: str | Iterable[str] | None) -> tuple[PartnerRef, ...]:
    """`id:Name` items (comma separated, or a list); the name is optional. ValueError names the bad item."""
    if raw is None:
        return ()
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    partners: list[PartnerRef] = []
    seen: set[int] = set()
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        ident, _sep, name = item.partition(":")
        ident = ident.strip()
        parsed = parse_id(ident)
        if parsed is None:
            raise ValueError(f"{item!r} does not start with a positive partner id (write `id:Name`)")
        partner_id = parsed
        if partner_id in seen:
            raise ValueError(f"partner {partner_id} is listed twice")
        seen.add(partner_id)
        partners.append(PartnerRef(partner_id=partner_id, name=name.strip()))
    return tuple(partners)
