"""The lists a view can be saved for, and what each accepts in its URL query.

Each list's own parser reads the query, so a saved view keeps exactly the filters and sort that list would
apply, and nothing else: never a page number, and never the cardholder search id `s` (the search text may be a
document number or an email, so it stays in one session: webapp/cardholders/listing.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from webapp.cardholders.listing import ListState
from webapp.process_requests.listing import parse_filters

USER_STATUSES = ("active", "inactive")
USER_SORTS = ("name", "email", "status", "lastLoginAt", "createdAt")  # as webapp/users/views.py
QUERY_MAX = 500


def _cardholders(args: Mapping[str, str]) -> dict[str, str]:
    state = ListState.from_args(args)
    return {k: str(v) for k, v in state.query(search_id="", page=1).items()}


def _users(args: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    if args.get("status") in USER_STATUSES:
        out["status"] = args["status"]
    if args.get("sort") in USER_SORTS and args["sort"] != "name":
        out["sort"] = args["sort"]
    if args.get("order") == "desc":
        out["order"] = "desc"
    return out


def _top_ups(args: Mapping[str, str]) -> dict[str, str]:
    return parse_filters(args).query()  # its query() never carries the page


@dataclass(frozen=True)
class SavedList:
    key: str
    endpoint: str
    label: str  # English; translated where shown
    clean: Callable[[Mapping[str, str]], dict[str, str]]


LISTS: dict[str, SavedList] = {
    item.key: item
    for item in (
        SavedList("cardholders", "cardholders.index", "Cardholders", _cardholders),
        SavedList("users", "users.index", "Users", _users),
        SavedList("top-ups", "process_requests.index", "Top-up requests", _top_ups),
    )
}


def clean_query(saved: SavedList, raw: str) -> str:
    """`raw` reduced to what the list accepts, in a stable order; '' when nothing is left."""
    pairs = parse_qsl(raw[: QUERY_MAX * 4], keep_blank_values=False)
    args = dict(reversed(pairs))  # a repeated name keeps its first value, as the lists' MultiDict.get does
    text = urlencode(sorted(saved.clean(args).items()))
    return text if len(text) <= QUERY_MAX else ""
