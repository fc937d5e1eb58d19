"""The CMS client: one CmsClient per process wires the transport, the tokens and the resources together.

How bytes travel is in transport.py (with settings.py, timing.py, breaker.py, wire.py and answers.py),
tokens in auth.py and the operations in resources/. A CmsClient is thread-safe.
"""

from __future__ import annotations

import time

import httpx

from webapp.cms.auth import AppTokens, Authenticator, TokenVerifier
from webapp.cms.breaker import CircuitBreaker
from webapp.cms.capabilities import Capabilities
from webapp.cms.models import AppTokenStatus
from webapp.cms.resources.auth import AuthResource
from webapp.cms.resources.cardholders import CardholdersResource
from webapp.cms.resources.cards import CardsResource
from webapp.cms.resources.partners import PartnersResource
from webapp.cms.resources.permissions import PermissionsResource
from webapp.cms.resources.process_requests import ProcessRequestsResource
from webapp.cms.resources.uploads import UploadsResource
from webapp.cms.resources.users import UsersResource
from webapp.cms.settings import CmsSettings, validate_base_url
from webapp.cms.timing import Clock, reset_upstream_timer, upstream_elapsed_ms
from webapp.cms.transport import Upstream
from webapp.cms.wire import ApiRequest, Reply, parse_json

# Importable from here as before the transport moved out of this module.
__all__ = [
    "ApiRequest",
    "CircuitBreaker",
    "CmsClient",
    "CmsSettings",
    "Reply",
    "Upstream",
    "parse_json",
    "reset_upstream_timer",
    "upstream_elapsed_ms",
    "validate_base_url",
]


class CmsClient:
    """Entry point for the console: `client.<resource>.<operation>(holder, ...)`."""

    def __init__(
        self,
        settings: CmsSettings,
        transport: httpx.BaseTransport | None = None,
        *,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
    ) -> None:
        self.settings = settings
        self.upstream = Upstream(settings, transport, clock)
        verifier = TokenVerifier(settings)
        self.app_tokens = AppTokens(settings, self.upstream, verifier, wall_clock)
        self.authenticator = Authenticator(self.upstream, self.app_tokens, verifier, settings, wall_clock)
        self.auth = AuthResource(self.authenticator)
        self.partners = PartnersResource(self.authenticator)
        self.permissions = PermissionsResource(self.authenticator)
        self.users = UsersResource(self.authenticator)
        self.cardholders = CardholdersResource(self.authenticator)
        self.cards = CardsResource(self.authenticator)
        self.uploads = UploadsResource(self.authenticator)
        self.process_requests = ProcessRequestsResource(self.authenticator)

    @property
    def capabilities(self) -> Capabilities:
        return self.authenticator.capabilities

    @property
    def breaker(self) -> CircuitBreaker:
        return self.upstream.breaker

    def app_status(self) -> AppTokenStatus:
        """The app token's state, obtaining it first if needed (shown on the sign-in page and /readyz)."""
        self.app_tokens.current()
        return self.app_tokens.status()

    def close(self) -> None:
        self.upstream.close()
