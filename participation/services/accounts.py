"""Accounts, sign-in with throttling, and API tokens."""
from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam, case, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from participation.errors import Forbidden, Throttled, ValidationFailed
from participation.extensions import db
from participation.services import audit
from participation.services.sessions import end_all_login_sessions
from participation.models import ApiToken, LiaisonPoint, LoginAttempt, LoginUnlock, Role, User

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128
MAX_NAME_LENGTH = 100
MAX_DEPUTY_FIELD_LENGTH = {"deputy_number": 50, "delegation": 100, "professional_group": 100}
# Live tokens per account: enough for a few integrations, few enough that a leaked
# session cannot mint an unbounded number of credentials.
MAX_LIVE_TOKENS = 20
TOKEN_PREFIX = "lpp_"
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")

# Passwords long enough to pass the length rule that are still the first ones an attacker
# tries. Not a substitute for a breach corpus, just the obvious ones.
_COMMON_PASSWORDS = frozenset({
    "1234567890", "12345678910", "0123456789", "9876543210", "1234512345", "1122334455",
    "password123", "password1234", "passw0rd123", "qwertyuiop", "1qaz2wsx3edc", "qwerty1234",
    "asdfghjkl;", "zxcvbnm123", "abcd123456", "abc1234567", "a123456789", "woaini1314",
    "iloveyou123", "admin12345", "administrator", "welcome123", "changeme123", "letmein123",
})


@dataclass(frozen=True)
class LoginLimits:
    """The sign-in throttle's numbers (see "sign-in throttling" below for the rules).

    ``max_per_account_ip``, ``max_per_ip`` and ``max_per_device`` are hard limits on
    failures within ``window``; ``max_per_account`` is the number of failures on one
    account (from browsers without its device cookie) within ``account_window`` after
    which every further attempt waits ``first_delay``, doubling, at most ``max_delay``.
    """

    max_per_account_ip: int = 5
    max_per_ip: int = 30
    window: timedelta = timedelta(minutes=15)
    max_per_account: int = 20
    account_window: timedelta = timedelta(hours=24)
    first_delay: timedelta = timedelta(seconds=2)
    max_delay: timedelta = timedelta(minutes=5)
    max_per_device: int = 5

    @classmethod
    def from_config(cls, config) -> "LoginLimits":
        return cls(
            max_per_account_ip=config["LOGIN_MAX_FAILURES_PER_ACCOUNT_IP"],
            max_per_ip=config["LOGIN_MAX_FAILURES_PER_IP"],
            window=timedelta(seconds=config["LOGIN_FAILURE_WINDOW_SECONDS"]),
            max_per_account=config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
            account_window=timedelta(seconds=config["LOGIN_ACCOUNT_WINDOW_SECONDS"]),
            first_delay=timedelta(seconds=config["LOGIN_ACCOUNT_DELAY_SECONDS"]),
            max_delay=timedelta(seconds=config["LOGIN_ACCOUNT_MAX_DELAY_SECONDS"]),
            max_per_device=config["LOGIN_MAX_FAILURES_PER_DEVICE"],
        )


