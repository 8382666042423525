"""The blueprint of the JSON API, version 1, and how an API blueprint is configured.

Apart from the package's ``__init__`` so that the route modules, which add their routes
to ``api``, import it without importing the package that imports them (no import
cycle)."""
from __future__ import annotations

from flask import Blueprint, request

from participation.api import ratelimit

api = Blueprint("api", __name__, url_prefix="/api/v1")


def _no_shared_caching(response):
    # Answers depend on the bearer token (staff see unpublished drafts): a shared cache
    # must not hand one client's answer to another.
    response.headers.add("Vary", "Authorization")
    if request.headers.get("Authorization"):
        response.headers["Cache-Control"] = "private, no-store"
    return response


def configure_api_blueprint(bp: Blueprint) -> None:
    """Bearer authentication, JSON errors, caching headers and rate limiting for an API
    blueprint (this version's, and any later one)."""
    from participation.api.auth import authenticate_request
    from participation.api.errors import register_error_handlers

    # Rate limits first: Flask-Limiter's, which these replace, ran before any
    # blueprint's hook (participation.api.ratelimit says why they are checked there).
    ratelimit.limit_per_address(bp)
    bp.before_request(authenticate_request)
    register_error_handlers(bp)
    bp.after_request(_no_shared_caching)


configure_api_blueprint(api)


def token_limited_routes(name: str, limit) -> Blueprint:
    """A blueprint nested in ``api`` for routes limited per token (``limit``, a
    callable returning a limit string) on top of the API's per-address limit.

    Routes on it share everything else of ``api``: authentication, errors, headers,
    the URL prefix. Their endpoints are named ``api.<name>.<view>``."""
    from participation.api.auth import token_rate_limit_key

    blueprint = Blueprint(name, __name__)
    ratelimit.limit_per_token(api, blueprint, limit, token_rate_limit_key)
    api.register_blueprint(blueprint)
    return blueprint

