from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.database import UTCDateTime, utcnow
from participation.extensions import db


class Role(str, enum.Enum):
    CITIZEN = "citizen"      # 公民
    DEPUTY = "deputy"        # 人大代表
    OPERATOR = "operator"    # 基层立法联系点信息员 (bound to one liaison point)
    STAFF = "staff"          # 法工委工作人员
    ADMIN = "admin"          # 管理员


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(16), default=Role.CITIZEN.value)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # Part of the session identity: changing it (password change, disabling) ends every
    # existing session of the account.
    session_nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the owner opened the verification link; no email but that link is sent before.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # 个人信息保护: the privacy policy version the person agreed to at registration, and
    # when; and when the account was erased at its owner's request (注销: the row stays
    # for the records that name it, emptied of personal information).
    privacy_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    privacy_policy_version: Mapped[int | None]
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # 人大代表
    deputy_number: Mapped[str | None] = mapped_column(String(50), unique=True)
    delegation: Mapped[str | None] = mapped_column(String(100))        # 代表团
    professional_group: Mapped[str | None] = mapped_column(String(100))  # 专业小组

    # 联系点信息员
    liaison_point_id: Mapped[int | None] = mapped_column(ForeignKey("liaison_points.id"), index=True)
    liaison_point = relationship("LiaisonPoint", lazy="joined")

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot sign in
        return self.is_enabled

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.STAFF.value, Role.ADMIN.value)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only a SHA-256 digest is stored; the token itself
    is shown once when issued."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # shown in lists so owners can tell tokens apart
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user = relationship("User", foreign_keys=[user_id], lazy="joined")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class LoginAttempt(db.Model):
    """A failed password check (sign-in, or the current password on the account page),
    kept to throttle across worker processes and to tell the owner at their next sign-in
    (services.accounts describes the rules). ``account_key`` is a digest of the
    submitted e-mail, so unknown and known accounts are throttled alike."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_account_key_at", "account_key", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
        Index("ix_login_attempts_device_key_at", "device_key", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The account the e-mail belongs to, when there is one: its failures are kept until
    # the owner has been told of them (unknown e-mails only for the throttle windows).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Digest of the device cookie the attempt came with, when that cookie was trusted
    # for this account: such failures count against the cookie's own small limit only.
    device_key: Mapped[str | None] = mapped_column(String(64))
    # Cleared by the owner's successful sign-in from this address or device, or by an
    # administrator's unlock: no longer counted against the account, still told to the
    # owner and still counted against the address.
    is_cleared: Mapped[bool] = mapped_column(default=False, server_default=false())


class LoginUnlock(db.Model):
    """An administrator cleared an account's sign-in throttle (the record of who did it
    and when; ``unlocked_by_id`` is None for the command line)."""

    __tablename__ = "login_unlocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    unlocked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How many failures were still counting against the account when it was unlocked.
    cleared_failures: Mapped[int] = mapped_column(default=0)

    unlocked_by = relationship("User", foreign_keys=[unlocked_by_id], lazy="joined")


class LoginSession(db.Model):
    """One signed-in browser. The cookie holds a random secret; this row holds its
    digest, so signing out (deleting the row) ends that session even if the cookie was
    copied, and a user can end their other sessions."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
