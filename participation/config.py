"""Configuration from environment variables with safe defaults (all listed in README.md)."""
from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SECRET_KEY_FILE = "secret_key"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def instance_path_from_env() -> Path:
    return Path(os.environ.get("INSTANCE_PATH") or "./instance").resolve()


def config_from_env(instance_path: Path) -> dict:
    """Defaults overridden by the environment. ``create_app`` applies its own overrides
    on top of this."""
    return {
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
        or f"sqlite:///{instance_path / 'participation.sqlite3'}",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or None,
        "TIMEZONE": os.environ.get("TIMEZONE", "Asia/Shanghai"),
        "DEFAULT_ISSUING_BODY": os.environ.get("DEFAULT_ISSUING_BODY", "市人大常委会法制工作委员会"),
        "SITE_NAME": os.environ.get("SITE_NAME", "立法公众参与平台"),
        # Upload size limit for every request body (drafts, later batches).
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_BYTES", 10 * 1024 * 1024)),
        # Each file attached to a legislative-plan proposal (法规草案建议稿).
        "PROPOSAL_ATTACHMENT_MAX_BYTES": int(os.environ.get("PROPOSAL_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024)),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "local://"),
        # How many processes serve this app (gunicorn.conf.py exports its worker count):
        # per-process rate-limit storage then counts each limit that many times over.
        "WEB_PROCESSES": max(int(os.environ.get("WEB_PROCESSES") or 1), 1),
        "RATELIMIT_ENABLED": _env_bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,  # Retry-After on 429 answers
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "600 per minute"),
        "OPINION_API_RATE_LIMIT": os.environ.get("OPINION_API_RATE_LIMIT", "60 per minute"),
        # Number of reverse proxies in front of the app whose X-Forwarded-For is trusted
        # (0: use the socket address). Throttling per address depends on it.
        "PROXY_FIX_X_FOR": int(os.environ.get("PROXY_FIX_X_FOR", 0)),
        # The sign-in throttle (services/accounts.py, "sign-in throttling"): hard limits
        # per address and per account from one address; on the account as a whole only
        # growing delays, so that strangers cannot lock its owner out.
        "LOGIN_MAX_FAILURES_PER_ACCOUNT_IP": int(os.environ.get("LOGIN_MAX_FAILURES_PER_ACCOUNT_IP", 5)),
        "LOGIN_MAX_FAILURES_PER_IP": int(os.environ.get("LOGIN_MAX_FAILURES_PER_IP", 30)),
        "LOGIN_MAX_FAILURES_PER_DEVICE": int(os.environ.get("LOGIN_MAX_FAILURES_PER_DEVICE", 5)),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": int(os.environ.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", 20)),
        "LOGIN_ACCOUNT_WINDOW_SECONDS": int(os.environ.get("LOGIN_ACCOUNT_WINDOW_SECONDS", 24 * 3600)),
        "LOGIN_ACCOUNT_DELAY_SECONDS": int(os.environ.get("LOGIN_ACCOUNT_DELAY_SECONDS", 2)),
        "LOGIN_ACCOUNT_MAX_DELAY_SECONDS": int(os.environ.get("LOGIN_ACCOUNT_MAX_DELAY_SECONDS", 300)),
        "LOGIN_DEVICE_COOKIE_DAYS": int(os.environ.get("LOGIN_DEVICE_COOKIE_DAYS", 180)),
        "LOGIN_SESSION_HOURS": int(os.environ.get("LOGIN_SESSION_HOURS", 12)),
        "LOGIN_REMEMBER_DAYS": int(os.environ.get("LOGIN_REMEMBER_DAYS", 30)),
        "LOGIN_FAILURE_WINDOW_SECONDS": int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)),
        # Set SESSION_COOKIE_SECURE=1 when served over HTTPS (it must be off for plain
        # http://127.0.0.1 in the demo, or the browser would drop the cookie).
        "SESSION_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", False),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "DEFAULT_LOCALE": os.environ.get("DEFAULT_LOCALE", "zh_CN"),  # zh_CN or en
        # Liaison-point batches (participation/batches/): rows one batch may hold, bytes
        # an .xlsx may unpack to, hours an unconfirmed preview is kept, requests per
        # API token (a batch can be thousands of rows).
        "BATCH_MAX_ROWS": int(os.environ.get("BATCH_MAX_ROWS") or 20_000),
        "BATCH_MAX_UNPACKED_BYTES": int(os.environ.get("BATCH_MAX_UNPACKED_BYTES") or 100 * 1024 * 1024),
        "BATCH_PENDING_UPLOAD_HOURS": int(os.environ.get("BATCH_PENDING_UPLOAD_HOURS") or 24),
        "BATCH_API_RATE_LIMIT": os.environ.get("BATCH_API_RATE_LIMIT") or "30 per minute",
        # The disposition sheet (participation/disposition_sheets/): opinions one sheet may hold.
        "DISPOSITION_SHEET_MAX_ROWS": int(os.environ.get("DISPOSITION_SHEET_MAX_ROWS") or 50_000),
        # Background jobs (participation/jobs/): the queue (default: a SQLite file in the
        # instance folder; redis://… in production, shared by every process), the folder
        # jobs write files to, and how long a produced file (an export) is kept.
        "JOBS_QUEUE_URL": os.environ.get("JOBS_QUEUE_URL") or "",
        "JOBS_QUEUE_NAME": os.environ.get("JOBS_QUEUE_NAME") or "participation",
        "JOBS_FILES_PATH": os.environ.get("JOBS_FILES_PATH") or "",
        "JOB_FILE_HOURS": int(os.environ.get("JOB_FILE_HOURS") or 24),
        # Email (participation/mail/), named as Flask-Mail names them. Off (nothing is
        # queued or sent) until MAIL_SERVER is set. SITE_URL is the address links in
        # emails point to (jobs run outside any request).
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or "",
        "MAIL_PORT": int(os.environ.get("MAIL_PORT") or 25),
        "MAIL_USE_TLS": _env_bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _env_bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or "",
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or "",
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER") or "noreply@localhost",
        "MAIL_TIMEOUT": int(os.environ.get("MAIL_TIMEOUT") or 30),
        "SITE_URL": os.environ.get("SITE_URL") or "http://127.0.0.1:5000",
        # Comma-separated modules with more tasks (a site's own; the tests' sample task).
        "JOBS_EXTRA_TASK_MODULES": os.environ.get("JOBS_EXTRA_TASK_MODULES") or "",
        **_from_env_when_set(),
    }