class SignInThrottled(Throttled):
    """A refused attempt (the password was not checked); ``retry_after`` in seconds."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = max(1, retry_after)


@dataclass(frozen=True)
class FailedSignIns:
    """What the owner is told at a successful sign-in: failed attempts on the account
    since its previous sign-in."""

    count: int
    since: datetime
    addresses: int


@dataclass(frozen=True)
class SignIn:
    user: User
    earlier_failures: FailedSignIns | None


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the account does not exist, so that an unknown e-mail costs
    the same hashing time as a wrong password."""
    return generate_password_hash("not-a-real-password-" + secrets.token_hex(8))


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def _clean(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


def check_password_strength(password: str, *, email: str | None = None) -> None:
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise _field_error("password", _("密码至少 %(n)d 位。", n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise _field_error("password", _("密码不能超过 %(n)d 位。", n=MAX_PASSWORD_LENGTH))
    lowered = password.lower()
    if len(set(password)) < 4 or lowered in _COMMON_PASSWORDS:
        raise _field_error("password", _("密码太容易被猜到，请换一个更复杂的密码。"))
    if email:
        local_part = normalize_email(email).split("@")[0]
        if lowered == normalize_email(email) or (len(local_part) >= 4 and local_part in lowered):
            raise _field_error("password", _("密码不能包含邮箱地址。"))


def _check_display_name(display_name: str | None) -> str:
    name = (display_name or "").strip()
    if len(name) > MAX_NAME_LENGTH:
        raise _field_error("display_name", _("姓名不能超过 %(n)d 个字。", n=MAX_NAME_LENGTH))
    return name


def _check_deputy_fields(deputy_number, delegation, professional_group, *, excluding_id: int | None = None):
    values = {
        "deputy_number": (deputy_number or "").strip(),
        "delegation": (delegation or "").strip(),
        "professional_group": (professional_group or "").strip(),
    }
    if not values["deputy_number"]:
        raise _field_error("deputy_number", _("人大代表必须填写代表证号。"))
    if not values["delegation"]:
        raise _field_error("delegation", _("人大代表必须填写所属代表团。"))
    for field, limit in MAX_DEPUTY_FIELD_LENGTH.items():
        if len(values[field]) > limit:
            raise _field_error(field, _("不能超过 %(n)d 个字。", n=limit))
    existing = db.session.scalar(select(User.id).where(User.deputy_number == values["deputy_number"]))
    if existing is not None and existing != excluding_id:
        raise _field_error("deputy_number", _("该代表证号已被使用。"))
    return values["deputy_number"], values["delegation"], values["professional_group"] or None


def _check_new_liaison_point(point: LiaisonPoint | None, *, current_id: int | None = None) -> LiaisonPoint:
    if point is None:
        raise _field_error("liaison_point", _("联系点信息员必须绑定一个基层立法联系点。"))
    if not point.is_active and point.id != current_id:
        raise _field_error("liaison_point", _("联系点“%(name)s”已停用，不能再添加信息员。", name=point.name))
    return point


def _flush_account(user: User) -> None:
    try:
        # A savepoint, so that losing a race on a unique column is a field error and not
        # a broken session.
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        if user.deputy_number and db.session.scalar(
            select(User.id).where(User.deputy_number == user.deputy_number, User.id != user.id)
        ) is not None:
            raise _field_error("deputy_number", _("该代表证号已被使用。")) from exc
        raise _field_error("email", _("该邮箱已注册。")) from exc


# What the audit log records of an account (never the password or its hash).
_ACCOUNT_FIELDS = ("email", "role", "display_name", "is_enabled", "liaison_point_id", "deputy_number", "delegation",
                   "professional_group")


def create_user(*, by: User | None = None, **details) -> User:
    """Create an account as staff or an administrator (``by``; None for the command
    line and the demo), recorded in the audit log; ``details`` as for ``_new_account``.
    A citizen's own registration (``register_citizen``) is not a staff action."""
    user = _new_account(**details)
    audit.record_event("account.create", actor=by, object_type="user", object_id=user.id,
                       new=audit.snapshot(user, _ACCOUNT_FIELDS))
    return user


def _new_account(
    *, email: str, password: str, role: Role, display_name: str = "",
    liaison_point: LiaisonPoint | None = None, deputy_number: str | None = None,
    delegation: str | None = None, professional_group: str | None = None,
) -> User:
    """Create an account of any role, checking what each role requires: a deputy has a
    unique deputy number and a delegation; an operator is bound to one active liaison
    point; nobody else carries either."""
    role = Role(role)
    email = normalize_email(email)
    if not _EMAIL_RE.match(email) or len(email) > 254:
        raise _field_error("email", _("请输入有效的电子邮箱地址。"))
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise _field_error("email", _("该邮箱已注册。"))
    check_password_strength(password, email=email)
    display_name = _check_display_name(display_name)
    if role == Role.OPERATOR:
        _check_new_liaison_point(liaison_point)
    elif liaison_point is not None:
        raise _field_error("liaison_point", _("只有联系点信息员可以绑定联系点。"))
    if role == Role.DEPUTY:
        deputy_number, delegation, professional_group = _check_deputy_fields(
            deputy_number, delegation, professional_group)
    elif (deputy_number or "").strip() or (delegation or "").strip() or (professional_group or "").strip():
        raise _field_error("deputy_number", _("只有人大代表可以填写代表信息。"))
    else:
        deputy_number = delegation = professional_group = None
    user = User(
        email=email, password_hash=generate_password_hash(password), role=role.value,
        display_name=display_name, session_nonce=secrets.token_hex(16),
        liaison_point_id=liaison_point.id if liaison_point else None,
        deputy_number=deputy_number, delegation=delegation, professional_group=professional_group,
    )
    db.session.add(user)
    _flush_account(user)
    return user


def register_citizen(*, email: str, password: str, display_name: str = "", consented_policy_version: int,
                     now: datetime) -> User:
    """A citizen's own registration, with the privacy policy version they agreed to."""
    user = _new_account(email=email, password=password, role=Role.CITIZEN, display_name=display_name)
    user.privacy_consent_at = now
    user.privacy_policy_version = consented_policy_version
    return user


def update_user_details(
    user: User, *, display_name: str, deputy_number: str | None = None, delegation: str | None = None,
    professional_group: str | None = None, liaison_point: LiaisonPoint | None = None, by: User | None = None,
) -> User:
    """Edit what an administrator may change about an account: the name, a deputy's
    deputy number, delegation and professional group, an operator's liaison point. The
    role-specific arguments are ignored for other roles."""
    before = audit.snapshot(user, _ACCOUNT_FIELDS)
    user.display_name = _check_display_name(display_name)
    if user.role == Role.DEPUTY.value:
        user.deputy_number, user.delegation, user.professional_group = _check_deputy_fields(
            deputy_number, delegation, professional_group, excluding_id=user.id)
    if user.role == Role.OPERATOR.value:
        point = _check_new_liaison_point(liaison_point, current_id=user.liaison_point_id)
        user.liaison_point_id = point.id
        user.liaison_point = point
    _flush_account(user)
    audit.record_change("account.update", actor=by, object_type="user", object_id=user.id, before=before,
                        after=audit.snapshot(user, _ACCOUNT_FIELDS))
    return user


def set_password(user: User, password: str, *, by: User | None = None) -> None:
    """Replace the password and end every session of the account (the caller signs the
    current session in again when the user changed their own password). The audit log
    records only that it was set, and by whom (``by``; None for the command line)."""
    check_password_strength(password, email=user.email)
    user.password_hash = generate_password_hash(password)
    user.session_nonce = secrets.token_hex(16)
    end_all_login_sessions(user)
    audit.record_event("account.password_set", actor=by, object_type="user", object_id=user.id)
    db.session.flush()


def change_password(user: User, *, current_password: str, new_password: str, ip: str, now: datetime,
                    limits: LoginLimits, device_token: str | None = None) -> None:
    """The user's own password change. The current password is required, and wrong
    guesses count as failed sign-ins (under the same throttle, ``device_token`` as for
    ``authenticate``), so a borrowed session cannot be used to find the password by
    trial."""
    confirm_current_password(user, current_password, ip=ip, now=now, limits=limits, device_token=device_token)
    if current_password == new_password:
        raise _field_error("password", _("新密码不能与当前密码相同。"))
    set_password(user, new_password, by=user)


def confirm_current_password(user: User, password: str, *, ip: str, now: datetime, limits: LoginLimits,
                             device_token: str | None = None, field: str = "current_password") -> None:
    """Check the signed-in owner's password before a grave step (a password change,
    erasing the account). Wrong guesses count as failed sign-ins, under the sign-in
    throttle, so a borrowed session cannot be used to find the password by trial."""
    key = account_key(user.email)
    device_key = _device_key(device_token)
    trusted = _check_throttle(key, ip, now, limits, device_key=device_key)
    if not check_password_hash(user.password_hash, password or ""):
        _record_failure(key, ip, now, user_id=user.id, device_key=device_key if trusted else None)
        raise _field_error(field, _("当前密码不正确。"))


def set_enabled(user: User, enabled: bool, *, changed_by: User | None, now: datetime) -> None:
    """Disable or re-enable an account. Disabling ends its sessions and revokes its
    tokens (re-enabling does not bring the tokens back). ``changed_by`` is None for the
    command line."""
    if not enabled and changed_by is not None and changed_by.id == user.id:
        raise Forbidden(_("不能停用自己的账户。"))
    if user.is_enabled != enabled:
        audit.record_event("account.enable" if enabled else "account.disable", actor=changed_by, object_type="user",
                           object_id=user.id, old={"is_enabled": user.is_enabled}, new={"is_enabled": enabled}, now=now)
    user.is_enabled = enabled
    if not enabled:
        user.session_nonce = secrets.token_hex(16)
        end_all_login_sessions(user)
        revoke_all_tokens(user, revoked_by=changed_by, now=now)
    db.session.flush()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


# --- sign-in throttling -------------------------------------------------------------
#
# The rules (also in the README, "Sign-in throttling"). Every failed password check is a
# LoginAttempt row. Before a password is checked:
#
# 1. A browser holding a device cookie for this account (``device_token``: set by the
#    sign-in page after a successful sign-in, signed with the app's secret) is trusted:
#    the only limit it meets is its own, ``max_per_device`` failures per ``window``.
#    Nothing other browsers do counts against it. Past its limit the cookie stops being
#    trusted (until its failures leave the window) and the rules below apply.
# 2. Any other attempt is refused outright, for the rest of ``window``, when its address
#    made ``max_per_ip`` failures (any accounts), or ``max_per_account_ip`` failures on
#    this account.
# 3. And it waits when the account collected ``max_per_account`` failures from untrusted
#    browsers within ``account_window``: the next attempt is refused until
#    ``first_delay`` after the latest one, doubling with every further failure up to
#    ``max_delay``. This is a delay, never a lock: strangers on other addresses can make
#    an owner without a device cookie wait at most ``max_delay`` after their latest
#    failure, and keeping the owner out means failing again at every slot.
#
# Unknown e-mails are throttled by the same rows and rules (``account_key`` is a digest
# of the e-mail), so that answers do not tell accounts apart. A successful sign-in
# clears the account's failures made from its address or device (they no longer count
# against the account; the address keeps them), and the owner is told how many
# failures there were since the previous sign-in, since when and from how many
# addresses. An administrator's unlock clears every failure on the account.

# How long the failures aimed at an existing account are kept for its owner's notice
# (unknown e-mails' only as long as the throttle needs them).
NOTICE_RETENTION = timedelta(days=30)


def account_key(email: str) -> str:
    """The digest that identifies an e-mail to the throttle and in device cookies."""
    return hashlib.sha256(normalize_email(email).encode("utf-8")).hexdigest()



def new_device_token() -> str:
    return secrets.token_urlsafe(24)


def _device_key(device_token: str | None) -> str | None:
    return hashlib.sha256(device_token.encode("utf-8")).hexdigest() if device_token else None


def _failures(*conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(LoginAttempt).where(*conditions))


def _account_delay(key: str, now: datetime, limits: LoginLimits) -> timedelta:
    """How much longer untrusted attempts on the account must wait (zero: none)."""
    count, latest = db.session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            LoginAttempt.account_key == key, LoginAttempt.device_key.is_(None),
            LoginAttempt.is_cleared.is_(False), LoginAttempt.at >= now - limits.account_window)
    ).one()
    if count < limits.max_per_account or latest is None:
        return timedelta(0)
    # The exponent is bounded so that a flood of failures cannot overflow the sum.
    delay = min(limits.first_delay * 2 ** min(count - limits.max_per_account, 30), limits.max_delay)
    return max(timedelta(0), latest + delay - now)


def _check_throttle(key: str, ip: str, now: datetime, limits: LoginLimits, *,
                    device_key: str | None = None) -> bool:
    """Refuse (SignInThrottled) or allow an attempt; True when it comes from a trusted
    device, whose failures then count against that device only."""
    since = now - limits.window
    keep_unknown = now - max(limits.window, limits.account_window)
    db.session.execute(delete(LoginAttempt).where(or_(
        (LoginAttempt.at < keep_unknown) & LoginAttempt.user_id.is_(None),
        LoginAttempt.at < now - max(NOTICE_RETENTION, limits.window, limits.account_window),
    )))
    if device_key is not None and _failures(
        LoginAttempt.device_key == device_key, LoginAttempt.is_cleared.is_(False), LoginAttempt.at >= since,
    ) < limits.max_per_device:
        return True
    ip = ip[:64]
    minutes = max(1, int(limits.window.total_seconds() // 60))
    if (_failures(LoginAttempt.ip == ip, LoginAttempt.at >= since) >= limits.max_per_ip
            or _failures(LoginAttempt.account_key == key, LoginAttempt.ip == ip, LoginAttempt.is_cleared.is_(False),
                         LoginAttempt.at >= since) >= limits.max_per_account_ip):
        raise SignInThrottled(_("登录失败次数过多，请 %(m)d 分钟后再试。", m=minutes),
                              retry_after=int(limits.window.total_seconds()))
    wait = _account_delay(key, now, limits)
    if wait > timedelta(0):
        seconds = max(1, int(-(-wait.total_seconds() // 1)))
        raise SignInThrottled(_("该账户近期登录失败次数较多，请 %(s)d 秒后再试。", s=seconds), retry_after=seconds)
    return False


def _record_failure(key: str, ip: str, now: datetime, *, user_id: int | None, device_key: str | None) -> None:
    db.session.add(LoginAttempt(account_key=key, ip=ip[:64], at=now, user_id=user_id, device_key=device_key))
    db.session.flush()


def _failures_since(user: User, since: datetime | None) -> FailedSignIns | None:
    conditions = [LoginAttempt.user_id == user.id]
    if since is not None:
        conditions.append(LoginAttempt.at > since)
    count, first, addresses = db.session.execute(
        select(func.count(), func.min(LoginAttempt.at), func.count(func.distinct(LoginAttempt.ip))).where(*conditions)
    ).one()
    return FailedSignIns(count, first, addresses) if count else None


def authenticate(*, email: str, password: str, ip: str, now: datetime, limits: LoginLimits,
                 device_token: str | None = None) -> SignIn | None:
    """Check credentials under the sign-in throttle (the rules above). ``device_token``
    is the token of this browser's device cookie for this e-mail, if it has one.

    Unknown accounts, wrong passwords and disabled accounts give the same answer (None)
    after the same amount of hashing work, and are throttled alike. A throttled attempt
    raises ``SignInThrottled`` without checking the password at all. A success returns
    the account with the failures made on it since its previous sign-in.
    """
    key = account_key(email)
    device_key = _device_key(device_token)
    trusted = _check_throttle(key, ip, now, limits, device_key=device_key)
    user = find_user_by_email(email)
    password_ok = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    if user is not None and password_ok and user.is_enabled:
        earlier = _failures_since(user, user.last_login_at)
        mine = LoginAttempt.ip == ip[:64]
        if device_key is not None:
            mine = or_(mine, LoginAttempt.device_key == device_key)
        db.session.execute(update(LoginAttempt).where(LoginAttempt.account_key == key, mine)
                           .values(is_cleared=True))
        user.last_login_at = now
        db.session.flush()
        return SignIn(user, earlier)
    _record_failure(key, ip, now, user_id=user.id if user else None, device_key=device_key if trusted else None)
    return None


def unlock_sign_in(user: User, *, unlocked_by: User | None, now: datetime) -> int:
    """Clear the sign-in throttle of an account (an administrator's unlock, recorded):
    its failures stop counting against the account from any address or device (each
    address's own limit still counts them); the owner is still told of them. Returns how many failures were counting.
    ``unlocked_by`` is None for the command line."""
    cleared = db.session.execute(
        update(LoginAttempt).where(LoginAttempt.account_key == account_key(user.email),
                                   LoginAttempt.is_cleared.is_(False)).values(is_cleared=True)
    ).rowcount or 0
    db.session.add(LoginUnlock(user_id=user.id, unlocked_by_id=unlocked_by.id if unlocked_by else None, at=now,
                               cleared_failures=cleared))
    audit.record_event("account.unlock_sign_in", actor=unlocked_by, object_type="user", object_id=user.id,
                       new={"cleared_failures": cleared}, now=now)
    db.session.flush()
    return cleared


@dataclass(frozen=True)
class ThrottleState:
    """An account's sign-in throttle, for its administration page."""

    failures: int               # failures counting against the account (account window)
    wait_seconds: int           # how long an untrusted browser must wait now (0: none)
    last_unlock: LoginUnlock | None


def sign_in_throttle_state(user: User, *, now: datetime, limits: LoginLimits) -> ThrottleState:
    key = account_key(user.email)
    failures = _failures(LoginAttempt.account_key == key, LoginAttempt.is_cleared.is_(False),
                         LoginAttempt.at >= now - max(limits.window, limits.account_window))
    wait = _account_delay(key, now, limits)
    last_unlock = db.session.scalar(
        select(LoginUnlock).where(LoginUnlock.user_id == user.id).order_by(LoginUnlock.id.desc()).limit(1))
    return ThrottleState(failures, int(-(-wait.total_seconds() // 1)), last_unlock)


# --- API tokens ---------------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def live_token_count(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )


def issue_api_token(user: User, *, name: str = "", by: User | None = None) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the secret, which is never stored (nor
    audited: the entry names the token by id, name and the prefix pages show)."""
    if not user.is_enabled:
        raise ValidationFailed(_("账户已停用，不能签发令牌。"))
    name = (name or "").strip()
    if len(name) > 100:
        raise _field_error("name", _("令牌名称不能超过 %(n)d 个字。", n=100))
    if live_token_count(user) >= MAX_LIVE_TOKENS:
        raise _field_error("name", _("有效令牌已达 %(n)d 个，请先撤销不用的令牌。", n=MAX_LIVE_TOKENS))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, token_digest=_digest(secret), prefix=secret[:12], name=name)
    db.session.add(token)
    db.session.flush()
    audit.record_event("account.token_issue", actor=by, object_type="user", object_id=user.id,
                       new={"token_id": token.id, "name": name, "prefix": token.prefix})
    return token, secret


def revoke_api_token(token: ApiToken, *, revoked_by: User | None, now: datetime) -> None:
    """Revoke one token (idempotent). ``revoked_by`` is None for the command line."""
    if token.revoked_at is None:
        token.revoked_at = now
        token.revoked_by_id = revoked_by.id if revoked_by is not None else None
        audit.record_event("account.token_revoke", actor=revoked_by, object_type="user", object_id=token.user_id,
                           new={"token_id": token.id, "name": token.name, "prefix": token.prefix}, now=now)
        db.session.flush()


def revoke_all_tokens(user: User, *, revoked_by: User | None, now: datetime) -> int:
    """Revoke every live token of an account; returns how many were live."""
    live = list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ))
    for token in live:
        revoke_api_token(token, revoked_by=revoked_by, now=now)
    return len(live)


@dataclass(frozen=True)
class TokenHolder:
    """The account behind a live API token: the columns a request needs, read in one
    statement without building ORM objects (every API request resolves its token, and
    opinion submission is the hot path). Duck-types as the account for the policies
    (``role``, ``is_authenticated``) and as the author of a submission (``id``,
    ``delegation``, ``liaison_point_id``); ``db.session.get(User, holder.id)`` gives
    the ORM row where more is needed."""

    token_id: int
    token_last_used_at: datetime | None
    id: int
    role: str
    delegation: str | None
    liaison_point_id: int | None
    is_authenticated = True


_tokens = ApiToken.__table__
_users = User.__table__
_TOKEN_HOLDER_QUERY = (
    select(_tokens.c.id, _tokens.c.token_digest, _tokens.c.revoked_at, _tokens.c.last_used_at,
           _users.c.id, _users.c.is_enabled, _users.c.role, _users.c.delegation, _users.c.liaison_point_id)
    .join(_users, _users.c.id == _tokens.c.user_id)
    # Built once with a bound parameter: SQLAlchemy memoises a statement's cache key,
    # so the compiled form is found without walking the statement on every request.
    .where(_tokens.c.token_digest == bindparam("digest"))
)


def find_token_holder(secret: str) -> TokenHolder | None:
    """The live token for a bearer secret, with its account; None when the secret is
    malformed or unknown, the token revoked or the account disabled. Compares digests
    in constant time."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = _digest(secret)
    row = db.session.connection().execute(_TOKEN_HOLDER_QUERY, {"digest": digest}).first()
    if row is None or not hmac.compare_digest(row[1], digest):
        return None
    token_id, _digest_, revoked_at, last_used_at, user_id, is_enabled, role, delegation, point_id = row
    if revoked_at is not None or not is_enabled:
        return None
    return TokenHolder(token_id=token_id, token_last_used_at=last_used_at, id=user_id, role=role,
                       delegation=delegation, liaison_point_id=point_id)


def find_token(secret: str) -> ApiToken | None:
    """The live token for a bearer secret as an ORM row (with its account), or None."""
    db.session.flush()  # the lookup reads through the connection: see pending changes
    holder = find_token_holder(secret)
    return db.session.get(ApiToken, holder.token_id) if holder is not None else None
