"""Platform tables: merchants, partners, operators, permissions, tokens, OTP codes, mail, idempotency.

Cardholders, cards, batches and process requests live in `domain_models.py`. Expiry instants that only the
sandbox compares (token, OTP, lock, idempotency) are Unix seconds; instants the API shows are UTC datetimes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import generate_password_hash

from webapp.sandbox.clock import utcnow
from webapp.sandbox.db import Base


class Merchant(Base):
    """An integrating application allowed to sign `POST /app/auth/login`."""

    __tablename__ = "merchants"

    slug: Mapped[str] = mapped_column(String(100), primary_key=True)
    public_key_pem: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Partner(Base):
    """A Migo tenant (bank, fintech, cooperative) running its own card program."""

    __tablename__ = "partners"

    partner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    legal_name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), default="GT")
    currency: Mapped[str] = mapped_column(String(3), default="GTQ")
    status: Mapped[str] = mapped_column(String(20), default="active")
    branding: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    features: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CmsUser(Base):
    """A backoffice operator."""

    __tablename__ = "cms_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="active")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    otp_elevation: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    assignments: Mapped[list[Assignment]] = relationship(back_populates="user", cascade="all, delete-orphan")


class UnknownLogin(Base):
    """Failed-password counter and lock of an e-mail that is no operator: counted exactly like an operator's
    (`CmsUser.failed_count` / `locked_until`), so the answers never tell the two apart."""

    __tablename__ = "unknown_logins"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[float | None] = mapped_column(Float, nullable=True)


class Assignment(Base):
    """Which partners an operator may touch at all (tenancy); permissions are granted per partner on top."""

    __tablename__ = "assignments"

    user_id: Mapped[int] = mapped_column(ForeignKey("cms_users.id"), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.partner_id"), primary_key=True)

    user: Mapped[CmsUser] = relationship(back_populates="assignments")
    partner: Mapped[Partner] = relationship()


class Module(Base):
    """A group of permissions as `GET /app/modules` shows them."""

    __tablename__ = "modules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(300), default="")

    permissions: Mapped[list[Permission]] = relationship(
        back_populates="module", order_by="Permission.permission_id"
    )


class Permission(Base):
    """A `resource:action` pair. Ones created through `POST /app/permissions` are stored but not enforced."""

    __tablename__ = "permissions"
    __table_args__ = (UniqueConstraint("resource", "action"),)

    permission_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(String(300), default="")
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id"), nullable=True)
    enforced: Mapped[bool] = mapped_column(Boolean, default=True)

    module: Mapped[Module | None] = relationship(back_populates="permissions")


class Grant(Base):
    """One permission of one operator on one partner (there is no partner-less grant)."""

    __tablename__ = "grants"

    user_id: Mapped[int] = mapped_column(ForeignKey("cms_users.id"), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.partner_id"), primary_key=True)
    permission_id: Mapped[int] = mapped_column(ForeignKey("permissions.permission_id"), primary_key=True)

    permission: Mapped[Permission] = relationship()


class RefreshToken(Base):
    """A single-use refresh token; `family` ties the rotations of one sign-in together (reuse revocation)."""

    __tablename__ = "refresh_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    family: Mapped[str] = mapped_column(String(64), index=True)
    typ: Mapped[str] = mapped_column(String(20))
    used: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("cms_users.id"), nullable=True)
    merchant: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The user stage carried forward on rotation, and the access token issued with this refresh token,
    # so that an OTP verify can retire the pair the caller signed in with.
    stage: Mapped[str | None] = mapped_column(String(10), nullable=True)
    access_jti: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    expires_at: Mapped[float] = mapped_column(Float)


class OtpCode(Base):
    """A 6-digit code sent to the mailbox. Only its salted hash is kept."""

    __tablename__ = "otp_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("cms_users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[float] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class MailMessage(Base):
    """What the sandbox "sent" by e-mail; `/_sandbox/mailbox` shows it."""

    __tablename__ = "mail_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    to: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(String(10), nullable=True)
    purpose: Mapped[str | None] = mapped_column(String(20), nullable=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class IdempotencyRecord(Base):
    """The first successful answer to a create carrying an `Idempotency-Key`, per operator and key."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(Integer)
    route: Mapped[str] = mapped_column(String(300))
    body_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[float] = mapped_column(Float)


# scrypt with a lighter work factor than werkzeug's default: the sandbox guards no real accounts, and every
# test sign-in pays for the hash.
PASSWORD_HASH_METHOD = "scrypt:4096:8:1"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_HASH_METHOD)
