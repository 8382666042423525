"""Sign-in, sign-out and citizen self-registration."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadData, URLSafeTimedSerializer

from participation import clock
from participation.web import security_log
from participation.errors import ValidationFailed
from participation.extensions import db, limiter
from participation.forms.auth import LoginForm, RegisterForm
from participation.services import accounts, privacy
from participation.services import sessions as login_sessions
from participation.clock import format_local
from participation.unit_of_work import reads, writes
from participation.views import apply_field_errors, client_ip, safe_next_url

bp = Blueprint("auth", __name__)


LOGIN_SESSION_KEY = "login_session"


def _fresh_session() -> None:
    # A new session at every sign-in and sign-out (no fixation): keep only the language.
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def sign_in(user, *, remember: bool) -> None:
    """Start a recorded login session for ``user`` in a fresh cookie session. "Remember
    me" makes the cookie outlive the browser (LOGIN_REMEMBER_DAYS) instead of ending
    with it (and LOGIN_SESSION_HOURS on the server). The caller commits."""
    _fresh_session()
    config = current_app.config
    lifetime = (timedelta(days=config["LOGIN_REMEMBER_DAYS"]) if remember
                else timedelta(hours=config["LOGIN_SESSION_HOURS"]))
    session[LOGIN_SESSION_KEY] = login_sessions.start_login_session(
        user, lifetime=lifetime, ip=client_ip(), user_agent=request.user_agent.string, now=clock.now(),
    )
    session.permanent = remember
    # Flask-Login's own remember cookie is not used: it could not be revoked.
    login_user(user, remember=False)


def current_login_session_secret() -> str | None:
    return session.get(LOGIN_SESSION_KEY)


# --- device cookies ------------------------------------------------------------------
# After a successful sign-in the browser gets a signed cookie naming the account (its
# account_key) and a random token; on later sign-ins to that account it is "trusted"
# and meets only its own small limit, whatever strangers did to the account
# (services.accounts, "sign-in throttling"; OWASP's "device cookies"). One cookie holds
# the few most recent accounts signed in from this browser.

DEVICE_COOKIE = "lpp_device"
DEVICE_COOKIE_ACCOUNTS = 5


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="sign-in-device")


def _device_entries() -> list[list[str]]:
    """[[account_key, token], …] from a valid cookie, newest first; [] otherwise."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw or len(raw) > 4096:
        return []
    max_age = current_app.config["LOGIN_DEVICE_COOKIE_DAYS"] * 86400
    try:
        entries = _device_serializer().loads(raw, max_age=max_age)
    except BadData:
        return []
    if not isinstance(entries, list):
        return []
    return [entry for entry in entries
            if isinstance(entry, list) and len(entry) == 2 and all(isinstance(part, str) for part in entry)]


def device_token_for(email: str) -> str | None:
    """The token of this browser's device cookie for ``email``, if it has one."""
    key = accounts.account_key(email)
    return next((token for entry_key, token in _device_entries() if entry_key == key), None)


def _set_device_cookie(response, email: str) -> None:
    """A fresh token for this account at every sign-in, kept with the browser's others."""
    key = accounts.account_key(email)
    entries = [[key, accounts.new_device_token()]]
    entries += [entry for entry in _device_entries() if entry[0] != key][:DEVICE_COOKIE_ACCOUNTS - 1]
    config = current_app.config
    response.set_cookie(
        DEVICE_COOKIE, _device_serializer().dumps(entries), max_age=config["LOGIN_DEVICE_COOKIE_DAYS"] * 86400,
        httponly=True, samesite="Lax", secure=bool(config.get("SESSION_COOKIE_SECURE")),
    )


def _notice(failures: accounts.FailedSignIns) -> str:
    return _("自您上次登录以来，有 %(n)d 次以您的账户登录失败（最早在 %(since)s，来自 %(addresses)d 个网络地址）。"
             "如果不是您本人所为，请修改密码。",
             n=failures.count, since=format_local(failures.since), addresses=failures.addresses)


@bp.get("/login")
@reads
def login():
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    return render_template("auth/login.html", form=LoginForm())


@bp.post("/login")
@limiter.limit("20/minute")
@writes
def login_post():
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    try:
        result = accounts.authenticate(
            email=form.email.data, password=form.password.data, ip=client_ip(), now=clock.now(),
            limits=accounts.LoginLimits.from_config(current_app.config),
            device_token=device_token_for(form.email.data),
        )
    except accounts.SignInThrottled as exc:
        # Refused before the password was checked.
        db.session.commit()
        flash(exc.message, "error")
        return render_template("auth/login.html", form=form), 429, {"Retry-After": str(exc.retry_after)}
    if result is None:
        # A failed sign-in: wrong password, unknown or disabled account (one answer).
        db.session.commit()  # the failed attempt counts towards the throttle
        security_log.sign_in_failed()
        flash(_("邮箱或密码不正确。"), "error")
        return render_template("auth/login.html", form=form), 200
    sign_in(result.user, remember=bool(form.remember.data))
    db.session.commit()
    flash(_("已登录。"), "success")
    if result.earlier_failures is not None:
        flash(_notice(result.earlier_failures), "warning")
    response = redirect(safe_next_url(request.args.get("next"), url_for("public.home")))
    _set_device_cookie(response, form.email.data)
    return response


@bp.post("/logout")
@writes
def logout():
    login_sessions.end_login_session(current_login_session_secret())
    db.session.commit()
    logout_user()
    _fresh_session()
    flash(_("已退出登录。"), "success")
    return redirect(url_for("public.home"))


@bp.get("/register")
@reads
def register():
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    return render_template("auth/register.html", form=RegisterForm())


@bp.post("/register")
@limiter.limit("10/hour")
@writes
def register_post():
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = RegisterForm()
    if not form.validate_on_submit():
        return render_template("auth/register.html", form=form), (422 if form.errors else 200)
    try:
        user = accounts.register_citizen(
            email=form.email.data, password=form.password.data, display_name=form.display_name.data,
            consented_policy_version=privacy.current_policy().version, now=clock.now(),
        )
    except ValidationFailed as exc:
        db.session.rollback()
        if not apply_field_errors(form, exc):
            flash(exc.message, "error")
        return render_template("auth/register.html", form=form), 422
    sign_in(user, remember=False)
    from participation.mail import channel as mail_channel

    verifying = mail_channel.request_verification(user)
    db.session.commit()
    flash(_("注册成功，欢迎参与立法。"), "success")
    if verifying:
        flash(_("验证邮件已发送到 %(email)s，请打开邮件中的链接验证邮箱。", email=user.email), "info")
    return redirect(url_for("public.home"))
