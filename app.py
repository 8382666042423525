"""Application factory and the module-level ``app`` for ``flask --app app`` and
``gunicorn app:app``."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask

from participation.config import (
    config_from_env,
    instance_path_from_env,
    load_or_create_secret_key,
    validate_timezone,
)

PROJECT_ROOT = Path(__file__).resolve().parent


def create_app(config: dict | None = None) -> Flask:
    """Build an app. ``config`` overrides the environment (tests pass a temporary
    ``INSTANCE_PATH`` and ``SQLALCHEMY_DATABASE_URI``)."""
    overrides = dict(config or {})
    instance_path = Path(overrides.pop("INSTANCE_PATH", None) or instance_path_from_env()).resolve()
    instance_path.mkdir(parents=True, exist_ok=True)

    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(config_from_env(instance_path))
    app.config.update(overrides)
    app.config["INSTANCE_PATH"] = str(instance_path)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(instance_path)
    validate_timezone(app.config["TIMEZONE"])
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(PROJECT_ROOT / "translations"))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh_CN")
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(days=app.config["LOGIN_REMEMBER_DAYS"]))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Seconds pysqlite waits for a lock; PRAGMA busy_timeout is set as well in
        # participation.database for connections made by other tools.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 60}})
    else:
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})

    if app.config["PROXY_FIX_X_FOR"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1)

    from participation.web.wiring import init_web

    init_web(app)

    from participation.web.ratelimit_storage import register_readiness_check

    register_readiness_check(app)

    import search

    search.init_app(app)
    return app


def __getattr__(name: str):
    # Built on first access rather than at import, so that importing create_app (tests,
    # scripts) does not create ./instance or read the environment as a side effect.
    if name == "app":
        global app
        app = create_app()
        return app
    raise AttributeError(name)
