"""Typed shapes of what the CMS answers, one module per API domain as in resources/, each read by the
`from_api` its fields declare (declared.py).

Unknown fields are ignored and unknown enum values are kept as plain strings, so an additive upstream
change never breaks the console; a missing required field or a wrong type raises BadUpstreamResponse.
"""

from webapp.cms.models.auth import AppTokenStatus, LoginResult, Operator, UserTokens
from webapp.cms.models.cardholders import Cardholder, CardholderSummary, NewCardholder
from webapp.cms.models.cards import Card
from webapp.cms.models.partners import Balance, Branding, Partner, PartnerRef
from webapp.cms.models.permissions import Module, Permission, PermissionSpec, UserPermissions
from webapp.cms.models.process_requests import EvidenceFile, EvidenceInfo, Person, ProcessRequest
from webapp.cms.models.readers import (
    Json,
    as_list,
    as_object,
    error_items,
    opt_bool,
    opt_date,
    opt_decimal,
    opt_int,
    opt_str,
    opt_timestamp,
    parse_timestamp,
    req_decimal,
    req_int,
    req_str,
    str_list,
    to_decimal,
)
from webapp.cms.models.uploads import TERMINAL_BATCH_STATUSES, Batch, BatchRow, ProgressFrame, RowError
from webapp.cms.models.users import Account, CmsUser

__all__ = [
    "TERMINAL_BATCH_STATUSES",
    "Account",
    "AppTokenStatus",
    "Balance",
    "Batch",
    "BatchRow",
    "Branding",
    "Card",
    "Cardholder",
    "CardholderSummary",
    "CmsUser",
    "EvidenceFile",
    "EvidenceInfo",
    "Json",
    "LoginResult",
    "Module",
    "NewCardholder",
    "Operator",
    "Partner",
    "PartnerRef",
    "Permission",
    "PermissionSpec",
    "Person",
    "ProcessRequest",
    "ProgressFrame",
    "RowError",
    "UserPermissions",
    "UserTokens",
    "as_list",
    "as_object",
    "error_items",
    "opt_bool",
    "opt_date",
    "opt_decimal",
    "opt_int",
    "opt_str",
    "opt_timestamp",
    "parse_timestamp",
    "req_decimal",
    "req_int",
    "req_str",
    "str_list",
    "to_decimal",
]
