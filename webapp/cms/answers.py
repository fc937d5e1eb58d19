"""What an upstream answer means: the status and the body (the `{success, message, data, errors}` envelope)
read into a Reply, or into the error of the tree (errors.py) that it stands for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from webapp.cms import errors
from webapp.cms.wire import Reply, parse_json

_GATEWAY_5XX = frozenset({502, 504})
# These keep their meaning even from an edge proxy without the envelope (e.g. nginx's 413 page).
_STATUS_ONLY_4XX = frozenset({413, 429})


def answer_to_reply(status: int, headers: httpx.Headers, content: bytes, unknown: bool) -> Reply:
    """The Reply of a read answer, or the error it means; `unknown`: a write whose outcome a gateway error
    leaves open."""
    body: Any = None
    if content.strip():
        try:
            body = parse_json(content)
        except ValueError:
            body = None

    if 400 <= status < 500 and status not in _STATUS_ONLY_4XX and not _looks_like_envelope(body):
        # A 4xx without the envelope came from something in between (a proxy page), not from the API.
        raise errors.BadUpstreamResponse(
            f"Unexpected HTTP {status} answer without the CMS envelope.", status=status
        )
    if status >= 400:
        gateway_unknown = unknown and status in _GATEWAY_5XX
        raise errors.error_from_response(status, body, headers, outcome_unknown=gateway_unknown)
    if status < 200:
        raise errors.BadUpstreamResponse(f"Unexpected HTTP {status} from the CMS.", status=status)
    if status == 204 and not content.strip():
        return Reply(status=status, headers=headers)
    return _envelope(body, status, headers, unknown)


def _envelope(body: Any, status: int, headers: httpx.Headers, unknown: bool) -> Reply:
    if not isinstance(body, Mapping):
        raise errors.BadUpstreamResponse(
            "The CMS answer is not a JSON envelope.", status=status, outcome_unknown=unknown
        )
    success = body.get("success")
    if success is None and isinstance(body.get("statusCode"), int):
        # The Quickstart's `{statusCode, message, data}` variant (docs/cms-api.md §2.1): accept it too.
        success = 200 <= body["statusCode"] < 300
    if success is not True:
        message, items = errors.error_from_envelope(body)
        raise errors.BadUpstreamResponse(
            message or "The CMS reported a failure inside a success answer.",
            status=status,
            errors=items,
            outcome_unknown=unknown,
        )
    message = body.get("message")
    return Reply(
        status=status,
        headers=headers,
        data=body.get("data"),
        message=message if isinstance(message, str) else None,
    )


def _looks_like_envelope(body: Any) -> bool:
    return isinstance(body, Mapping) and ("success" in body or "errors" in body or "statusCode" in body)
