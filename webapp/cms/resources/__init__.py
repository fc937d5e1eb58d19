"""One module per API domain; each operation builds an ApiRequest and parses the answer into models."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from webapp.cms import errors
from webapp.cms.capabilities import capability_for, means_absent
from webapp.cms.pagination import Page, parse_page
from webapp.cms.wire import ApiRequest, Reply

if TYPE_CHECKING:
    from webapp.cms.auth import Authenticator, TokenHolder

T = TypeVar("T")


def seg(value: int | str) -> str:
    """One path segment: ids must be positive integers or opaque strings, always percent-encoded."""
    if isinstance(value, bool):
        raise TypeError("a path id cannot be a bool")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a path id cannot be negative")
        return str(value)
    if not value:
        raise ValueError("a path id cannot be empty")
    return quote(value, safe="")


def fill(route: str, ids: Mapping[str, int | str]) -> str:
    """The path of `route` (a path template such as `/app/partners/{partnerId}`), each `{name}` replaced
    by its id as one path segment."""
    return route.format_map({name: seg(value) for name, value in ids.items()})


def present(**fields: Any) -> dict[str, Any]:
    """The fields that are set: None and empty strings left out (an optional code, reason or filter)."""
    return {k: v for k, v in fields.items() if v is not None and v != ""}


def query(**params: str | int | None) -> dict[str, str | int]:
    """Query parameters without the unset ones (None, empty strings)."""
    return present(**params)


class Resource:
    def __init__(self, auth: Authenticator) -> None:
        self._auth = auth

    def _call(
        self,
        holder: TokenHolder | None,
        method: str,
        route: str,
        ids: Mapping[str, int | str] | None = None,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        renew_on_401: bool = True,
        **extra: Any,
    ) -> Reply:
        """One call to `route` with its `{names}` filled from `ids` (the route, never the ids, is logged).
        An assumed operation (one with a capability) known to be missing is not sent; one the CMS answers
        as an unknown route raises CapabilityMissing and is not asked again by this process."""
        path = fill(route, ids or {})
        capability = capability_for(method, route)
        if capability is not None:
            self._auth.capabilities.require(capability)
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        request = ApiRequest(
            method, path, route, params=params, json=json, headers=headers, idempotent=idempotent, **extra
        )
        try:
            return self._auth.call(holder, request, renew_on_401=renew_on_401)
        except (errors.ApiError, errors.BadUpstreamResponse) as exc:
            if capability is not None and means_absent(exc):
                raise self._auth.capabilities.learn_absent(capability, exc) from exc
            raise

    def _page(
        self,
        parse: Callable[[Any], T],
        holder: TokenHolder,
        route: str,
        ids: Mapping[str, int | str],
        *,
        page: int,
        limit: int,
        **filters: str | int | None,
    ) -> Page[T]:
        """One page of a list: a GET asking `page` and `limit` with the filters that are set; the answer's
        items are read by `parse`."""
        reply = self._call(holder, "GET", route, ids, params=query(page=page, limit=limit, **filters))
        return parse_page(reply.data, parse, page=page, limit=limit)
