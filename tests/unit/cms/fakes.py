"""A scripted CMS behind httpx.MockTransport: real signed tokens, counted calls, canned answers per route."""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from tests.support.keys import KeyPair, new_keypair
from webapp.cms import CmsClient, CmsSettings, UserTokens

BASE_URL = "https://cms.test/cms/rest"
AUD = "ali-api-cms-rest"
Handler = Callable[[httpx.Request], httpx.Response]

UPSTREAM_KEYS = new_keypair()
MERCHANT_KEYS = new_keypair()
OTHER_KEYS = new_keypair()


def sign(
    typ: str,
    *,
    keys: KeyPair = UPSTREAM_KEYS,
    ttl: int = 900,
    sub: str = "user:7",
    algorithm: str = "EdDSA",
    secret: Any = None,
    **extra: Any,
) -> str:
    now = int(time.time())
    claims = {
        "iss": AUD,
        "aud": AUD,
        "sub": sub,
        "typ": typ,
        "iat": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
    }
    claims.update(extra)
    key: Any = secret if secret is not None else load_pem_private_key(keys.private_pem, password=None)
    return jwt.encode(claims, key, algorithm=algorithm)


def envelope(data: Any = None, *, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    body: dict[str, Any] = {"success": True, "message": "ok"}
    if data is not None:
        body["data"] = data
    return httpx.Response(status, json=body, headers=headers)


def failure(
    status: int, code: str, message: str = "nope", *, field: str | None = None, **headers: str
) -> httpx.Response:
    item = {"code": code, "message": message}
    if field:
        item["field"] = field
    return httpx.Response(
        status,
        json={"success": False, "message": message, "errors": [item]},
        headers={k.replace("_", "-"): v for k, v in headers.items()},
    )


def app_pair(ttl: int = 1800) -> dict[str, Any]:
    return {
        "accessToken": sign("app", sub="merchant:migo-console", ttl=ttl),
        "refreshToken": sign("app_refresh", sub="merchant:migo-console", ttl=7 * 86400),
        "expirationToken": int(time.time()) + ttl,
        "expirationRefreshToken": int(time.time()) + 7 * 86400,
    }


def user_pair(ttl: int = 900, stage: str = "full", elv: int = 0) -> dict[str, Any]:
    return {
        "accessToken": sign("user", ttl=ttl, stage=stage, elv=elv),
        "refreshToken": sign("user_refresh", ttl=8 * 3600),
        "expirationToken": int(time.time()) + ttl,
        "expirationRefreshToken": int(time.time()) + 8 * 3600,
    }


@dataclass
class FakeCms:
    """Routes are "METHOD /path" below the base URL; each may be a handler or a list consumed in order."""

    routes: dict[str, Any] = field(default_factory=dict)
    calls: list[httpx.Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.routes.setdefault("POST /app/auth/login", lambda r: envelope(app_pair()))
        self.routes.setdefault("POST /app/auth/refresh", lambda r: envelope(app_pair()))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/cms/rest")
        key = f"{request.method} {path}"
        with self.lock:
            self.calls.append(request)
            answer = self.routes.get(key)
            if isinstance(answer, list):
                answer = answer.pop(0) if len(answer) > 1 else answer[0]
        if answer is None:
            return failure(404, "7010", "Not found, verify endpoint")
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        result: httpx.Response = answer(request)
        if isinstance(result, BaseException):
            raise result
        return result

    def count(self, key: str) -> int:
        method, path = key.split(" ", 1)
        return sum(
            1 for r in self.calls if r.method == method and r.url.path.removeprefix("/cms/rest") == path
        )

    def business_calls(self) -> list[httpx.Request]:
        return [r for r in self.calls if not r.url.path.endswith(("/app/auth/login", "/app/auth/refresh"))]


def settings(**overrides: Any) -> CmsSettings:
    values: dict[str, Any] = {
        "base_url": BASE_URL,
        "merchant": "migo-console",
        "merchant_private_key_pem": MERCHANT_KEYS.private_pem,
        "upstream_public_key_pem": UPSTREAM_KEYS.public_pem,
    }
    values.update(overrides)
    return CmsSettings(**values)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_client(
    fake: FakeCms,
    clock: Callable[[], float] | None = None,
    wall_clock: Callable[[], float] | None = None,
    **overrides: Any,
) -> CmsClient:
    kwargs: dict[str, Any] = {}
    if clock is not None:
        kwargs["clock"] = clock
    if wall_clock is not None:
        kwargs["wall_clock"] = wall_clock
    return CmsClient(settings(**overrides), transport=httpx.MockTransport(fake), **kwargs)


class MemoryHolder:
    """A TokenHolder in memory with a real lock, like one server-side session."""

    def __init__(self, tokens: UserTokens | None) -> None:
        self.tokens = tokens
        self._lock = threading.Lock()
        self.saves = 0

    def load(self) -> UserTokens | None:
        return self.tokens

    def save(self, tokens: UserTokens) -> None:
        self.tokens = tokens
        self.saves += 1

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        with self._lock:
            yield


def tokens_from(pair: dict[str, Any], access_ttl: int = 900) -> UserTokens:
    now = int(time.time())
    return UserTokens(
        access_token=pair["accessToken"],
        refresh_token=pair["refreshToken"],
        access_expires_at=now + access_ttl,
        refresh_expires_at=now + 8 * 3600,
    )


def holder(access_ttl: int = 900) -> MemoryHolder:
    return MemoryHolder(tokens_from(user_pair(ttl=access_ttl), access_ttl))


def json_body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def drip(chunks: list[bytes], clock: FakeClock, step: float) -> httpx.ByteStream | Any:
    """A stream that advances the fake clock by `step` per chunk: a slow upstream without sleeping."""

    class _Slow(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            for chunk in chunks:
                clock.advance(step)
                yield chunk

    return _Slow()


counter = itertools.count(1)