# Settings whose defaults live next to the code that uses them (rate limits of the opinion
# form and receipt look-ups); the environment overrides them when set.
_STRING_SETTINGS = (
    "OPINION_RATE_LIMIT_PER_IP", "OPINION_RATE_LIMIT_PER_ACCOUNT", "RECEIPT_LOOKUP_RATE_LIMIT",
    "SECURITY_LOG_PATH",
)
_INTEGER_SETTINGS = ("OPINION_MAX_REQUEST_BYTES",)


def _from_env_when_set() -> dict:
    settings: dict = {}
    for name in _STRING_SETTINGS:
        if os.environ.get(name):
            settings[name] = os.environ[name]
    for name in _INTEGER_SETTINGS:
        if os.environ.get(name):
            settings[name] = int(os.environ[name])
    return settings


def load_or_create_secret_key(instance_path: Path) -> str:
    """Read the instance's secret key, creating it on first run.

    O_EXCL makes concurrent first starts (several gunicorn workers) agree on one key.
    """
    path = instance_path / SECRET_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if key:
            return key
        # A concurrent starter created the file and has not written yet.
        for _ in range(50):
            time.sleep(0.05)
            key = path.read_text().strip()
            if key:
                return key
        raise RuntimeError(f"{path} is empty; delete it to generate a new secret key")
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def validate_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RuntimeError(f"TIMEZONE={name!r} is not a known IANA time zone") from exc
