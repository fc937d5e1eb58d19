"""CMS users of a partner (`/app/partners/{partnerId}/users`) and the account fields the signed-in operator
(models/auth.py) shares with them."""

from __future__ import annotations

from datetime import datetime

from webapp.cms.models.declared import ApiModel, api
from webapp.cms.models.partners import PartnerRef
from webapp.cms.models.readers import list_of


class Account(ApiModel):
    """What the CMS says about any of its users, the signed-in operator included."""

    id: int
    email: str
    name: str
    status: str
    is_admin: bool
    otp_elevation: bool
    last_login_at: datetime | None


class CmsUser(Account, where="cmsUser"):
    created_at: datetime | None
    partners: list[PartnerRef] = api(list_of(PartnerRef.from_api, null_is_empty=True))
