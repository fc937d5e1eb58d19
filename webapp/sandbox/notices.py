"""Notices the CMS mails to an operator about their own account (assumed behaviour, ASSUMPTIONS.md §2).

The sign-in answers are the same for everyone, so the real owner learns of a lock from their mailbox, never
from the page; the console cannot send mail.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from webapp.sandbox.clock import now
from webapp.sandbox.db import session
from webapp.sandbox.models import CmsUser, MailMessage

LOCK_NOTICE = "lock_notice"


def send_lock_notice(user: CmsUser, attempts: int) -> None:
    """Tell the owner that failed passwords locked the account, until when, and what to do if it was not
    them. No code, no link, nothing about who tried."""
    until = user.locked_until or now()
    minutes = max(1, math.ceil((until - now()) / 60))
    stamp = datetime.fromtimestamp(until, UTC).strftime("%Y-%m-%d %H:%M UTC")
    session.add(
        MailMessage(
            to=user.email,
            subject="Your Migo CMS account was locked",
            body=(
                f"Hello {user.name},\n\nafter {attempts} failed sign-in attempts your account is locked for "
                f"{minutes} minutes, until {stamp}. Your password has not been changed.\n\n"
                "If these attempts were not yours, tell your administrator.\n"
            ),
            code=None,
            purpose=LOCK_NOTICE,
        )
    )
