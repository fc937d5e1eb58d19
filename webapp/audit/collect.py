"""Reading a users × permissions matrix from the upstream with bounded parallelism.

The upstream has one call per (user, partner) for permissions, so 200 users on 5 partners is 1,000 calls: one
after another that is 1,000 round trips, in parallel it is about 1,000 / workers. The calls run on the
console's shared pool (webapp/fanout.py), at most `workers` at a time, so an audit never floods the CMS nor
takes every thread from page views; in a jobs worker each call also holds one of the process's CMS slots
(`slot`). Jobs get the client, the token holder and plain ids only: Flask's
context-bound proxies do not cross threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from typing import TypeVar

from webapp import fanout
from webapp.audit.data import AuditData, AuditUser
from webapp.cms import CmsClient, TokenHolder, errors
from webapp.cms.models import CmsUser

DEFAULT_WORKERS = 8
PAGE_LIMIT = 100  # the upstream's cap (ASSUMPTIONS.md §3): fewest list calls
T = TypeVar("T")
# A slot held around each call: a jobs worker's share of the CMS (webapp/jobs/kinds.py, JobContext.cms_slot).
Slot = Callable[[], AbstractContextManager[None]]


def _in_slot(slot: Slot, call: Callable[[], T]) -> T:
    with slot():
        return call()


def _users_of_partners(
    client: CmsClient, holder: TokenHolder, partner_ids: Iterable[int], workers: int, slot: Slot = nullcontext
) -> dict[int, list[CmsUser]]:
    """Every user of every partner: first pages together, then all remaining pages together."""
    ids = list(partner_ids)
    firsts = fanout.gather(
        {
            pid: partial(_in_slot, slot, partial(client.users.list, holder, pid, page=1, limit=PAGE_LIMIT))
            for pid in ids
        },
        per_call=workers,
    )
    rest_jobs = {
        (pid, number): partial(
            _in_slot, slot, partial(client.users.list, holder, pid, page=number, limit=PAGE_LIMIT)
        )
        for pid, first in firsts.items()
        for number in range(2, first.total_pages + 1)
    }
    rest = fanout.gather(rest_jobs, per_call=workers)
    users = {pid: list(first.items) for pid, first in firsts.items()}
    for (pid, _number), page in sorted(rest.items()):
        users[pid].extend(page.items)
    return users


def _permissions_or_none(
    client: CmsClient, holder: TokenHolder, user_id: int, partner_id: int
) -> frozenset[str] | None:
    """None when the user left the partner between the list and this call (nothing to audit there)."""
    try:
        return client.permissions.of_user(holder, user_id, partner_id).permission_keys()
    except errors.NotFound:
        return None


def collect(
    client: CmsClient,
    holder: TokenHolder,
    partners: Mapping[int, str],
    *,
    workers: int = DEFAULT_WORKERS,
    slot: Slot = nullcontext,
) -> AuditData:
    """The matrix for `partners` ({id: name}). Any upstream failure aborts the run: half an audit misleads."""
    data = AuditData(partners=dict(partners))
    users = _users_of_partners(client, holder, partners, workers, slot)
    for by_partner in users.values():
        for user in by_partner:
            data.users[user.id] = AuditUser.of(user)
    jobs = {
        (pid, user.id): partial(_in_slot, slot, partial(_permissions_or_none, client, holder, user.id, pid))
        for pid, by_partner in users.items()
        for user in by_partner
    }
    answers = fanout.gather(jobs, per_call=workers)
    for pid in partners:
        data.grants[pid] = {}
    for (pid, uid), perms in answers.items():
        if perms is not None:
            data.grants[pid][uid] = perms
    return data
