"""Sign-in, sign-out and citizen self-registration."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from participation import clock
from participation import security_log
from participation.errors import Throttled, ValidationFailed
from participation.extensions import db, limiter
from participation.forms.auth import LoginForm, RegisterForm
from participation.services import accounts
from participation.services import sessions as login_sessions
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


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20/minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = LoginForm()
    if form.validate_on_submit():
        config = current_app.config
        try:
            user = accounts.authenticate(
                email=form.email.data, password=form.password.data, ip=client_ip(), now=clock.now(),
                max_per_account=config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
                max_per_ip=config["LOGIN_MAX_FAILURES_PER_IP"],
                window=timedelta(seconds=config["LOGIN_FAILURE_WINDOW_SECONDS"]),
            )
        except Throttled as exc:
            db.session.commit()
            flash(exc.message, "error")
            return render_template("auth/login.html", form=form), 429
        if user is None:
            db.session.commit()  # the failed attempt counts towards the throttle
            security_log.sign_in_failed()
            flash(_("邮箱或密码不正确。"), "error")
            return render_template("auth/login.html", form=form), 200
        sign_in(user, remember=bool(form.remember.data))
        db.session.commit()
        flash(_("已登录。"), "success")
        return redirect(safe_next_url(request.args.get("next"), url_for("public.home")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    login_sessions.end_login_session(current_login_session_secret())
    db.session.commit()
    logout_user()
    _fresh_session()
    flash(_("已退出登录。"), "success")
    return redirect(url_for("public.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10/hour", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_citizen(
                email=form.email.data, password=form.password.data, display_name=form.display_name.data,
            )
        except ValidationFailed as exc:
            db.session.rollback()
            if not apply_field_errors(form, exc):
                flash(exc.message, "error")
            return render_template("auth/register.html", form=form), 422
        sign_in(user, remember=False)
        db.session.commit()
        flash(_("注册成功，欢迎参与立法。"), "success")
        return redirect(url_for("public.home"))
    return render_template("auth/register.html", form=form), (422 if form.errors else 200)
