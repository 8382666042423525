"""Wiring of the web application: extensions, sessions, locale, security headers, error
pages, blueprints and CLI commands."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import format_datetime, get_locale, lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from participation import clock
from participation.web import request_boundary, security_log
from participation.database import DATABASE_RETRY_AFTER_SECONDS, tune_engine
from participation.extensions import babel, csrf, db, limiter, login_manager, migrate
from participation.text import show_bidi_controls
from participation.unit_of_work import reading
from participation.views.common import SUPPORTED_LOCALES, is_api_request, json_error, render_error

MIGRATIONS_DIRECTORY = str(Path(__file__).resolve().parents[2] / "migrations")

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def select_locale() -> str:
    """The visitor's choice (the language switch in the footer), else the configured
    default. Chinese-first: the browser's Accept-Language is deliberately not used."""
    default = current_app.config.get("DEFAULT_LOCALE", "zh_CN")
    if default not in SUPPORTED_LOCALES:
        default = "zh_CN"
    if not has_request_context():
        return default  # CLI commands and background work
    chosen = session.get("locale")
    return chosen if chosen in SUPPORTED_LOCALES else default


class SiteSessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session of the web pages, and none on the JSON API.

    The API authenticates by bearer token alone and never reads or writes the cookie:
    that is what makes exempting it from CSRF protection safe, and it answers in the
    configured default language whatever a browser chose on the site. A null session
    there (empty, refusing writes) makes that a fact rather than a convention, and
    saves verifying and re-signing a cookie on every API call."""

    def open_session(self, app, request):
        if request.path.startswith("/api/"):
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_web(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        # The app's own engine, before it connects (other engines are left alone).
        tune_engine(db.engine)
    # render_as_batch: SQLite cannot ALTER most things; batch mode copies the table.
    migrate.init_app(app, db, directory=MIGRATIONS_DIRECTORY, render_as_batch=True, compare_type=True)
    from participation import jobs

    jobs.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: app.config["TIMEZONE"])
    limiter.init_app(app)
    _init_login(app)
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_error_handlers(app)
    app.after_request(_security_headers)
    # Registered last but run first (it puts itself at the head of the before_request
    # hooks): nothing else sees text the database cannot store.
    request_boundary.init_app(app)
    security_log.init_app(app)
    app.session_interface = SiteSessionInterface()

    from participation.cli import register_cli

    register_cli(app)


def _init_login(app: Flask) -> None:
    from participation.models import User
    from participation.services import sessions as login_sessions

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.login_message_category = "info"
    # "strong" would discard the session when the address changes (mobile networks);
    # "basic" marks it non-fresh, which is enough with the nonce in the user id.
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        user_pk, _sep, nonce = user_id.partition(":")
        if not user_pk.isdigit() or not nonce:
            return None
        user = db.session.get(User, int(user_pk))
        if user is None or user.session_nonce != nonce or not user.is_enabled:
            return None
        # The session must also be one the server still knows (not signed out).
        if login_sessions.live_session_user_id(session.get("login_session"), clock.now()) != user.id:
            return None
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import flash, redirect, url_for

        if is_api_request():
            return json_error(401, "unauthorized", str(_l("需要登录或有效的 API 令牌。")))
        flash(str(login_manager.login_message), "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _register_blueprints(app: Flask) -> None:
    from participation.api import api
    from participation.web.health import bp as health_bp
    from participation.views.account import bp as account_bp
    from participation.views.admin import bp as admin_bp
    from participation.views.auth import bp as auth_bp
    from participation.views.batches import bp as batches_bp
    from participation.views.public import bp as public_bp
    from participation.views.staff import bp as staff_bp

    # Modules whose routes are on another module's blueprint (imported here, before the
    # blueprints are registered, rather than by that module: no import cycle): the
    # opinion pages on ``public``; the opinion lists, moderation, dispositions, assignments,
    # the disposition sheet, the feedback report and the overview on ``staff``; the audit log on
    # ``admin``; 我的意见 and 站内消息 on ``account``; 关注, the email links and the notification
    # settings on ``public`` and ``account``; exports and their job pages on ``staff`` (the
    # public report's .docx on ``public``).
    from participation.views import (  # noqa: F401
        assignments, audit_log, disposition_sheets, dispositions, exports, feedback, job_admin, moderation,
        my_feedback, opinions, overview, plan_calls, plan_editor, plan_staff, privacy, subscriptions,
    )
    from participation.views import proposal_exports  # noqa: F401  (issue 17: exports of proposals)

    for blueprint in (public_bp, auth_bp, account_bp, staff_bp, admin_bp, batches_bp, health_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(api)
    # The API authenticates with bearer tokens only, never cookies (its nested
    # blueprints included: Flask-WTF exempts blueprints one by one).
    for name, blueprint in app.blueprints.items():
        if name.split(".")[0] == api.name:
            csrf.exempt(blueprint)


def field_aria(field, help_text=None, described_by=None) -> dict:
    """The ARIA attributes of a form control, for the form macros (templates/macros.html,
    templates/opinions/_macros.html): aria-describedby naming what is already described
    (``described_by``), its help text when shown and its error message, whose ids the
    macros give them; aria-invalid while the field is in error."""
    ids = [described_by] if described_by else []
    if help_text:
        ids.append(f"{field.id}-help")
    attributes = {}
    if field.errors:
        ids.append(f"{field.id}-error")
        attributes["aria-invalid"] = "true"
    if ids:
        attributes["aria-describedby"] = " ".join(ids)
    return attributes


def _register_template_helpers(app: Flask) -> None:
    from participation import labels

    @app.template_filter("local_datetime")
    def local_datetime(value, format="medium"):
        if value is None:
            return ""
        return format_datetime(value, format)

    # Free text typed by others (opinions, names, file names) shows its bidirectional
    # controls as visible markers instead of letting them reorder what staff read.
    app.add_template_filter(show_bidi_controls, "show_bidi")
    app.add_template_global(field_aria)

    @app.context_processor
    def inject_globals():
        from flask_login import current_user

        from participation import policies

        return {
            "now": clock.now(),
            "current_locale": str(get_locale()),
            "labels": labels,
            "nav_is_staff": policies.is_staff(current_user),
            "nav_is_admin": policies.is_admin(current_user),
            "site_name": app.config["SITE_NAME"],
            "zone_label": clock.zone_label(),
        }


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        security_log.csrf_failed(exc.description)
        return render_error(400, str(_l("表单已过期或来源无法验证，请刷新页面后重试。")))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return render_error(exc.code or 500, headers=exc.get_headers())

    @app.errorhandler(OperationalError)
    def database_busy(exc: OperationalError):
        # A lock held past the busy timeout (SQLite "database is locked", PostgreSQL's
        # lock_timeout, a deadlock, a lost connection): transient, nothing was stored.
        app.logger.warning("database unavailable on %s %s: %s", request.method, request.path, exc.orig)
        db.session.rollback()
        # The page reads (the signed-in account for the header) in a read unit: a
        # write transaction would queue for the same lock again.
        with reading():
            return render_error(503, headers=[("Retry-After", str(DATABASE_RETRY_AFTER_SECONDS))])

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return render_error(500)


def _security_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if request.path.startswith("/account") or request.path.startswith("/staff") or request.path.startswith("/admin"):
        headers.setdefault("Cache-Control", "no-store")
    return response
