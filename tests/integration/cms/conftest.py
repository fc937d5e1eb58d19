"""The CMS client against the real sandbox over loopback: a client per test and signed-in token holders."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import stamina

from tests.support.keys import KeyPair
from tests.support.sandbox import DEMO_PASSWORD, SandboxHandle
from webapp.cms import CmsClient, CmsSettings, UserTokens

ANA = "ana.operadora@demo.migo"
BRUNO = "bruno.aprobador@demo.migo"
CARLA = "carla.auditora@demo.migo"
DIEGO = "diego.admin@demo.migo"


class SessionHolder:
    """A TokenHolder like one console session: tokens in memory, a real lock."""

    def __init__(self, email: str, tokens: UserTokens | None = None) -> None:
        self.email = email
        self.tokens = tokens
        self.user_id = 0
        self._lock = threading.Lock()

    def load(self) -> UserTokens | None:
        return self.tokens

    def save(self, tokens: UserTokens) -> None:
        self.tokens = tokens

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        with self._lock:
            yield


@pytest.fixture(autouse=True)
def _no_backoff_sleeps() -> Iterator[None]:
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


@pytest.fixture
def make_cms(
    sandbox: SandboxHandle, merchant_keys: KeyPair, signing_keys: KeyPair
) -> Iterator[Callable[..., CmsClient]]:
    made: list[CmsClient] = []

    def make(**overrides: Any) -> CmsClient:
        values: dict[str, Any] = {
            "base_url": sandbox.base_url,
            "merchant": sandbox.merchant_slug,
            "merchant_private_key_pem": merchant_keys.private_pem,
            "upstream_public_key_pem": signing_keys.public_pem,
        }
        values.update(overrides)
        client = CmsClient(CmsSettings(**values))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def cms(make_cms: Callable[..., CmsClient]) -> CmsClient:
    return make_cms()


@pytest.fixture
def sign_in(cms: CmsClient, sandbox: SandboxHandle) -> Callable[..., SessionHolder]:
    """Password + login OTP, as the console does; answers a holder with full (and elevated) tokens."""

    def do(email: str, password: str = DEMO_PASSWORD, client: CmsClient | None = None) -> SessionHolder:
        api = client or cms
        result = api.auth.login(email, password)
        holder = SessionHolder(email, result.tokens)
        holder.user_id = result.id
        if result.otp_required:
            api.auth.request_otp(holder, email, "login")
            api.auth.verify_otp(holder, email, sandbox.latest_otp(email), "login")
        return holder

    return do


@pytest.fixture
def new_operator(sandbox: SandboxHandle) -> Callable[..., str]:
    """A fresh operator for tests that change users or lock them; answers the email."""

    def create(**spec: Any) -> str:
        email = f"t-{uuid.uuid4().hex[:10]}@test.migo"
        sandbox.create_user(email=email, name="Test Operator", password=DEMO_PASSWORD, **spec)
        return email

    return create
