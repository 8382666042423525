"""Rate limits of the API, checked with the ``limits`` library on Flask-Limiter's storage.

Every API route is limited per client address (``API_RATE_LIMIT``); the routes of a
blueprint made by ``token_limited_routes`` are also limited per token (for example
``OPINION_API_RATE_LIMIT`` for submissions). The web pages keep Flask-Limiter's
decorators.

Why not Flask-Limiter's decorators here: its generic pass before every request (walking
blueprint ancestry and exemption scopes, meta limits, resolving dynamic limit strings
anew) cost 0.6-0.7 ms of CPU per API request, about a fifth of an opinion submission
(measured with bench/bench_submit_cost.py). The API has exactly two kinds of limit, so this
module checks them directly with the strategy and storage that the app's Flask-Limiter
set up (``RATELIMIT_STORAGE_URI``, ``RATELIMIT_STRATEGY``, ``RATELIMIT_ENABLED``). It
keeps Flask-Limiter's behaviour: the same storage keys (limit key, then the endpoint), a
limit string may hold several limits ("10 per minute; 100 per hour"), checking stops at
the first breach, and the ``X-RateLimit-*`` and ``Retry-After`` headers report the breached
limit or else the first one (per token before per address, shorter windows first).
"""
from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, current_app, request
from limits import RateLimitItem, parse_many
from werkzeug.exceptions import TooManyRequests

from participation.extensions import limiter

DEFAULT_RATE_LIMIT = "600 per minute"
_CHECKED_KEY = "participation.api_rate_limit"


@dataclass(frozen=True)
class _Limit:
    limit_string: Callable[[], str]  # read at each request: the configuration may change
    key: Callable[[], str]


# Per blueprint name ("api.submissions"): the per-token limit of token_limited_routes.
_token_limits: dict[str, _Limit] = {}
# The top-level API blueprints ("api"), whose requests this module limits.
_limited_here: set[str] = set()


def api_rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT") or DEFAULT_RATE_LIMIT


def _address_key() -> str:
    # As flask_limiter.util.get_remote_address (the key of the web pages' limits).
    return request.remote_addr or "127.0.0.1"


_ADDRESS_LIMIT = _Limit(api_rate_limit, _address_key)


@functools.lru_cache(maxsize=64)
def _items(limit_string: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(limit_string))


def limit_per_address(blueprint: Blueprint) -> None:
    """Limit every route of the top-level API ``blueprint`` (its nested blueprints'
    too) per client address, and take its requests out of Flask-Limiter's hands."""
    _limited_here.add(blueprint.name)
    blueprint.before_request(check_rate_limits)
    blueprint.after_request(add_rate_limit_headers)


def limit_per_token(parent: Blueprint, blueprint: Blueprint, limit_string: Callable[[], str],
                    key: Callable[[], str]) -> None:
    """Limit the routes of ``blueprint``, to be registered on ``parent``, per token as well."""
    _token_limits[f"{parent.name}.{blueprint.name}"] = _Limit(limit_string, key)


@limiter.request_filter
def _not_for_flask_limiter() -> bool:
    # Checked by Flask-Limiter before anything else: API requests skip its whole pass
    # (a future default limit would otherwise count them a second time).
    blueprint = request.blueprint
    return blueprint is not None and blueprint.partition(".")[0] in _limited_here


def check_rate_limits() -> None:
    """``before_request`` hook of API blueprints, before authentication (a per-token key
    resolves the token, refusing a bad one with 401): count the request against each of
    its limits, or refuse it with 429."""
    if not limiter.enabled or request.endpoint is None:
        return
    strategy = limiter.limiter
    limits = [_token_limits[request.blueprint]] if request.blueprint in _token_limits else []
    limits.append(_ADDRESS_LIMIT)
    checked = []
    for limit in limits:
        identifiers = (limit.key(), request.endpoint)
        checked.extend((item, identifiers) for item in _items(limit.limit_string()))
    checked.sort(key=lambda pair: pair[0].GRANULARITY.seconds)  # stable, as Flask-Limiter's sort
    for item, identifiers in checked:
        if not strategy.hit(item, *identifiers):
            request.environ[_CHECKED_KEY] = (item, identifiers)
            raise TooManyRequests()
    if checked:
        request.environ[_CHECKED_KEY] = checked[0]


def add_rate_limit_headers(response):
    """``after_request`` hook: the limit reported to the client, as Flask-Limiter's
    headers (``RATELIMIT_HEADERS_ENABLED``)."""
    reported = request.environ.get(_CHECKED_KEY)
    if reported is None or not current_app.config.get("RATELIMIT_HEADERS_ENABLED"):
        return response
    item, identifiers = reported
    reset_at, remaining = limiter.limiter.get_window_stats(item, *identifiers)
    reset_at = int(reset_at)
    headers = response.headers
    headers.add("X-RateLimit-Limit", str(item.amount))
    headers.add("X-RateLimit-Remaining", str(remaining))
    headers.add("X-RateLimit-Reset", str(reset_at))
    headers["Retry-After"] = str(max(int(reset_at - time.time()), 0))
    return response
