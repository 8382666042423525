"""Accounts, sign-in with throttling, and API tokens."""
from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from participation.errors import ValidationFailed, Throttled
from participation.extensions import db
from participation.models import ApiToken, LiaisonPoint, LoginAttempt, Role, User

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128
TOKEN_PREFIX = "lpp_"
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the account does not exist, so that an unknown e-mail costs
    the same hashing time as a wrong password."""
    return generate_password_hash("not-a-real-password-" + secrets.token_hex(8))


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise _field_error("password", _("密码至少 %(n)d 位。", n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise _field_error("password", _("密码不能超过 %(n)d 位。", n=MAX_PASSWORD_LENGTH))


def create_user(
    *, email: str, password: str, role: Role, display_name: str = "",
    liaison_point: LiaisonPoint | None = None, deputy_number: str | None = None,
    delegation: str | None = None, professional_group: str | None = None,
) -> User:
    """Create an account of any role, checking what each role requires."""
    email = normalize_email(email)
    if not _EMAIL_RE.match(email) or len(email) > 254:
        raise _field_error("email", _("请输入有效的电子邮箱地址。"))
    check_password_strength(password)
    deputy_number = (deputy_number or "").strip() or None
    if role == Role.OPERATOR and liaison_point is None:
        raise _field_error("liaison_point", _("联系点信息员必须绑定一个基层立法联系点。"))
    if role != Role.OPERATOR and liaison_point is not None:
        raise _field_error("liaison_point", _("只有联系点信息员可以绑定联系点。"))
    if role == Role.DEPUTY and not deputy_number:
        raise _field_error("deputy_number", _("人大代表必须填写代表证号。"))
    if role == Role.DEPUTY and not (delegation or "").strip():
        raise _field_error("delegation", _("人大代表必须填写所属代表团。"))
    if role != Role.DEPUTY and (deputy_number or delegation or professional_group):
        raise _field_error("deputy_number", _("只有人大代表可以填写代表信息。"))
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise _field_error("email", _("该邮箱已注册。"))
    if deputy_number and db.session.scalar(select(User.id).where(User.deputy_number == deputy_number)):
        raise _field_error("deputy_number", _("该代表证号已被使用。"))
    user = User(
        email=email, password_hash=generate_password_hash(password), role=role.value,
        display_name=(display_name or "").strip()[:100], session_nonce=secrets.token_hex(16),
        liaison_point_id=liaison_point.id if liaison_point else None,
        deputy_number=deputy_number,
        delegation=(delegation or "").strip() or None if role == Role.DEPUTY else None,
        professional_group=(professional_group or "").strip() or None if role == Role.DEPUTY else None,
    )
    db.session.add(user)
    try:
        # A savepoint, so that losing a race on the unique e-mail is a field error and
        # not a broken session.
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise _field_error("email", _("该邮箱已注册。")) from exc
    return user


def register_citizen(*, email: str, password: str, display_name: str = "") -> User:
    return create_user(email=email, password=password, role=Role.CITIZEN, display_name=display_name)


def set_password(user: User, password: str) -> None:
    check_password_strength(password)
    user.password_hash = generate_password_hash(password)
    user.session_nonce = secrets.token_hex(16)  # signs out every other session
    db.session.flush()


def set_enabled(user: User, enabled: bool, *, changed_by: User, now: datetime) -> None:
    """Disable or re-enable an account. Disabling ends its sessions and revokes its
    tokens (re-enabling does not bring the tokens back)."""
    user.is_enabled = enabled
    if not enabled:
        user.session_nonce = secrets.token_hex(16)
        live = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        for token in db.session.scalars(live):
            revoke_api_token(token, revoked_by=changed_by, now=now)
    db.session.flush()


def _account_key(email: str) -> str:
    return hashlib.sha256(normalize_email(email).encode("utf-8")).hexdigest()


def authenticate(*, email: str, password: str, ip: str, now: datetime, max_per_account: int,
                 max_per_ip: int, window: timedelta) -> User | None:
    """Check credentials, throttling failures per account and per address.

    Unknown accounts and wrong passwords give the same answer (None) after the same
    amount of hashing work, and are throttled alike. A throttled attempt raises
    ``Throttled`` without checking the password at all.
    """
    key = _account_key(email)
    since = now - window
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < since))
    account_failures = db.session.scalar(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.account_key == key, LoginAttempt.at >= since)
    )
    ip_failures = db.session.scalar(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.ip == ip, LoginAttempt.at >= since)
    )
    if account_failures >= max_per_account or ip_failures >= max_per_ip:
        raise Throttled(_("登录失败次数过多，请 %(m)d 分钟后再试。", m=int(window.total_seconds() // 60)))

    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    password_ok = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    if user is not None and password_ok and user.is_enabled:
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.account_key == key))
        user.last_login_at = now
        db.session.flush()
        return user
    db.session.add(LoginAttempt(account_key=key, ip=ip[:64], at=now))
    db.session.flush()
    return None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_api_token(user: User, *, name: str = "") -> tuple[ApiToken, str]:
    """Create a token; returns the row and the secret, which is never stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, token_digest=_digest(secret), prefix=secret[:12], name=(name or "").strip()[:100])
    db.session.add(token)
    db.session.flush()
    return token, secret


def revoke_api_token(token: ApiToken, *, revoked_by: User, now: datetime) -> None:
    if token.revoked_at is None:
        token.revoked_at = now
        token.revoked_by_id = revoked_by.id
        db.session.flush()


def find_token(secret: str) -> ApiToken | None:
    """The live token for a bearer secret, or None. Compares digests in constant time."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = _digest(secret)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_digest == digest))
    if token is None or not hmac.compare_digest(token.token_digest, digest):
        return None
    if token.revoked_at is not None or not token.user.is_enabled:
        return None
    return token
