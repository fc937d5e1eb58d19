"""Reading a users × permissions matrix from the upstream with bounded parallelism.

The upstream has one call per (user, partner) for permissions, so 200 users on 5 partners is 1,000 calls: one
after another that is 1,000 round trips, with a small pool it is about 1,000 / workers. The pool is bounded
so the console never floods the CMS. Workers get the client, the token holder and plain ids only: Flask's
context-bound proxies do not cross threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import TypeVar

from webapp.audit.data import AuditData, AuditUser
from webapp.cms import CmsClient, TokenHolder, errors
from webapp.cms.models import CmsUser

DEFAULT_WORKERS = 8
PAGE_LIMIT = 100  # the upstream's cap (ASSUMPTIONS.md §3): fewest list calls

K = TypeVar("K")
V = TypeVar("V")


def _gather(pool: ThreadPoolExecutor, jobs: Mapping[K, Callable[[], V]]) -> dict[K, V]:
    """Run every job; the first failure cancels what has not started and is raised."""
    futures: dict[K, Future[V]] = {key: pool.submit(job) for key, job in jobs.items()}
    try:
        return {key: future.result() for key, future in futures.items()}
    except BaseException:
        for future in futures.values():
            future.cancel()
        raise


def _users_of_partners(
    pool: ThreadPoolExecutor, client: CmsClient, holder: TokenHolder, partner_ids: Iterable[int]
) -> dict[int, list[CmsUser]]:
    """Every user of every partner: first pages together, then all remaining pages together."""
    ids = list(partner_ids)
    firsts = _gather(
        pool, {pid: partial(client.users.list, holder, pid, page=1, limit=PAGE_LIMIT) for pid in ids}
    )
    rest_jobs = {
        (pid, number): partial(client.users.list, holder, pid, page=number, limit=PAGE_LIMIT)
        for pid, first in firsts.items()
        for number in range(2, first.total_pages + 1)
    }
    rest = _gather(pool, rest_jobs)
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
) -> AuditData:
    """The matrix for `partners` ({id: name}). Any upstream failure aborts the run: half an audit misleads."""
    data = AuditData(partners=dict(partners))
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="audit") as pool:
        users = _users_of_partners(pool, client, holder, partners)
        for by_partner in users.values():
            for user in by_partner:
                data.users[user.id] = AuditUser(
                    id=user.id,
                    name=user.name,
                    email=user.email,
                    status=user.status,
                    is_admin=user.is_admin,
                    last_login_at=user.last_login_at,
                )
        jobs = {
            (pid, user.id): partial(_permissions_or_none, client, holder, user.id, pid)
            for pid, by_partner in users.items()
            for user in by_partner
        }
        answers = _gather(pool, jobs)
    for pid in partners:
        data.grants[pid] = {}
    for (pid, uid), perms in answers.items():
        if perms is not None:
            data.grants[pid][uid] = perms
    return data
