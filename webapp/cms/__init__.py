"""The CMS client: the only code that speaks to the CMS Backoffice API. No Flask in here.

client = CmsClient(CmsSettings(base_url=..., merchant=..., ...))
client.cardholders.list(holder, partner_id)
"""

from webapp.cms import errors, models
from webapp.cms.auth import TokenHolder
from webapp.cms.client import CmsClient, CmsSettings, reset_upstream_timer, upstream_elapsed_ms
from webapp.cms.models import UserTokens
from webapp.cms.pagination import Page

__all__ = [
    "CmsClient",
    "CmsSettings",
    "Page",
    "TokenHolder",
    "UserTokens",
    "errors",
    "models",
    "reset_upstream_timer",
    "upstream_elapsed_ms",
]
