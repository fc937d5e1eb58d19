"""The dashboard's panels, fetched concurrently, each failing on its own.

A panel the operator has no permission for is not fetched at all; a panel whose call fails shows
"unavailable" while the others render. The calls run on the console's shared pool (webapp/fanout.py) and
receive the client, the token holder and plain ids, never Flask proxies, which do not cross threads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from webapp import fanout
from webapp.cms import CmsClient, TokenHolder, errors
from webapp.process_requests.queue import PERMISSION as QUEUE_PERMISSION
from webapp.process_requests.queue import Queue, decision_queue

Fetch = Callable[[CmsClient, TokenHolder, int, int], Any]  # client, holder, partner id, operator id


def _balance(client: CmsClient, holder: TokenHolder, partner_id: int, _operator_id: int) -> Any:
    return client.partners.balance(holder, partner_id)


def _cardholder_count(client: CmsClient, holder: TokenHolder, partner_id: int, _operator_id: int) -> int:
    return int(client.cardholders.list(holder, partner_id, page=1, limit=1).total)


def _pending_requests(client: CmsClient, holder: TokenHolder, partner_id: int, _operator_id: int) -> int:
    return int(client.process_requests.list(holder, partner_id, page=1, limit=1, status="pending").total)


def _decision_queue(client: CmsClient, holder: TokenHolder, partner_id: int, operator_id: int) -> Queue:
    return decision_queue(client, holder, partner_id, operator_id)


@dataclass(frozen=True)
class PanelSpec:
    key: str
    # Shown when the operator holds ANY of these resource:action pairs on the partner.
    needs: tuple[tuple[str, str], ...]
    fetch: Fetch


PANELS: tuple[PanelSpec, ...] = (
    PanelSpec(
        "balance",
        (("balance-management", "list"), ("balance-management", "create"), ("approvals", "list")),
        _balance,
    ),
    PanelSpec("cardholders", (("cardholders", "list"),), _cardholder_count),
    PanelSpec("pending_requests", (("balance-management", "list"), ("approvals", "list")), _pending_requests),
    PanelSpec("decision_queue", (QUEUE_PERMISSION,), _decision_queue),
)


@dataclass(frozen=True)
class Panel:
    key: str
    value: Any = None
    error: str | None = None  # the error class name when the panel could not be loaded

    @property
    def available(self) -> bool:
        return self.error is None


def visible_panels(can: Callable[[str, str], bool]) -> list[PanelSpec]:
    return [spec for spec in PANELS if any(can(resource, action) for resource, action in spec.needs)]


def load_panels(
    client: CmsClient,
    holder: TokenHolder,
    partner_id: int,
    specs: list[PanelSpec],
    max_workers: int = 4,
    *,
    operator_id: int,
) -> Mapping[str, Panel]:
    """Every panel in `specs`, fetched at once. A SessionEnded from any of them ends the whole page."""
    jobs = {spec.key: partial(spec.fetch, client, holder, partner_id, operator_id) for spec in specs}
    ended: errors.SessionEnded | None = None
    panels: dict[str, Panel] = {}
    for key, answer in fanout.settle(jobs, per_call=max_workers).items():
        if isinstance(answer.error, errors.SessionEnded):
            ended = answer.error
        elif isinstance(answer.error, errors.CmsError):
            panels[key] = Panel(key, error=type(answer.error).__name__)
        elif answer.error is not None:
            raise answer.error
        else:
            panels[key] = Panel(key, value=answer.value)
    if ended is not None:
        raise ended
    return panels
