"""An approver's queue: the pending requests this operator may decide.

Four eyes: a request the operator sent is never in their own queue, and only an operator holding
`approvals:update` has a queue at all. The CMS list filters by status but not by requester, so the pending
requests are read page by page and the operator's own are left out here; the dashboard's count and the list
it links to come from this one function, so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from webapp.access import Operator
from webapp.cms import CmsClient, TokenHolder
from webapp.cms.models import ProcessRequest
from webapp.cms.pagination import Page, every_page

PERMISSION = ("approvals", "update")
# The sandbox's largest page (webapp/sandbox/envelope.py); a CMS that gives fewer still says when more follow.
READ_LIMIT = 100
MAX_READS = 10  # past 1,000 pending requests the queue shows the newest ones and says it is not complete


@dataclass(frozen=True)
class Queue:
    items: list[ProcessRequest]  # newest first, as the CMS lists them
    complete: bool  # False when MAX_READS pages did not reach the end of the pending list

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def oldest(self) -> datetime | None:
        moments = [item.created_at for item in self.items if item.created_at is not None]
        return min(moments) if moments else None

    def page(self, number: int, limit: int) -> Page[ProcessRequest]:
        """One page of the queue, shaped like a CMS page so the list template needs no second form."""
        start = (number - 1) * limit
        pages = (self.count + limit - 1) // limit
        return Page(self.items[start : start + limit], number, limit, self.count, pages)


def may_decide(operator: Operator, partner_id: int) -> bool:
    return operator.can(partner_id, *PERMISSION)


def decision_queue(
    client: CmsClient,
    holder: TokenHolder,
    partner_id: int,
    operator_id: int,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Queue:
    """Pending requests of the partner not sent by `operator_id` (a plain id: dashboard workers call this)."""
    def read(number: int) -> Page[ProcessRequest]:
        return client.process_requests.list(
            holder,
            partner_id,
            page=number,
            limit=READ_LIMIT,
            status="pending",
            date_from=date_from,
            date_to=date_to,
        )

    items: list[ProcessRequest] = []
    complete = True
    for found in every_page(read, max_pages=MAX_READS):
        items.extend(
            item
            for item in found.items
            if item.status == "pending" and (item.requested_by is None or item.requested_by.id != operator_id)
        )
        complete = found.is_last
    return Queue(items, complete=complete)
